"""Flask CLI commands: ``flask --app wsgi seed-demo | verify-chain | replay``."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from competition import eventlog, readmodel
from competition.demo import seed_demo
from competition.models import Contest

from .extensions import db


def _contest(session, code: str) -> Contest:
    contest = session.scalar(select(Contest).where(Contest.code == code))
    if contest is None:
        raise click.ClickException(f"no contest {code!r}")
    return contest


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when any contest exists already.")
    def seed_demo_command(if_empty: bool) -> None:
        """Load the demo contests (three sites each, marks in progress)."""
        session = db().session
        if if_empty and session.scalar(select(Contest.id).limit(1)) is not None:
            click.echo("demo: contests exist already, nothing loaded")
            return
        contests = seed_demo(session)
        session.commit()
        for contest in contests:
            click.echo(f"demo: contest {contest.code} with {contest.last_seq} events")

    @app.cli.command("verify-chain")
    @click.argument("code")
    def verify_chain_command(code: str) -> None:
        """Recompute the hash chain of a contest's event log; exit 1 if anything was altered."""
        session = db().session
        report = eventlog.verify_chain(session, _contest(session, code).id)
        if report.ok:
            click.echo(f"OK: {code}: {report.events} events, chain intact")
            return
        for problem in report.problems:
            click.echo(f"BROKEN: {code}: {problem}", err=True)
        raise SystemExit(1)

    @app.cli.command("replay")
    @click.argument("code")
    @click.option("--top", default=10, show_default=True)
    def replay_command(code: str, top: int) -> None:
        """Rebuild a contest's results from its log and print the top of the board."""
        session = db().session
        projection = readmodel.rebuild(session, _contest(session, code).id)
        click.echo(f"{code}: replayed {projection.seq} events")
        for row in projection.board(limit=top):
            click.echo(f"{row.rank:>4}  #{row.contestant_id:<6} {row.result.total:>8}")
