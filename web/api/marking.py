"""Marking over the API: referees mark, correct, deduct and sign off; contestants answer and run stages.

Each write view parses its body, calls one service, commits, then hands the events to the
publisher; a retried request with the same ``idempotency_key`` gets the first outcome back.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask import abort, current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint

from competition import control, marking, setup
from competition.access import (ContestantRecord, ContestRecord, RefereeRecord, assigned_aspects, contest_by_code,
                                contest_record, contestant_by_ticket, contestant_record, referee_by_code,
                                referee_record, sheet_target, site_contestants)
from competition.clock import ContestClock
from competition.errors import InvalidMark, NotAssigned, NotFound
from competition.eventlog import logged_event
from competition.models import Contest, Contestant
from competition.projections import ContestProjection
from competition.setup import ruleset_of
from profiles.db import utcnow
from scoring_rules import MarkError, score_aspect
from scoring_rules.model import JudgementAspect, MeasurementAspect, ObjectiveAspect

from ..auth import current_principal, require_roles
from ..extensions import db, projections, read_projection
from .schemas import (AnswerIn, AssignmentsOut, CommandOut, CorrectionIn, DeductionIn, MarkIn, PreviewIn, PreviewOut,
                      ExtraTimeIn, ItemsOut, PauseIn, ResolutionIn, SheetOut, SignOffIn, StageIn, StartIn)

blp = Blueprint("marking", __name__, url_prefix="/api/v1/contests", description="Marking and stages")

SECURED = {"security": [{"bearer": []}]}
REFUSALS = {401: "Not signed in", 403: "Signed in, but not allowed (role, site, panel or conflict of interest)",
            404: "No such contest, contestant, aspect or stage", 409: "Not in a state that allows this"}


def _document_refusals(view):
    for status, description in REFUSALS.items():
        view = blp.alt_response(status, description=description)(view)
    return blp.doc(**SECURED)(view)


def _str(value):
    return None if value is None else str(value)


def _signed_in_record(session, kind: type, read):
    """The signed-in referee's or contestant's record: the one sign-in read, else read now."""
    ident = current_principal().scope.ident
    record = g.get("jx_principal_row")
    return record if isinstance(record, kind) and record.id == ident else read(session, ident)


def _signed_in_referee(session, contest: Contest | ContestRecord) -> RefereeRecord:
    referee = _signed_in_record(session, RefereeRecord, referee_record)
    if referee is None or referee.contest_id != contest.id:
        raise NotAssigned(f"this referee sign-in belongs to another contest than {contest.code}")
    return referee


def _signed_in_contestant(session, contest: Contest | ContestRecord) -> ContestantRecord:
    contestant = _signed_in_record(session, ContestantRecord, contestant_record)
    if contestant is None or contestant.contest_id != contest.id:
        raise NotAssigned(f"this contestant sign-in belongs to another contest than {contest.code}")
    return contestant


def stage_timing(clock: ContestClock, contestant: Contestant | ContestantRecord, stage_code: str, started, limit_s: int) -> dict:
    """When a running stage's time is up on the server clock, with pauses and extra time given back."""
    extra = clock.extra_seconds(contestant.site_id, contestant.id, stage_code)
    since = clock.paused_since(contestant.site_id)
    if since is not None:
        used = (since - started).total_seconds() - clock.paused_seconds(contestant.site_id, started, since)
        return {"paused": True, "deadline": None, "remaining_s": int(limit_s + extra - used)}
    now = utcnow()
    lost = clock.paused_seconds(contestant.site_id, started, now)
    deadline = started + timedelta(seconds=limit_s + extra + lost)
    return {"paused": False, "deadline": deadline.isoformat() + "Z", "remaining_s": None}


def sheet_json(projection: ContestProjection, contestant: Contestant | ContestantRecord) -> dict:
    """The sheet as its reader may see it: a contestant gets no live rank (others' marks move it,
    and during a freeze the public board must not be read off a tablet)."""
    ruleset = projection.ruleset
    principal = current_principal()
    result = projection.results[contestant.id]
    state = projection.states.get(contestant.id)
    clock = projection.clock
    return {
        "contestant": {"id": contestant.id, "ticket_no": contestant.ticket_no, "site_id": contestant.site_id},
        "seq": projection.seq, "total": str(result.total),
        "rank": None if principal is None or principal.role == "contestant" else projection.rank(contestant.id),
        "complete": result.complete, "flags": list(result.flags),
        "aspects": [{"code": code, "marks": _str(a.marks), "status": a.status, "spread": a.spread,
                     "max": str(ruleset.aspects[code].max)} for code, a in result.aspects.items()],
        "stages": [{"code": s.code, "status": s.status, "score": str(s.score), "max": str(s.max),
                    "elapsed_s": s.elapsed_s, "started_at": (state.stage_started[s.code].isoformat() + "Z")
                    if state and s.code in state.stage_started else None,
                    "time_limit_s": ruleset.stages[i].time_limit_s,
                    **(stage_timing(clock, contestant, s.code, state.stage_started[s.code], ruleset.stages[i].time_limit_s)
                       if s.status == "in_progress" and state and s.code in state.stage_started
                       else {"paused": False, "deadline": None, "remaining_s": None})}
                   for i, s in enumerate(result.stages)],
        "signed_off": sorted(state.signed_off) if state else [],
    }


