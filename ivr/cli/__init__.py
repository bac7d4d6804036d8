"""Command-line entry points (`flask --app app ...`): each a thin shell over the services."""
