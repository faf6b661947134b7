"""Craftsman selection (工匠遴选) over the API: rounds, applications, reviews, results."""

from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from profiles import selection
from profiles.models import SelectionApplication, SelectionRound, Worker

from ..access import may_apply_for
from ..auth import current_principal, require_roles
from ..extensions import db
from .schemas import ROW_ID, Strict

blp = Blueprint("selection", __name__, url_prefix="/api/v1", description="Craftsman selection rounds (工匠遴选)")
SIGNED_IN = {"security": [{"bearer": []}]}


class RoundIn(Strict):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,59}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    year = fields.Integer(required=True, validate=validate.Range(2000, 2100),
                          metadata={"description": "Evidence counts back from this year"})
    model = fields.String(load_default="craftsman-selection",
                          metadata={"description": "Points model in scoring_rules/rulesets/selection/"})


class ApplicationIn(Strict):
    worker_id = fields.Integer(required=True, validate=ROW_ID)
    statement = fields.String(load_default="", validate=validate.Length(max=5000),
                              metadata={"description": "申报材料: the applicant's own account"})


class ReviewIn(Strict):
    department = fields.String(required=True, validate=validate.Length(min=1, max=50))
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "return"]))
    reason = fields.String(load_default="", validate=validate.Length(max=2000),
                           metadata={"description": "Required for a return: what the applicant must fix"})


class CriterionOut(Schema):
    code = fields.String()
    name = fields.String()
    name_en = fields.String()
    weight = fields.String()
    cap = fields.String()


class RoundOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    year = fields.Integer()
    status = fields.String()
    model = fields.String()
    model_digest = fields.String()
    departments = fields.List(fields.String())
    top_n = fields.Integer()
    criteria = fields.List(fields.Nested(CriterionOut))


class DecisionOut(Schema):
    submission = fields.Integer()
    kind = fields.String(metadata={"description": "submit | approve | return | result"})
    department = fields.String(allow_none=True)
    reason = fields.String()
    actor = fields.String()
    at = fields.DateTime()


class ApplicationOut(Schema):
    id = fields.Integer()
    round = fields.String()
    worker_id = fields.Integer()
    name = fields.String()
    status = fields.String(metadata={"description": "submitted | returned | approved"})
    submission = fields.Integer()
    total = fields.String(metadata={"description": "Exact points total"})
    breakdown = fields.Dict(metadata={"description": "Per criterion: points, score (0–100), the items counted"})
    pending = fields.List(fields.String(), metadata={"description": "Departments still to decide"})
    result = fields.String(allow_none=True)
    result_rank = fields.Integer(allow_none=True)
    result_reason = fields.String(allow_none=True)
    history = fields.List(fields.Nested(DecisionOut))


class StandingOut(Schema):
    application_id = fields.Integer()
    worker_id = fields.Integer()
    name = fields.String()
    status = fields.String()
    total = fields.String()
    rank = fields.Integer(allow_none=True, metadata={"description": "Among applications not returned"})
    best = fields.Integer(allow_none=True, metadata={"description": "Best rank with every weight moved ±10%"})
    worst = fields.Integer(allow_none=True)
    in_top_share = fields.Float(allow_none=True, metadata={"description": "Share of moved weightings in the top n"})
    result = fields.String(allow_none=True)


class StandingsOut(Schema):
    round = fields.Nested(RoundOut)
    weightings = fields.Integer(allow_none=True, metadata={"description": "Weightings tried (3^criteria)"})
    same_top_set = fields.Float(allow_none=True, metadata={"description": "Share keeping the same top n people"})
    same_top_order = fields.Float(allow_none=True)
    standings = fields.List(fields.Nested(StandingOut))


def round_json(round_: SelectionRound) -> dict:
    model = selection.model_of(round_)
    return {"id": round_.id, "code": round_.code, "name": round_.name, "year": round_.year, "status": round_.status,
            "model": f"{model.name} v{model.version}", "model_digest": round_.model_digest,
            "departments": list(model.departments), "top_n": model.top_n,
            "criteria": [{"code": c.code, "name": c.name, "name_en": c.name_en, "weight": str(c.weight),
                          "cap": str(c.cap)} for c in model.criteria]}


def application_json(session, application: SelectionApplication) -> dict:
    round_ = session.get(SelectionRound, application.round_id)
    worker = session.get(Worker, application.worker_id)
    pending = (selection.pending_departments(session, application, selection.model_of(round_))
               if application.status == "submitted" else [])
    return {"id": application.id, "round": round_.code, "worker_id": worker.id, "name": worker.name,
            "status": application.status, "submission": application.submission, "total": application.total,
            "breakdown": application.breakdown, "pending": pending, "result": application.result,
            "result_rank": application.result_rank, "result_reason": application.result_reason,
            "history": selection.history(session, application.id)}