def _respond(contest: ContestRecord, contestant: ContestantRecord, outcome: marking.Outcome, *, status: int = 201):
    """Commit, publish, and answer with the events and the contestant's sheet after them.

    Contest and contestant are plain records, so nothing is reloaded after the commit; a sheet
    command always has events (appended now, or by the first try of a retry)."""
    events = [{"seq": e.seq, "kind": e.kind, "contestant_id": e.contestant_id, "aspect_code": e.aspect_code}
              for e in outcome.events]
    logged = [] if outcome.duplicate else [logged_event(e) for e in outcome.events]
    db().session.commit()
    if not outcome.duplicate:
        current_app.extensions["jx_publisher"].publish(contest.id, outcome.events)
    # The projection takes the events just committed as they are (no reading them back), when it
    # stands right before them; otherwise it catches up from the log.
    with projections().reading_after(contest.id, contest.rule_set_digest, logged) as projection:
        sheet = sheet_json(projection, contestant) if projection is not None else None
    if sheet is None:
        with read_projection(contest.id) as projection:
            sheet = sheet_json(projection, contestant)
    return {"duplicate": outcome.duplicate, "seq": events[-1]["seq"], "events": events, "sheet": sheet}, \
        (200 if outcome.duplicate else status)


def _post_view(path: str, *, roles: tuple[str, ...], schema, status: int, summary: str, handler) -> None:
    """Register ``POST /<code>/<path>``: roles first (401/403 before any body is parsed), then the
    body, then ``handler(body, code, **path_args)``; every refusal documented."""
    def post(self, body, code: str, **path_args):
        return handler(body, code, **path_args)
    post.__doc__ = summary
    post = blp.arguments(schema)(post)
    if status == 201:
        post = blp.alt_response(200, schema=CommandOut, description="A retry: the first outcome, nothing new")(post)
    post = require_roles(*roles)(_document_refusals(blp.response(status, CommandOut)(post)))
    name = "".join(part.title() for part in path.replace("<", "").replace(">", "").replace("-", "/").split("/"))
    blp.route(f"/<code>/{path}")(type(name, (MethodView,), {"post": post}))


def _sheet_command(path: str, schema, roles: tuple[str, ...], summary: str, run) -> None:
    """A command on one contestant's sheet: ``run(session, code, body, **path_args)`` returns the
    contest, the contestant and the service's outcome; the answer carries their sheet after it."""
    def handler(body, code, **path_args):
        return _respond(*run(db().session, code, body, **path_args))
    _post_view(path, roles=roles, schema=schema, status=201, summary=summary, handler=handler)


def _sheet_target(session, code: str, ticket: str, *, signed_in=None) -> tuple[ContestRecord, ContestantRecord]:
    """The contest and contestant a command names. ``signed_in(session, contest)`` checks the
    principal belongs to the contest before a missing ticket is reported, so a sign-in of another
    contest learns nothing of this one's roster."""
    try:
        return sheet_target(session, code, ticket)
    except NotFound:
        if signed_in is not None:
            signed_in(session, contest_record(session, code))
        raise


def _referee_and_contestant(session, code: str, body: dict) -> tuple[ContestRecord, RefereeRecord, ContestantRecord]:
    contest, contestant = _sheet_target(session, code, body["contestant"], signed_in=_signed_in_referee)
    return contest, _signed_in_referee(session, contest), contestant


def _record_mark(session, code, body):
    contest, referee, contestant = _referee_and_contestant(session, code, body)
    return contest, contestant, marking.record_mark(session, referee=referee, contestant=contestant, aspect_code=body["aspect"],
                                           value=body["value"], command_key=body["idempotency_key"])


