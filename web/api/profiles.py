"""Worker profiles: skill resume, ability portrait, and the craftsman-star ranking (匠星排行)."""

from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from profiles import queries

from ..access import may_read_worker
from ..extensions import db
from .schemas import ROW_ID, Strict

blp = Blueprint("profiles", __name__, url_prefix="/api/v1", description="Worker profiles and the star ranking")


class RankingQuery(Strict):
    trade = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"description": "工种 trade"})
    region = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "Only this city"})
    enterprise = fields.Integer(validate=ROW_ID, metadata={"description": "Only this enterprise"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class RankingRowOut(Schema):
    shown_rank = fields.Integer(metadata={"description": "1 + entries whose interval lies wholly above this one"})
    tied = fields.Boolean(metadata={"description": "shares its place (并列): intervals overlap"})
    worker_id = fields.Integer()
    name = fields.String()
    enterprise = fields.String()
    region = fields.String()
    mu = fields.Float(metadata={"description": "Plackett-Luce skill estimate"})
    sigma = fields.Float(metadata={"description": "its uncertainty"})
    low = fields.Float()
    high = fields.Float()
    contests = fields.Integer()
    provisional = fields.Boolean(metadata={"description": "fewer than 3 contests (新人)"})


class DimensionOut(Schema):
    dimension = fields.String()
    score = fields.Float(allow_none=True, metadata={"description": "0–100 (population percentile); null: evidence insufficient"})
    low = fields.Float(allow_none=True)
    high = fields.Float(allow_none=True)
    z = fields.Float()
    se = fields.Float(allow_none=True)
    sufficient = fields.Boolean()


class GapOut(Schema):
    dimension = fields.String()
    required = fields.Float()
    score = fields.Float(allow_none=True)
    verdict = fields.String(metadata={"description": "strength | meets | gap | unknown"})


class PortraitOut(Schema):
    worker_id = fields.Integer()
    trade = fields.String()
    post = fields.String(allow_none=True)
    dimensions = fields.List(fields.Nested(DimensionOut))
    gaps = fields.List(fields.Nested(GapOut))


class ResumeOut(Schema):
    id = fields.Integer()
    name = fields.String()
    trade = fields.String()
    staff_no = fields.String(allow_none=True)
    enterprise = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    workshop = fields.String(allow_none=True)
    team = fields.String(allow_none=True)
    post = fields.String(allow_none=True)
    skill_level = fields.Dict(allow_none=True)
    certificates = fields.List(fields.Dict())
    contests = fields.List(fields.Dict())
    honours = fields.List(fields.Dict())
    innovations = fields.List(fields.Dict())
    contributions = fields.List(fields.Dict())
    services = fields.List(fields.Dict())
    pairings = fields.List(fields.Dict())
    star = fields.Dict(allow_none=True)


def portrait_json(shown: queries.Portrait) -> dict:
    def dimension(d):
        return {"dimension": d.dimension, "score": d.score, "low": d.low, "high": d.high, "z": round(d.z, 3),
                "se": None if d.se == float("inf") else round(d.se, 3), "sufficient": d.sufficient}
    return {"worker_id": shown.worker_id, "trade": shown.trade, "post": shown.post,
            "dimensions": [dimension(d) for d in shown.dimensions],
            "gaps": [{"dimension": g.dimension, "required": g.required, "score": g.score, "verdict": g.verdict}
                     for g in shown.gaps]}


@blp.route("/rankings")
class Ranking(MethodView):
    @blp.arguments(RankingQuery, location="query")
    @blp.response(200, RankingRowOut(many=True))
    def get(self, query):
        """The craftsman-star ranking of one trade (public): best estimate first, overlapping
        intervals shown as tied, newcomers marked provisional."""
        return queries.star_ranking(db().session, query["trade"], region=query.get("region"),
                                    enterprise_id=query.get("enterprise"), limit=query["limit"])


@blp.route("/workers/<int(max=2147483647):worker_id>/resume")
class Resume(MethodView):
    @blp.response(200, ResumeOut)
    @blp.alt_response(401, description="Not signed in")
    @blp.alt_response(403, description="Not staff and not this worker")
    @blp.alt_response(404, description="No such worker")
    def get(self, worker_id: int):
        """The skill resume (技能简历) of one worker."""
        may_read_worker(worker_id)
        try:
            return queries.resume(db().session, worker_id)
        except queries.WorkerNotFound:
            abort(404, f"no worker {worker_id}")


@blp.route("/workers/<int(max=2147483647):worker_id>/portrait")
class PortraitView(MethodView):
    @blp.response(200, PortraitOut)
    @blp.alt_response(401, description="Not signed in")
    @blp.alt_response(403, description="Not staff and not this worker")
    @blp.alt_response(404, description="No such worker")
    def get(self, worker_id: int):
        """The ability portrait (能力画像): per dimension a 0–100 score with its 95% interval, or
        null where the evidence is insufficient; gaps against the worker's post standard."""
        may_read_worker(worker_id)
        try:
            return portrait_json(queries.portrait_of(db().session, worker_id))
        except queries.WorkerNotFound:
            abort(404, f"no worker {worker_id}")
