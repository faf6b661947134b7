"""REST API under /api/v1."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import select

from competition.models import Contest, Contestant
from competition.setup import ruleset_of

from ..extensions import db, projections

bp = Blueprint("api", __name__)


@bp.get("/contests")
def list_contests():
    session = db().session
    contests = session.scalars(select(Contest).order_by(Contest.id))
    return jsonify([{"code": c.code, "name": c.name, "status": c.status, "ruleset": ruleset_of(c).code,
                     "last_seq": c.last_seq} for c in contests])


@bp.get("/contests/<code>/board")
def contest_board(code: str):
    session = db().session
    contest = session.scalar(select(Contest).where(Contest.code == code))
    if contest is None:
        return jsonify({"error": "not_found", "message": f"no contest {code!r}"}), 404
    projection = projections().current(session, contest.id)
    tickets = dict(session.execute(select(Contestant.id, Contestant.ticket_no)
                                   .where(Contestant.contest_id == contest.id)).all())
    return jsonify({
        "contest": contest.code, "seq": projection.seq,
        "rows": [{"rank": row.rank, "ticket_no": tickets[row.contestant_id], "site_id": row.site_id,
                  "total": str(row.result.total), "complete": row.result.complete,
                  "flags": list(row.result.flags)} for row in projection.board()],
    })