def _correct_mark(session, code, body):
    contest, referee, contestant = _referee_and_contestant(session, code, body)
    on_behalf_of = referee_by_code(session, contest, body["on_behalf_of"]) if body.get("on_behalf_of") else None
    return contest, contestant, marking.correct_mark(session, referee=referee, contestant=contestant, aspect_code=body["aspect"],
                                            value=body["value"], reason=body["reason"], on_behalf_of=on_behalf_of,
                                            command_key=body["idempotency_key"])


def _apply_deduction(session, code, body):
    contest, referee, contestant = _referee_and_contestant(session, code, body)
    return contest, contestant, marking.apply_deduction(session, referee=referee, contestant=contestant,
                                               deduction_code=body["deduction"], count=body["count"],
                                               note=body["note"], command_key=body["idempotency_key"])


def _sign_off(session, code, body):
    contest, referee, contestant = _referee_and_contestant(session, code, body)
    return contest, contestant, marking.sign_off(session, referee=referee, contestant=contestant,
                                        command_key=body["idempotency_key"])


def _resolve_spread(session, code, body):
    contest, chief, contestant = _referee_and_contestant(session, code, body)
    return contest, contestant, marking.resolve_spread(session, chief=chief, contestant=contestant, aspect_code=body["aspect"],
                                              reason=body["reason"], score=body["score"],
                                              command_key=body["idempotency_key"])


def _answer_item(session, code, body):
    contest = contest_record(session, code)
    contestant = _signed_in_contestant(session, contest)
    return contest, contestant, marking.answer_item(session, contestant=contestant, aspect_code=body["aspect"],
                                           answer=body["answer"], command_key=body["idempotency_key"])


def _stage_contestant(session, code: str, body: dict) -> tuple[ContestRecord, ContestantRecord, str]:
    """Return the contest, whose stage this is and the actor: a contestant their own; a referee at
    their site; staff."""
    scope = current_principal().scope
    if scope.role == "contestant":
        contest = contest_record(session, code)
        contestant = _signed_in_contestant(session, contest)
        if body.get("contestant") not in (None, contestant.ticket_no):
            raise NotAssigned("a contestant starts and finishes only their own stages")
        return contest, contestant, scope.principal
    if not body.get("contestant"):
        raise InvalidMark("contestant: whose stage (ticket number)", field="contestant")
    contest, contestant = _sheet_target(session, code, body["contestant"],
                                        signed_in=_signed_in_referee if scope.role == "referee" else None)
    if scope.role == "referee":
        referee = _signed_in_referee(session, contest)
        if not referee.is_chief and referee.site_id != contestant.site_id:
            raise NotAssigned(f"referee {referee.code} works at another site than {contestant.ticket_no}")
    return contest, contestant, scope.principal


def _stage_command(service):
    def run(session, code, body, stage: str):
        contest, contestant, actor = _stage_contestant(session, code, body)
        return contest, contestant, service(session, contestant=contestant, stage_code=stage, actor=actor,
                                   command_key=body["idempotency_key"])
    return run


REFEREES, STAGE_RUNNERS = ("referee",), ("contestant", "referee", "admin")
for _path, _schema, _roles, _summary, _run in [
    ("marks", MarkIn, REFEREES, "Record the signed-in referee's first mark for one aspect of one contestant.",
     _record_mark),
    ("corrections", CorrectionIn, REFEREES, "Replace a mark with a reason; the old mark stays in the log.",
     _correct_mark),
    ("deductions", DeductionIn, REFEREES, "Record occurrences of a deduction (e.g. a safety breach) with a note.",
     _apply_deduction),
    ("sign-offs", SignOffIn, REFEREES,
     "Sign off the referee's marks for one contestant; later changes need the chief referee.", _sign_off),
    ("resolutions", ResolutionIn, REFEREES,
     "Chief referee: unblock a panel whose spread broke the rule, with a reason.", _resolve_spread),
    ("answers", AnswerIn, ("contestant",),
     "The signed-in contestant answers an objective item; it is scored at once.", _answer_item),
    ("stages/<stage>/start", StageIn, STAGE_RUNNERS,
     "Start a stage on the server clock (闯关: the previous stage must be cleared).", _stage_command(marking.start_stage)),
    ("stages/<stage>/finish", StageIn, STAGE_RUNNERS,
     "Finish a stage on the server clock: cleared if it reaches the pass mark, else failed.",
     _stage_command(marking.finish_stage)),
]:
    _sheet_command(_path, _schema, _roles, _summary, _run)


