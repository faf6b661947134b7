"""Roster import: staff upload an .xlsx of contestants (sheet 选手) and referees (sheet 裁判)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from competition.access import contest_by_code
from competition.roster import import_roster

from ..auth import require_roles
from ..extensions import db

blp = Blueprint("rosters", __name__, url_prefix="/api/v1/contests", description="Roster import")


class RosterFileIn(Schema):
    file = Upload(required=True, metadata={"description": "The .xlsx workbook (sheets 选手 and 裁判)"})


class RosterOut(Schema):
    contestants = fields.Integer()
    referees = fields.Integer()
    enterprises_created = fields.Integer()


@blp.route("/<code>/roster")
class Roster(MethodView):
    @require_roles("admin")
    @blp.arguments(RosterFileIn, location="files")
    @blp.response(201, RosterOut)
    @blp.alt_response(401, description="Not signed in")
    @blp.alt_response(403, description="Not staff")
    @blp.alt_response(404, description="No such contest")
    @blp.alt_response(422, description="Bad rows, each by sheet, row and column (in `rows`); nothing imported")
    @blp.doc(security=[{"bearer": []}])
    def post(self, files, code: str):
        """Import contestants and referees from Excel; all or nothing.

        Sheet 选手: 准考证号, 姓名, 赛点 (code or name) required; 单位, 工位, 工种, PIN optional.
        Sheet 裁判 (optional): 裁判编号, 姓名 required; 单位, 赛点, 裁判长 (是/否), PIN optional.
        """
        session = db().session
        contest = contest_by_code(session, code)
        summary = import_roster(session, contest, files["file"].read())
        session.commit()
        return {"contestants": summary.contestants, "referees": summary.referees,
                "enterprises_created": summary.enterprises_created}
