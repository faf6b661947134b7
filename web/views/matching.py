"""Matching pages: an enterprise's needs, a team's live inbox and record, the staff matching console,
the bounty board. Pages render what the matching queries return; every action goes through the API."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import func, select

from matching import queries, rounds
from matching.lifecycle import OPEN, STATE_NAMES
from matching.models import NEED_KINDS, Bounty, MatchRound, Need, ServiceTeam
from profiles.models import SKILL_LEVELS, Enterprise, Pairing, Worker
from profiles.queries import trades

from ..access import readable_workers
from ..auth import current_principal, page_roles
from ..extensions import db
from . import bp


def _engine() -> rounds.Engine:
    return current_app.extensions["jx_matching"]


def _names():
    engine = _engine()
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
    needs = session.scalars(statement).all()
    open_needs = [n for n in needs if n.status in OPEN]
    # 双向选择: each open need may rank the teams a round could propose for it.
    choices = rounds.candidates(session, _engine(), open_needs)
    team_names = dict(session.execute(select(ServiceTeam.id, ServiceTeam.name)).all())
    return render("needs.html", needs=queries.needs_json(session, needs), kinds=NEED_KINDS, enterprises=enterprises,
                  field_names=field_names, place_names=place_names, choices=choices, team_names=team_names,
                  ranked=queries.rankings(session, "need", [n.id for n in open_needs]))


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
    session = db().session
    team = session.get(ServiceTeam, team_id) or abort(404)
    field_names, place_names = _names()
    # 双向选择: the open needs this team could be proposed for, which it may rank.
    open_needs = session.scalars(select(Need).where(Need.status.in_(OPEN)).order_by(Need.id)).all()
    fits = {need_id: teams[0][1] for need_id, teams in
            rounds.candidates(session, _engine(), open_needs, team_id=team_id).items() if teams}
    rankable = sorted((n for n in open_needs if n.id in fits), key=lambda n: fits[n.id])
    return render("team_inbox.html", team=team, field_names=field_names, place_names=place_names, rankable=rankable,
                  ranked=queries.rankings(session, "team", [team_id]).get(team_id, []))


@bp.get("/teams/<int(max=2147483647):team_id>")
@page_roles("admin", "hr", "team")
def team_page(team_id: int):
    session = db().session
    team = queries.team_json(session, session.get(ServiceTeam, team_id) or abort(404), record=True)
    field_names, place_names = _names()
    return render("team.html", team=team, field_names=field_names, place_names=place_names,
                  readable=readable_workers(m["worker_id"] for m in team["members"]))


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


PAIRING_CANDIDATES = 40  # per side on the page: a proposal reads a portrait per worker (about 12 ms each)


@bp.get("/pairings")
@page_roles("admin", "hr")
def pairings_page():
    """师带徒: choose apprentices and masters of one trade in one enterprise, propose pairs, sign them."""
    session = db().session
    principal = current_principal()
    enterprises = session.scalars(select(Enterprise).order_by(Enterprise.id)).all()
    if principal.role == "hr":
        enterprise_id = principal.scope.enterprise_id
    else:
        enterprise_id = request.args.get("enterprise_id", type=int) or session.scalar(
            select(Worker.enterprise_id).group_by(Worker.enterprise_id).order_by(func.count().desc()).limit(1))
    known = trades(session)
    trade = request.args.get("trade")
    if trade not in known:  # by default the enterprise's largest trade
        trade = session.scalar(select(Worker.trade).where(Worker.enterprise_id == enterprise_id, Worker.trade.in_(known))
                               .group_by(Worker.trade).order_by(func.count().desc()).limit(1)) or next(iter(known), None)
    workers = session.execute(select(Worker.id, Worker.name, Worker.skill_level)
                              .where(Worker.enterprise_id == enterprise_id, Worker.trade == trade)
                              .order_by(Worker.skill_level, Worker.id)).all()
    taught = set(session.scalars(select(Pairing.apprentice_id).where(Pairing.apprentice_id.in_([w.id for w in workers]))))
    people = [{"id": w.id, "name": w.name, "level": w.skill_level or 0, "has_master": w.id in taught} for w in workers]
    # Preselected: apprentices at level 2 or below without a master yet, masters at level 4 (技师) or above.
    apprentices = [p["id"] for p in people if p["level"] <= 2 and not p["has_master"]][:PAIRING_CANDIDATES]
    masters = [p["id"] for p in people if p["level"] >= 4][:PAIRING_CANDIDATES]
    signed = queries.pairings(session, enterprise_id=enterprise_id)[:100]
    return render("pairings.html", enterprises=enterprises if principal.role == "admin" else [],
                  enterprise_id=enterprise_id, trades=known, trade=trade, people=people, apprentices=apprentices,
                  masters=masters, signed=signed, limit=PAIRING_CANDIDATES, levels=SKILL_LEVELS,
                  readable=readable_workers({p["master_id"] for p in signed} | {p["apprentice_id"] for p in signed}))


@bp.get("/bounties")
def bounty_board():
    session = db().session
    field_names, _ = _names()
    board = [queries.bounty_json(session, b) for b in session.scalars(select(Bounty).order_by(Bounty.id.desc()))]
    return render("bounties.html", bounties=board, field_names=field_names)


def render(template: str, **context):
    return render_template(template, states=STATE_NAMES, **context)