def _lifecycle(service, code: str, key: str):
    session = db().session
    contest = contest_by_code(session, code)
    head = contest.last_seq
    events = service(session, contest, actor=current_principal().scope.principal, command_key=key)
    session.commit()
    # A retry gets back the events its key appended the first time: all at or before the head we saw.
    duplicate = bool(events) and all(e.seq <= head for e in events)
    if not duplicate:
        current_app.extensions["jx_publisher"].publish(contest.id, events, contest_changed=True)
    return {"duplicate": duplicate, "seq": contest.last_seq,
            "events": [{"seq": e.seq, "kind": e.kind, "contestant_id": None, "aspect_code": None} for e in events],
            "sheet": {}}


def _site_id(session, contest: Contest, code: str | None) -> int | None:
    if not code:
        return None
    site = next((s for s in contest.sites if s.code == code), None)
    if site is None:
        raise InvalidMark(f"no site {code!r} in {contest.code}", field="site")
    return site.id


def _extend_time(session, contest, body, **kw):
    contestant = contestant_by_ticket(session, contest, body["contestant"]) if body.get("contestant") else None
    return control.extend_time(session, contest, stage=body["stage"], seconds=body["seconds"], reason=body["reason"],
                               site_id=_site_id(session, contest, body.get("site")), contestant=contestant, **kw)


# Staff commands on the whole contest: (schema, service(session, contest, body, actor=, command_key=), summary).
LIFECYCLE = {
    "start": (StartIn, lambda s, c, b, **kw: setup.start_contest(s, c, **kw),
              "Start the contest at every site at once; the rule set is frozen from now on."),
    "pause": (PauseIn, lambda s, c, b, **kw: control.pause_contest(
        s, c, site_id=_site_id(s, c, b.get("site")), reason=b["reason"], **kw),
        "Stop the clock at every site, or at one (``site``); the lost time is given back."),
    "resume": (PauseIn, lambda s, c, b, **kw: control.resume_contest(s, c, site_id=_site_id(s, c, b.get("site")), **kw),
               "Restart the clock a pause stopped (the same scope: every site, or that site)."),
    "extra-time": (ExtraTimeIn, _extend_time,
                   "Grant extra time on a stage to one contestant (``contestant``), one site (``site``) or everyone."),
    "end": (StartIn, lambda s, c, b, **kw: control.end_contest(s, c, **kw),
            "End the contest at every site: no more marks or answers; referees can still sign off."),
    "freeze": (StartIn, lambda s, c, b, **kw: control.freeze_board(s, c, **kw),
               "Freeze the public board (big screens, public API) at this moment; staff see it live."),
    "thaw": (StartIn, lambda s, c, b, **kw: control.thaw_board(s, c, **kw),
             "Publish everything the frozen board held back."),
    "reveal": (StartIn, lambda s, c, b, **kw: control.reveal_next(s, c, **kw),
               "滚榜: reveal the final result of the lowest-placed contestant the frozen board still shows "
               "(one per call, bottom up)."),
    "finalize": (StartIn, lambda s, c, b, **kw: control.finalize_contest(s, c, **kw),
                 "Make the results final; refused (409, listing what is outstanding) while a panel is blocked or "
                 "a referee has not signed off a contestant they marked."),
}


def _lifecycle_handler(service):
    def handler(body, code):
        return _lifecycle(lambda s, c, **kw: service(s, c, body, **kw), code, body["idempotency_key"])
    return handler


for _action, (_schema, _service, _summary) in LIFECYCLE.items():
    _post_view(_action, roles=("admin",), schema=_schema, status=200, summary=_summary,
               handler=_lifecycle_handler(_service))


@blp.route("/<code>/preview")
class Preview(MethodView):
    @require_roles("referee", "admin")
    @blp.arguments(PreviewIn)
    @blp.response(200, PreviewOut)
    @_document_refusals
    def post(self, body, code: str):
        """The marks a measurement would yield, before it is recorded (nothing is written)."""
        contest = contest_by_code(db().session, code)
        ruleset = ruleset_of(contest)
        aspect = ruleset.aspects.get(body["aspect"])
        if aspect is None:
            raise InvalidMark(f"{body['aspect']!r} is not an aspect of this contest", field="aspect")
        raw = {1: body["value"]} if isinstance(aspect, JudgementAspect) else body["value"]
        try:
            result = score_aspect(ruleset, aspect, raw)
        except MarkError as exc:
            raise InvalidMark(exc.reason, field="value") from None
        return {"aspect": aspect.code, "marks": _str(result.marks), "status": result.status}


