"""The staff console: create and set up contests, run them, assign panels, big-screen links."""

from __future__ import annotations

from flask import abort, render_template, request
from sqlalchemy import func, select

from competition.clock import load_clock
from competition.errors import InvalidState
from competition.livefeed import load_roster, load_sites
from competition.models import Contest, Contestant, DisplayLink, Referee
from competition.setup import ruleset_of

from ..api.setup import bundled_rulesets
from ..auth import page_roles
from ..api.contests import contest_severity
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


@bp.get("/console/<code>/severity")
@page_roles("admin")
def console_severity(code: str):
    """Referee severity across sites and fair judgement scores; when the sites share no referee, why
    not, and the choice to assume equally able sites."""
    session = db().session
    contest = session.scalar(select(Contest).where(Contest.code == code))
    if contest is None:
        abort(404)
    assume = request.args.get("assume_equal_sites") == "1"
    report, refusal = None, None
    try:
        report = contest_severity(contest.id, assume_equal_sites=assume)
    except InvalidState as refused:
        refusal = str(refused)
    return render_template("severity.html", contest=contest, report=report, refusal=refusal, assume=assume,
                           roster=load_roster(session, contest.id), sites=load_sites(session, contest.id),
                           status_labels=STATUS_LABELS)
