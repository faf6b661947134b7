"""Migrations create exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from flask_migrate import check, upgrade

from tests.web.conftest import make_app


def _upgrade_then_check(url: str) -> None:
    app = make_app(url)  # runs upgrade()
    try:
        with app.app_context():
            upgrade()  # a second upgrade is a no-op
            check()  # exits 1 if models and migrations differ
    finally:
        app.extensions["jx_db"].engine.dispose()


def test_sqlite_upgrade_then_check_finds_nothing_to_generate(tmp_path):
    _upgrade_then_check(f"sqlite:///{tmp_path / 'm.sqlite'}")


def test_postgresql_upgrade_then_check_finds_nothing_to_generate(empty_postgres_url):
    _upgrade_then_check(empty_postgres_url)


def test_check_fails_when_a_model_has_no_migration(tmp_path):
    from sqlalchemy import Column, Integer, Table

    from profiles.db import Base

    probe = Table("probe_unmigrated", Base.metadata, Column("id", Integer, primary_key=True))
    try:
        app = make_app(f"sqlite:///{tmp_path / 'x.sqlite'}")
        with app.app_context(), pytest.raises(SystemExit):  # Flask-Migrate exits 1 on a diff
            check()
        app.extensions["jx_db"].engine.dispose()
    finally:
        Base.metadata.remove(probe)
