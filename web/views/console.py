"""The staff console: create and set up contests, run them, assign panels, big-screen links."""

from __future__ import annotations

from flask import abort, render_template
from sqlalchemy import func, select

from competition.clock import load_clock
from competition.models import Contest, Contestant, DisplayLink, Referee
from competition.setup import ruleset_of

from ..api.setup import bundled_rulesets
from ..auth import page_roles
from ..extensions import db
from . import bp
from .public import STATUS_LABELS


@bp.get("/console")
@page_roles("admin")
def console():
    session = db().session
    contests = session.scalars(select(Contest).order_by(Contest.id)).all()
    counts = dict(session.execute(select(Contestant.contest_id, func.count()).group_by(Contestant.contest_id)).all())
    referees = dict(session.execute(select(Referee.contest_id, func.count()).group_by(Referee.contest_id)).all())
    links = {}
    for link in session.scalars(select(DisplayLink).where(DisplayLink.revoked_at.is_(None)).order_by(DisplayLink.id)):
        links.setdefault(link.contest_id, []).append(link)
    # Which sites stand paused, and since when (server time), for the running contests.
    paused = {}
    for contest in contests:
        if contest.status == "running":
            clock = load_clock(session, contest.id)
            paused[contest.id] = {site.id: clock.paused_since(site.id) for site in contest.sites}
    return render_template("console.html", contests=contests, counts=counts, referees=referees, links=links,
                           paused=paused, stages={c.id: ruleset_of(c).stages for c in contests},
                           rulesets=[(code, r) for code, r in bundled_rulesets()], status_labels=STATUS_LABELS)


@bp.get("/console/<code>/panels")
@page_roles("admin")
def console_panels(code: str):
    contest = db().session.scalar(select(Contest).where(Contest.code == code))
    if contest is None:
        abort(404)
    return render_template("panels.html", contest=contest, status_labels=STATUS_LABELS)
