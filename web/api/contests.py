"""Contests and their public boards (read-only, no sign-in needed)."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from competition.access import contest_by_code
from competition.models import Contest
from competition.setup import ruleset_of

from competition.export import results_workbook
from competition.livefeed import load_roster, load_sites
from competition.severity import SeverityReport, judgement_marks, severity_report

from ..auth import current_principal, require_roles
from ..extensions import db, off_the_loop, read_projection
from .schemas import BoardOut, BoardQuery, ContestOut, SeverityOut, SeverityQuery

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
        """The public board: overall, or one site's (``site``), best first.

        While the board is frozen this is the board as it stood at the freeze (``frozen: true``),
        except for staff, who always see it live.
        """
        session = db().session
        contest = contest_by_code(session, code)
        publisher = current_app.extensions["jx_publisher"]
        principal = current_principal()
        if principal is not None and principal.role == "admin":
            feed, frozen = publisher.feed(contest.id), False
        else:
            feed, frozen = publisher.public_feed(contest.id)
        snapshot = feed.snapshot(query.get("site"))
        return {"contest": contest.code, "seq": snapshot["seq"], "frozen": frozen,
                "rows": snapshot["rows"][:query.get("limit")], "progress": snapshot["progress"]}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.route("/<code>/results.xlsx")
class ResultsExport(MethodView):
    @require_roles("admin")
    @blp.response(200, content_type=XLSX, description="The results workbook")
    @blp.alt_response(401, description="Not signed in")
    @blp.alt_response(403, description="Not staff")
    @blp.alt_response(404, description="No such contest")
    @blp.doc(security=[{"bearer": []}])
    def get(self, code: str):
        """Staff: the live results as an Excel workbook (marked unofficial until finalized)."""
        session = db().session
        contest = contest_by_code(session, code)
        roster, sites = load_roster(session, contest.id), load_sites(session, contest.id)
        with read_projection(contest.id) as projection:
            data = results_workbook(projection, roster, sites, contest_name=contest.name,
                                    contest_status=contest.status)
        return Response(data, mimetype=XLSX, headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(contest.code)}-results.xlsx"})


@blp.route("/<code>/severity")
class Severity(MethodView):
    @require_roles("admin")
    @blp.arguments(SeverityQuery, location="query")
    @blp.response(200, SeverityOut)
    @blp.alt_response(401, description="Not signed in")
    @blp.alt_response(403, description="Not staff")
    @blp.alt_response(404, description="No such contest")
    @blp.alt_response(409, description="No judgement marks yet, or sites whose referees never rated the same "
                                       "contestant (the groups are named)")
    @blp.doc(security=[{"bearer": []}])
    def get(self, query, code: str):
        """Staff: each referee's severity across sites (many-facet Rasch model) and each contestant's fair
        judgement score, what an average referee would have given."""
        contest = contest_by_code(db().session, code)
        return contest_severity(contest.id, assume_equal_sites=query["assume_equal_sites"])


SEVERITY_REPORTS_KEPT = 16


def contest_severity(contest_id: int, *, assume_equal_sites: bool) -> SeverityReport:
    """The severity report of a contest as it stands (the API and the console page). A fit takes
    about a second for a 20-city contest, so a report is kept until the log or the roster moves."""
    session = db().session
    roster = load_roster(session, contest_id)
    with read_projection(contest_id) as projection:
        marks = judgement_marks(projection)  # copied under the cache's lock; fitted after it
    kept = current_app.extensions.setdefault("jx_severity_reports", {})
    key = (contest_id, marks.seq, len(marks.sites), len(roster), assume_equal_sites)
    report = kept.get(key)
    if report is None:
        report = severity_report(session, contest_id, marks, roster, assume_equal_sites=assume_equal_sites,
                                 run=off_the_loop)
        kept[key] = report
        while len(kept) > SEVERITY_REPORTS_KEPT:
            kept.pop(next(iter(kept)))
    return report
