"""The staff console: contests, their state, big-screen links and the actions that run a contest."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from competition.models import Contest, Contestant, DisplayLink, Referee

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
    return render_template("console.html", contests=contests, counts=counts, referees=referees, links=links,
                           status_labels=STATUS_LABELS)
