"""Alembic environment: migrations run against the app's own engine and the shared metadata.

Written by hand instead of Flask-Migrate's template, which reaches for Flask-SQLAlchemy and
a deprecated engine accessor; our ``Database`` holder has ``engine`` and ``metadata``.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

database = current_app.extensions["migrate"].db
target_metadata = database.metadata
# SQLite cannot ALTER most things in place: batch mode rebuilds the table instead.
render_as_batch = database.engine.dialect.name == "sqlite"


def run_migrations_offline() -> None:
    context.configure(url=database.engine.url.render_as_string(hide_password=False),
                      target_metadata=target_metadata, literal_binds=True, render_as_batch=render_as_batch,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def skip_empty(context_, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    with database.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          process_revision_directives=skip_empty, render_as_batch=render_as_batch,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