def standings_json(session, round_: SelectionRound) -> dict:
    rows, stability = selection.standings(session, round_.id)
    return {"round": round_json(round_),
            "weightings": stability.weightings if stability else None,
            "same_top_set": stability.same_top_set if stability else None,
            "same_top_order": stability.same_top_order if stability else None,
            "standings": [{"application_id": s.application.id, "worker_id": s.worker.id, "name": s.worker.name,
                           "status": s.application.status, "total": s.application.total, "rank": s.rank,
                           "best": s.best, "worst": s.worst, "in_top_share": s.in_top_share,
                           "result": s.application.result} for s in rows]}


def _round(code: str) -> SelectionRound:
    round_ = db().session.scalar(select(SelectionRound).where(SelectionRound.code == code))
    if round_ is None:
        abort(404, f"no selection round {code}")
    return round_


@blp.route("/selection/rounds")
class Rounds(MethodView):
    @blp.response(200, RoundOut(many=True))
    def get(self):
        """Every selection round, newest first (public: selection is announced openly)."""
        session = db().session
        return [round_json(r) for r in session.scalars(select(SelectionRound).order_by(SelectionRound.id.desc()))]

    @require_roles("admin")
    @blp.arguments(RoundIn)
    @blp.response(201, RoundOut)
    @blp.alt_response(409, description="A round with this code exists")
    @blp.alt_response(422, description="Unknown points model")
    @blp.doc(**SIGNED_IN)
    def post(self, body):
        """Open a round; its points model is frozen now (staff)."""
        session = db().session
        round_ = selection.open_round(session, code=body["code"], name=body["name"], year=body["year"],
                                      model_code=body["model"])
        session.commit()
        return round_json(round_)


@blp.route("/selection/rounds/<code>")
class Standings(MethodView):
    @blp.response(200, StandingsOut)
    @blp.alt_response(404, description="No such round")
    def get(self, code: str):
        """The round's ranking (公示, public) with how stable the top places are when every weight
        moves by ±10%: each applicant's best and worst rank, the share of weightings keeping them
        in the top n."""
        return standings_json(db().session, _round(code))


@blp.route("/selection/rounds/<code>/applications")
class Applications(MethodView):
    @require_roles("admin", "hr", "contestant")
    @blp.arguments(ApplicationIn)
    @blp.response(201, ApplicationOut)
    @blp.alt_response(403, description="Not for this worker")
    @blp.alt_response(404, description="No such round or worker")
    @blp.alt_response(409, description="Round closed, or applied already (and not returned)")
    @blp.doc(**SIGNED_IN)
    def post(self, body, code: str):
        """Apply, or reapply after a return: the record is scored now and every department reviews
        afresh."""
        session = db().session
        round_ = _round(code)
        may_apply_for(body["worker_id"])
        application = selection.submit(session, round_.id, body["worker_id"], statement=body["statement"],
                                       actor=current_principal().scope.principal)
        session.commit()
        return application_json(session, application)


@blp.route("/selection/applications/<int(max=2147483647):application_id>")
class ApplicationView(MethodView):
    @require_roles("admin", "hr", "contestant")
    @blp.response(200, ApplicationOut)
    @blp.alt_response(403, description="Not staff, not the worker's HR, not the worker")
    @blp.alt_response(404, description="No such application")
    @blp.doc(**SIGNED_IN)
    def get(self, application_id: int):
        """One application with its points breakdown and every decision and reason."""
        session = db().session
        application = session.get(SelectionApplication, application_id)
        if application is None:
            abort(404, f"no application {application_id}")
        may_apply_for(application.worker_id)
        return application_json(session, application)


@blp.route("/selection/applications/<int(max=2147483647):application_id>/reviews")
class Reviews(MethodView):
    @require_roles("admin")
    @blp.arguments(ReviewIn)
    @blp.response(201, ApplicationOut)
    @blp.alt_response(404, description="No such application")
    @blp.alt_response(409, description="Not awaiting review, or this department decided already")
    @blp.alt_response(422, description="Not a reviewing department, or a return without a reason")
    @blp.doc(**SIGNED_IN)
    def post(self, body, application_id: int):
        """A department's decision on the current submission (staff reviewing for that department)."""
        session = db().session
        application = selection.review(session, application_id, department=body["department"],
                                       approve=body["decision"] == "approve", reason=body["reason"],
                                       actor=current_principal().scope.principal)
        session.commit()
        return application_json(session, application)


@blp.route("/selection/rounds/<code>/close")
class Close(MethodView):
    @require_roles("admin")
    @blp.response(200, StandingsOut)
    @blp.alt_response(404, description="No such round")
    @blp.alt_response(409, description="Closed already")
    @blp.doc(**SIGNED_IN)
    def post(self, code: str):
        """Close the round and publish the result, every applicant with a reason (staff)."""
        session = db().session
        round_ = _round(code)
        selection.close_round(session, round_.id, actor=current_principal().scope.principal)
        session.commit()
        return standings_json(session, round_)
