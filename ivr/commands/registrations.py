"""CLI: registrations (the liaison-list import)."""
from flask.cli import AppGroup

registrations = AppGroup("registrations", help="Import and inspect the liaison bodies' lists.")
