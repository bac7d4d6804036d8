"""Entry point for `flask --app app ...` and WSGI servers."""
from ivr import create_app

app = create_app()
