"""Enterprise talent analysis over the API: post standards, workforce structure, 一企一档 report."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from profiles import analysis, imports

from ..auth import current_principal, require_roles
from ..extensions import db
from ..access import may_read_enterprise
from .schemas import Strict

blp = Blueprint("talent", __name__, url_prefix="/api/v1",
                description="Enterprise talent analysis: post standards, workforce structure, report")
SIGNED_IN = {"security": [{"bearer": []}]}


class WorkforceQuery(Strict):
    by = fields.String(load_default="post", validate=validate.OneOf(analysis.GROUPINGS),
                       metadata={"description": "Group by post (岗位), team (班组) or workshop (车间)"})


class DimensionSummaryOut(Schema):
    dimension = fields.String()
    mean = fields.Float(allow_none=True, metadata={"description": "Mean 0–100 score of members with enough evidence"})
    assessed = fields.Integer()
    required = fields.Float(allow_none=True, metadata={"description": "Mean requirement of the members' posts"})
    below = fields.Integer(metadata={"description": "Members whose 95% interval lies wholly below the standard"})
    above = fields.Integer()
    meets = fields.Integer()
    verdict = fields.String(metadata={"description": "gap | strength | meets | unknown"})


class GroupOut(Schema):
    kind = fields.String()
    name = fields.String()
    trade = fields.String()
    headcount = fields.Integer()
    levels = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "Skill level (1–5, 0 = none) → headcount"})
    dimensions = fields.List(fields.Nested(DimensionSummaryOut))


class FindingOut(Schema):
    post = fields.String()
    trade = fields.String()
    dimension = fields.String()
    mean = fields.Float(allow_none=True)
    required = fields.Float(allow_none=True)
    count = fields.Integer()
    judged = fields.Integer()


class ReportOut(Schema):
    enterprise = fields.Function(lambda r: r.enterprise.name)
    headcount = fields.Integer()
    levels = fields.List(fields.Tuple((fields.String(), fields.Integer())))
    senior_share = fields.Float()
    star_top100 = fields.Integer()
    honours = fields.Integer()
    innovations = fields.Integer()
    insufficient_share = fields.Float()
    strengths = fields.List(fields.Nested(FindingOut))
    gaps = fields.List(fields.Nested(FindingOut))
    suggestions = fields.List(fields.String())


class StandardIn(Strict):
    required = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=100)),
                           values=fields.Float(allow_nan=False), required=True,
                           metadata={"description": "dimension → required level on the portrait's 0–100 scale"})


class StandardOut(Schema):
    post_id = fields.Integer()
    required = fields.Dict(keys=fields.String(), values=fields.Float())


def group_json(group: analysis.Group) -> dict:
    return {"kind": group.kind, "name": group.name, "trade": group.trade, "headcount": group.headcount,
            "levels": {str(k): v for k, v in sorted(group.levels.items())},
            "dimensions": [{**vars(d), "verdict": d.verdict} for d in group.dimensions]}


@blp.route("/enterprises/<int(max=2147483647):enterprise_id>/workforce")
class Workforce(MethodView):
    @require_roles("admin", "hr")
    @blp.arguments(WorkforceQuery, location="query")
    @blp.response(200, GroupOut(many=True))
    @blp.alt_response(403, description="HR of another enterprise")
    @blp.alt_response(404, description="No such enterprise")
    @blp.doc(**SIGNED_IN)
    def get(self, query, enterprise_id: int):
        """Ability structure of an enterprise's workforce by post, team or workshop (staff, its HR)."""
        may_read_enterprise(enterprise_id)
        return [group_json(g) for g in analysis.workforce(db().session, enterprise_id, by=query["by"])]


@blp.route("/enterprises/<int(max=2147483647):enterprise_id>/report")
class Report(MethodView):
    @require_roles("admin", "hr")
    @blp.response(200, ReportOut)
    @blp.alt_response(403, description="HR of another enterprise")
    @blp.alt_response(404, description="No such enterprise")
    @blp.doc(**SIGNED_IN)
    def get(self, enterprise_id: int):
        """The per-enterprise report (一企一档): strengths, gaps and suggestions (staff, its HR)."""
        may_read_enterprise(enterprise_id)
        return analysis.enterprise_report(db().session, enterprise_id)


@blp.route("/posts/<int(max=2147483647):post_id>/standard")
class Standard(MethodView):
    @require_roles("admin", "hr")
    @blp.arguments(StandardIn)
    @blp.response(200, StandardOut)
    @blp.alt_response(404, description="No such post (or not this HR's enterprise)")
    @blp.alt_response(422, description="Unknown dimension, or a level outside 0–100")
    @blp.doc(**SIGNED_IN)
    def put(self, body, post_id: int):
        """Replace a post's competency standard (岗位能力标准); HR only for its own enterprise."""
        session = db().session
        principal = current_principal()
        rows = analysis.set_post_standard(session, post_id, body["required"],
                                          enterprise_id=principal.scope.enterprise_id if principal.role == "hr" else None)
        session.commit()
        return {"post_id": post_id, "required": {r.dimension: r.required for r in rows}}


class WorkerFileIn(Schema):
    file = Upload(required=True, metadata={"description": "The .xlsx workbook (sheets 职工 and 证书)"})


class ImportOut(Schema):
    workers_created = fields.Integer()
    workers_updated = fields.Integer()
    certificates = fields.Integer()


@blp.route("/workers/import")
class WorkerImport(MethodView):
    @require_roles("admin", "hr")
    @blp.arguments(WorkerFileIn, location="files")
    @blp.response(201, ImportOut)
    @blp.alt_response(422, description="Bad rows, each by sheet, row and column (in `rows`); nothing imported")
    @blp.doc(**SIGNED_IN)
    def post(self, files):
        """Import workers (sheet 职工) and certificates (sheet 证书) from Excel, all or nothing; a
        worker is matched by enterprise and 工号, so a corrected file can be imported again. HR
        import into their own enterprise only."""
        session = db().session
        principal = current_principal()
        summary = imports.import_workers(session, files["file"].stream,
                                         enterprise_id=principal.scope.enterprise_id if principal.role == "hr" else None)
        session.commit()
        return summary
