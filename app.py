"""Entry point for `flask --app app ...` and WSGI servers."""

from ivr.factory import create_app

app = create_app()
