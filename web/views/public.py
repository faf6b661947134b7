"""Public pages: the contest list and each contest's board."""

from __future__ import annotations

from flask import abort, current_app, render_template
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from competition.models import Contest, Contestant, Site
from competition.setup import ruleset_of

from ..extensions import db, read_projection
from . import bp

STATUS_LABELS = {"draft": "筹备中 Draft", "running": "进行中 Running", "ended": "已结束 Ended",
                 "finalized": "已定榜 Final"}


@bp.get("/")
def index():
    session = db().session
    rows = session.execute(
        select(Contest, func.count(Contestant.id))
        .outerjoin(Contestant, Contestant.contest_id == Contest.id)
        .group_by(Contest.id).order_by(Contest.id)
    ).all()
    contests = [{"contest": c, "contestants": n, "ruleset": ruleset_of(c),
                 "status": STATUS_LABELS.get(c.status, c.status)} for c, n in rows]
    return render_template("index.html", contests=contests)


@bp.get("/contests/<code>")
def contest_board(code: str):
    session = db().session
    contest = session.scalar(select(Contest).where(Contest.code == code))
    if contest is None:
        abort(404)
    contestants = {c.id: c for c in session.scalars(
        select(Contestant).where(Contestant.contest_id == contest.id)
        .options(selectinload(Contestant.worker), selectinload(Contestant.enterprise)))}
    sites = {s.id: s for s in session.scalars(select(Site).where(Site.contest_id == contest.id))}
    # The public page shows what the big screens show: during a freeze, the board as it stood.
    frozen = current_app.extensions["jx_publisher"].frozen_projection(contest.id)
    if frozen is not None:
        projection = frozen[0]
        board, progress, seq = projection.board(), projection.level_progress(), projection.seq
    else:
        with read_projection(contest.id) as projection:
            board, progress, seq = projection.board(), projection.level_progress(), projection.seq
    return render_template(
        "contest.html", contest=contest, ruleset=ruleset_of(contest), board=board, frozen=frozen is not None,
        contestants=contestants, sites=sites, progress=progress, seq=seq,
        status=STATUS_LABELS.get(contest.status, contest.status),
    )
