"""Contests and their public boards (read-only, no sign-in needed)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from competition.access import contest_by_code
from competition.livefeed import board_rows, load_roster
from competition.models import Contest
from competition.setup import ruleset_of

from ..extensions import db, projections
from .schemas import BoardOut, BoardQuery, ContestOut

blp = Blueprint("contests", __name__, url_prefix="/api/v1/contests", description="Contests and live boards")


def contest_json(contest: Contest) -> dict:
    ruleset = ruleset_of(contest)
    return {"code": contest.code, "name": contest.name, "status": contest.status, "last_seq": contest.last_seq,
            "ruleset": {"code": ruleset.code, "name": ruleset.name, "version": ruleset.version,
                        "total": str(ruleset.total)},
            "sites": [{"id": s.id, "code": s.code, "name": s.name, "city": s.city} for s in contest.sites],
            "stages": [{"code": s.code, "name": s.name, "position": s.position, "time_limit_s": s.time_limit_s}
                       for s in contest.stages]}


@blp.route("")
class Contests(MethodView):
    @blp.response(200, ContestOut(many=True))
    def get(self):
        """Every contest, oldest first."""
        return [contest_json(c) for c in db().session.scalars(select(Contest).order_by(Contest.id))]


@blp.route("/<code>")
class ContestDetail(MethodView):
    @blp.response(200, ContestOut)
    @blp.alt_response(404, description="No such contest")
    def get(self, code: str):
        """One contest: status, rule set, sites and stages."""
        return contest_json(contest_by_code(db().session, code))


@blp.route("/<code>/board")
class Board(MethodView):
    @blp.arguments(BoardQuery, location="query")
    @blp.response(200, BoardOut)
    @blp.alt_response(404, description="No such contest")
    def get(self, query, code: str):
        """The public board: overall, or one site's (``site``), best first."""
        session = db().session
        contest = contest_by_code(session, code)
        roster = load_roster(session, contest.id)
        with projections().reading(session, contest.id) as projection:
            rows = board_rows(projection, roster)
            seq, progress = projection.seq, projection.level_progress()
        site = query.get("site")
        if site is not None:
            ordered = sorted((r for r in rows.values() if r["site_id"] == site), key=lambda r: r["site_rank"])
        else:
            ordered = sorted(rows.values(), key=lambda r: r["rank"])
        return {"contest": contest.code, "seq": seq, "rows": ordered[:query.get("limit")],
                "progress": {str(s): c for s, c in progress.items()}}
