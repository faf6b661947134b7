"""Flask CLI commands: ``flask --app wsgi seed-demo | verify-chain | replay``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import select

from competition import eventlog, readmodel
from competition.demo import seed_demo
from competition.demo import DEMO_ADMIN, DEMO_CONTESTANT_PIN, DEMO_REFEREE_PIN
from competition.models import Contest, DisplayLink
from matching.demo import DEMO_TEAM, seed_matching
from profiles.demo import seed_population
from profiles.models import ContestOutcome

from .extensions import db


def _contest(session, code: str) -> Contest:
    contest = session.scalar(select(Contest).where(Contest.code == code))
    if contest is None:
        raise click.ClickException(f"no contest {code!r}")
    return contest


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when any contest exists already.")
    @click.option("--population", default=3000, show_default=True,
                  help="Workers with a contest history for profiles and the star ranking (0: none).")
    def seed_demo_command(if_empty: bool, population: int) -> None:
        """Load the demo contests (three sites each, marks in progress)."""
        session = db().session
        if if_empty and session.scalar(select(Contest.id).limit(1)) is not None:
            click.echo("demo: contests exist already, nothing loaded")
            return
        contests = seed_demo(session)
        session.commit()
        for contest in contests:
            click.echo(f"demo: contest {contest.code} with {contest.last_seq} events")
        if population and session.scalar(select(ContestOutcome.id).limit(1)) is None:
            made = seed_population(session, workers=population)
            session.commit()
            click.echo(f"demo: {made['workers']} workers with {made['contests']} past contests, "
                       f"{made['certificates']} certificates, {made['answers']} quiz answers")
        made = seed_matching(session, current_app.extensions["jx_matching"])
        session.commit()
        if made["teams"]:
            click.echo(f"demo: {made['teams']} service teams, {made['needs']} needs, a proposed matching round")

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

    @app.cli.command("demo-links")
    @click.option("--base", default="http://127.0.0.1:5000", show_default=True, help="Where the server is reached.")
    def demo_links_command(base: str) -> None:
        """Print the demo's sign-ins and big-screen links."""
        session = db().session
        click.echo(f"    工作人员 Staff console   {base}/console   (登录 {DEMO_ADMIN[0]} / {DEMO_ADMIN[1]})")
        click.echo(f"    裁判平板 Referee tablet   {base}/login?role=referee   (e.g. WZ-R1 / PIN {DEMO_REFEREE_PIN})")
        click.echo(f"    选手平板 Contestant tablet {base}/login?role=contestant   (e.g. WZ001 / PIN {DEMO_CONTESTANT_PIN})")
        click.echo(f"    匹配 Matching console     {base}/matching   (服务队 Team: {DEMO_TEAM[0]} / {DEMO_TEAM[1]})")
        click.echo(f"    API 文档 API docs         {base}/api/v1/docs")
        for link, code in session.execute(select(DisplayLink, Contest.code).join(Contest)
                                          .where(DisplayLink.revoked_at.is_(None)).order_by(DisplayLink.id)):
            click.echo(f"    大屏 {code:8} {link.label:24} {base}/screen/{link.token}")

    @app.cli.command("simulate")
    @click.argument("code")
    @click.option("--base", default="http://127.0.0.1:5000", show_default=True, help="The running server.")
    @click.option("--rate", default=4.0, show_default=True, help="Actions per second.")
    @click.option("--duration", type=float, default=None, help="Stop after this many seconds.")
    @click.option("--referee-pin", default=DEMO_REFEREE_PIN, show_default=True)
    @click.option("--contestant-pin", default=DEMO_CONTESTANT_PIN, show_default=True)
    def simulate_command(code: str, base: str, rate: float, duration: float | None, referee_pin: str,
                         contestant_pin: str) -> None:
        """Drive a running contest with simulated referees and contestants, through the real API."""
        from .simulate import Simulator, http_transport

        session = db().session
        try:
            simulator = Simulator(session, code, http_transport(base), referee_pin, contestant_pin, log=click.echo)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"simulate: {code} at {base}, {rate}/s; open a big screen to watch (flask demo-links)")
        try:
            simulator.run(rate=rate, duration=duration)
        except (OSError, PermissionError) as exc:
            raise click.ClickException(f"cannot reach or sign in to {base}: {exc}") from None
