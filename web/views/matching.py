"""Matching pages: an enterprise's needs, a team's live inbox and record, the staff matching console,
the bounty board. Pages render what the matching queries return; every action goes through the API."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, url_for
from sqlalchemy import select

from matching import queries
from matching.lifecycle import STATE_NAMES
from matching.models import NEED_KINDS, Bounty, MatchRound, Need, ServiceTeam
from profiles.models import Enterprise

from ..auth import current_principal, page_roles
from ..extensions import db
from . import bp


def _names():
    engine = current_app.extensions["jx_matching"]
    return ({f.code: f.name for f in engine.taxonomy.fields}, {p.code: p.name for p in engine.geography.places})


@bp.get("/needs")
@page_roles("admin", "hr")
def needs_page():
    session = db().session
    principal = current_principal()
    statement = select(Need).order_by(Need.id.desc()).limit(300)
    if principal.role == "hr":
        statement = statement.where(Need.enterprise_id == principal.scope.enterprise_id)
    field_names, place_names = _names()
    enterprises = (session.scalars(select(Enterprise).order_by(Enterprise.id)).all()
                   if principal.role == "admin" else [])
    return render("needs.html", needs=queries.needs_json(session, session.scalars(statement)),
                  kinds=NEED_KINDS, enterprises=enterprises, field_names=field_names, place_names=place_names)


@bp.get("/team")
@page_roles("team")
def team_inbox():
    return redirect(url_for("views.team_inbox_page", team_id=current_principal().scope.service_team_id))


@bp.get("/teams/<int(max=2147483647):team_id>/inbox")
@page_roles("admin", "team")
def team_inbox_page(team_id: int):
    principal = current_principal()
    if principal.role == "team" and principal.scope.service_team_id != team_id:
        abort(403)
    team = db().session.get(ServiceTeam, team_id) or abort(404)
    field_names, place_names = _names()
    return render("team_inbox.html", team=team, field_names=field_names, place_names=place_names)


@bp.get("/teams/<int(max=2147483647):team_id>")
@page_roles("admin", "hr", "team")
def team_page(team_id: int):
    session = db().session
    team = session.get(ServiceTeam, team_id) or abort(404)
    field_names, place_names = _names()
    return render("team.html", team=queries.team_json(session, team, record=True), field_names=field_names,
                  place_names=place_names)


@bp.get("/matching")
@page_roles("admin")
def matching_console():
    session = db().session
    latest = session.scalar(select(MatchRound).order_by(MatchRound.id.desc()).limit(1))
    teams = session.scalars(select(ServiceTeam).order_by(ServiceTeam.id)).all()
    field_names, place_names = _names()
    open_needs = session.scalar(select(Need.id).where(Need.status.in_(("posted", "proposed"))).limit(1)) is not None
    return render("matching.html", round=queries.round_json(session, latest) if latest else None,
                  rules=queries.rules(session), teams=teams, field_names=field_names, place_names=place_names,
                  open_needs=open_needs)


@bp.get("/bounties")
def bounty_board():
    session = db().session
    field_names, _ = _names()
    board = [queries.bounty_json(session, b) for b in session.scalars(select(Bounty).order_by(Bounty.id.desc()))]
    return render("bounties.html", bounties=board, field_names=field_names)


def render(template: str, **context):
    return render_template(template, states=STATE_NAMES, **context)
