"""Big screens (1920×1080): opened by a read-only display link, no sign-in."""

from __future__ import annotations

from flask import abort, render_template

from competition.access import display_link
from competition.models import Contest
from competition.setup import ruleset_of

from ..extensions import db
from . import bp


@bp.get("/screen/<token>")
def screen(token: str):
    session = db().session
    link = display_link(session, token)
    if link is None:
        abort(404)
    contest = session.get(Contest, link.contest_id)
    ruleset = ruleset_of(contest)
    return render_template("screen.html", link=link, contest=contest, ruleset=ruleset,
                           sites=[{"id": s.id, "code": s.code, "name": s.name, "city": s.city} for s in contest.sites],
                           stages=[{"code": s.code, "name": s.name} for s in ruleset.stages])