def aspect_json(aspect) -> dict:
    out = {"code": aspect.code, "name": aspect.name, "kind": aspect.kind, "max": str(aspect.max),
           "stage": aspect.stage, "descriptors": [], "options": [], "unit": None}
    if isinstance(aspect, JudgementAspect):
        out["descriptors"] = list(aspect.descriptors)
    elif isinstance(aspect, MeasurementAspect):
        out["unit"] = aspect.unit
        if aspect.method == "levels":
            out["options"] = [level.label for level in aspect.levels]
        elif aspect.method == "pass_fail":
            out["options"] = ["pass", "fail"]
    elif isinstance(aspect, ObjectiveAspect):
        out["options"] = list(aspect.options)
    return out


@blp.route("/<code>/assignments")
class Assignments(MethodView):
    @require_roles("referee")
    @blp.response(200, AssignmentsOut)
    @_document_refusals
    def get(self, code: str):
        """What the signed-in referee marks: the contestants at their site and their panels' aspects."""
        session = db().session
        contest = contest_by_code(session, code)
        referee = _signed_in_referee(session, contest)
        ruleset = ruleset_of(contest)
        codes = list(ruleset.aspects) if referee.is_chief else assigned_aspects(session, referee)
        people = [c for c in site_contestants(session, contest.id, referee.site_id)
                  if referee.enterprise_id is None or c.enterprise_id != referee.enterprise_id]
        names = {c.id: c.worker.name for c in people}  # loaded now: no database reads under the cache's lock
        with read_projection(contest.id) as projection:
            contestants = []
            for c in people:
                state = projection.states.get(c.id)
                mine = {}
                if state is not None:
                    for aspect_code in codes:
                        panel = state.panels.get(aspect_code)
                        if panel is not None and referee.id in panel:
                            mine[aspect_code] = panel[referee.id]
                        elif referee.id in state.marked_by.get(aspect_code, ()):
                            mine[aspect_code] = state.values.get(aspect_code)
                contestants.append({"id": c.id, "ticket_no": c.ticket_no, "name": names[c.id],
                                    "station": c.station, "total": str(projection.results[c.id].total),
                                    "my_marks": {k: (str(v) if isinstance(v, Decimal) else v) for k, v in mine.items()},
                                    "signed_off": bool(state and referee.id in state.signed_off),
                                    "started_stages": sorted(state.stages) if state else [],
                                    "blocked": sorted(state.breached) if state else []})
        return {"referee": {"id": referee.id, "code": referee.code, "name": referee.name,
                            "site_id": referee.site_id, "is_chief": referee.is_chief},
                "aspects": [aspect_json(ruleset.aspects[c]) for c in codes if c in ruleset.aspects
                            and not isinstance(ruleset.aspects[c], ObjectiveAspect)],
                "deductions": [{"code": d.code, "name": d.name, "per_occurrence": str(d.per_occurrence)}
                               for d in ruleset.deductions],
                "contestants": contestants}


@blp.route("/<code>/sheets/<ticket>")
class Sheets(MethodView):
    @require_roles("admin", "referee", "contestant")
    @blp.response(200, SheetOut)
    @_document_refusals
    def get(self, code: str, ticket: str):
        """One contestant's sheet: staff; a referee at the contestant's site; the contestant themself."""
        session = db().session
        contest = contest_by_code(session, code)
        contestant = contestant_by_ticket(session, contest, ticket)
        scope = current_principal().scope
        if scope.role != "admin":
            if scope.contest_id != contest.id:
                abort(403, "this sign-in belongs to another contest")
            if scope.role == "contestant" and scope.ident != contestant.id:
                abort(403, "a contestant sees only their own sheet")
            if scope.role == "referee" and scope.site_id is not None and scope.site_id != contestant.site_id:
                abort(403, "a referee sees only the sheets at their own site")
        with read_projection(contest.id) as projection:
            return sheet_json(projection, contestant)


@blp.route("/<code>/items")
class Items(MethodView):
    @require_roles("contestant")
    @blp.response(200, ItemsOut)
    @_document_refusals
    def get(self, code: str):
        """The signed-in contestant's objective items (of the stages they have started) and answers."""
        session = db().session
        contest = contest_by_code(session, code)
        contestant = _signed_in_contestant(session, contest)
        ruleset = ruleset_of(contest)
        with read_projection(contest.id) as projection:
            state = projection.states.get(contestant.id)
            started = set(state.stages) if state else set()
            answers = dict(state.values) if state else {}
        items = []
        for aspect in ruleset.aspects.values():
            if isinstance(aspect, ObjectiveAspect) and (aspect.stage is None or aspect.stage in started):
                answer = answers.get(aspect.code)
                items.append({**aspect_json(aspect), "question": aspect.question, "item": aspect.item,
                              "answer": list(answer) if isinstance(answer, (list, tuple)) else answer})
        return {"items": items}
