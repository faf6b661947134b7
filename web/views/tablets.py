"""The referee's and the contestant's tablet pages (data comes from the API and /live)."""

from __future__ import annotations

from flask import render_template

from competition.models import Contest, Contestant, Referee

from ..auth import current_principal, page_roles
from ..extensions import db
from . import bp


@bp.get("/referee")
@page_roles("referee")
def referee_tablet():
    session = db().session
    referee = session.get(Referee, current_principal().ident)
    contest = session.get(Contest, referee.contest_id)
    return render_template("referee.html", referee=referee, contest=contest)


@bp.get("/tablet")
@page_roles("contestant")
def contestant_tablet():
    session = db().session
    contestant = session.get(Contestant, current_principal().ident)
    contest = session.get(Contest, contestant.contest_id)
    return render_template("contestant.html", contestant=contestant, contest=contest)
