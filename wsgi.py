"""Entry point: ``flask --app wsgi run`` (or any WSGI server) finds ``app`` here."""

from web import create_app

app = create_app()
