"""Craftsman selection rounds (工匠遴选): apply, review by every department, close with a result.

The points model is a file in ``scoring_rules/rulesets/selection/``; a round freezes its text at
opening, so a round is always scored by the rules it announced. An application is scored from the
worker's record when it is submitted (and again when it is resubmitted after a return). Every step
(submit, each department's approval or return with its reason, the result) is appended to
``selection_decisions``; nothing there is ever changed. Services flush and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring_rules.loader import ruleset_digest
from scoring_rules.selection import (SelectionModel, Stability, bundled_selection_path, load_selection_model,
                                     score_applicant, weight_stability)

from .db import utcnow
from .errors import ProfileError
from .models import (SKILL_LEVELS, Achievement, ContestOutcome, SelectionApplication, SelectionDecision,
                     SelectionRound, Worker)

LEVEL_NAMES = {"national": "国家级", "provincial": "省级", "city": "市级", "enterprise": "企业级"}
KIND_NAMES = {"honour": "荣誉", "patent": "专利", "method": "工法", "qc": "QC 成果", "contribution": "岗位贡献",
              "service": "服务"}


class SelectionError(ProfileError):
    """A step the round's rules do not allow."""

    def __init__(self, message: str, field: str = "round", status: int = 409):
        super().__init__(message, field, status)


def model_of(round_: SelectionRound) -> SelectionModel:
    return load_selection_model(round_.model_text, source=round_.model_code)


def open_round(session: Session, *, code: str, name: str, year: int,
               model_code: str = "craftsman-selection") -> SelectionRound:
    if session.scalar(select(SelectionRound.id).where(SelectionRound.code == code)) is not None:
        raise SelectionError(f"a round {code!r} exists already", field="code")
    try:
        text = bundled_selection_path(model_code).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SelectionError(str(exc), field="model", status=422) from None
    load_selection_model(text, source=model_code)  # refuse a broken model before anyone applies
    round_ = SelectionRound(code=code, name=name, year=year, model_code=model_code, model_text=text,
                            model_digest=ruleset_digest(text), status="open")
    session.add(round_)
    session.flush()
    return round_


def evidence_of(session: Session, worker: Worker, year: int, window_years: int) -> list[tuple[str, str]]:
    """The worker's record as ``(evidence key, label)`` pairs, counting back ``window_years`` from
    ``year`` (skill level counts whenever it was reached)."""
    since = year - window_years + 1
    evidence = []
    if worker.skill_level:
        evidence.append((f"skill:{worker.skill_level}", f"技能等级 {SKILL_LEVELS[worker.skill_level][0]}"))
    for name, rank, held_on in session.execute(
            select(ContestOutcome.contest_name, ContestOutcome.rank, ContestOutcome.held_on)
            .where(ContestOutcome.worker_id == worker.id, ContestOutcome.rank <= 10)
            .order_by(ContestOutcome.held_on)):
        if since <= held_on.year <= year:
            evidence.append((f"contest:{rank}", f"{name} 第{rank}名"))
    for kind, title, level, when in session.execute(
            select(Achievement.kind, Achievement.title, Achievement.level, Achievement.year)
            .where(Achievement.worker_id == worker.id, Achievement.year >= since, Achievement.year <= year)
            .order_by(Achievement.year, Achievement.id)):
        evidence.append((f"{kind}:{level or 'enterprise'}",
                         f"{KIND_NAMES.get(kind, kind)}：{title}（{LEVEL_NAMES.get(level, level)}，{when}）"))
    return evidence


def _score(session: Session, round_: SelectionRound, worker: Worker) -> tuple[str, dict]:
    model = model_of(round_)
    result = score_applicant(model, evidence_of(session, worker, round_.year, model.window_years))
    breakdown = {c.code: {"points": str(c.points), "score": str(c.score),
                          "items": [[label, str(p)] for label, p in c.items]} for c in result.criteria}
    return str(result.total), breakdown


def _log(session: Session, application: SelectionApplication, kind: str, actor: str, *,
         department: str | None = None, reason: str = "") -> SelectionDecision:
    decision = SelectionDecision(application_id=application.id, submission=application.submission, kind=kind,
                                 department=department, reason=reason, actor=actor, at=utcnow())
    session.add(decision)
    return decision


def _open(session: Session, round_id: int) -> SelectionRound:
    round_ = session.get(SelectionRound, round_id)
    if round_ is None:
        raise SelectionError(f"no selection round {round_id}", status=404)
    if round_.status != "open":
        raise SelectionError(f"round {round_.code} is closed")
    return round_


def submit(session: Session, round_id: int, worker_id: int, *, statement: str, actor: str) -> SelectionApplication:
    """Apply (or reapply after a return): score the record now and start a fresh review."""
    round_ = _open(session, round_id)
    worker = session.get(Worker, worker_id)
    if worker is None:
        raise SelectionError(f"no worker {worker_id}", field="worker", status=404)
    application = session.scalar(select(SelectionApplication).where(
        SelectionApplication.round_id == round_id, SelectionApplication.worker_id == worker_id))
    total, breakdown = _score(session, round_, worker)
    if application is None:
        application = SelectionApplication(round_id=round_id, worker_id=worker_id, statement=statement,
                                           status="submitted", submission=1, total=total, breakdown=breakdown)
        session.add(application)
        session.flush()
    elif application.status == "returned":
        application.submission += 1
        application.status, application.statement = "submitted", statement
        application.total, application.breakdown = total, breakdown
    else:
        raise SelectionError(f"{worker.name} has applied already ({application.status}); only a returned "
                             "application can be submitted again", field="worker")
    _log(session, application, "submit", actor, reason=statement[:500])
    session.flush()
    return application


def pending_departments(session: Session, application: SelectionApplication, model: SelectionModel) -> list[str]:
    decided = set(session.scalars(select(SelectionDecision.department).where(
        SelectionDecision.application_id == application.id, SelectionDecision.submission == application.submission,
        SelectionDecision.kind.in_(("approve", "return")))))
    return [d for d in model.departments if d not in decided]


def review(session: Session, application_id: int, *, department: str, approve: bool, reason: str,
           actor: str) -> SelectionApplication:
    """One department's decision on the current submission. A return needs a reason and sends the
    application back to the applicant; approval by every department approves it."""
    application = session.get(SelectionApplication, application_id, with_for_update=True)
    if application is None:
        raise SelectionError(f"no application {application_id}", field="application", status=404)
    round_ = _open(session, application.round_id)
    model = model_of(round_)
    if department not in model.departments:
        raise SelectionError(f"{department!r} does not review this round; reviewers: {'、'.join(model.departments)}",
                             field="department", status=422)
    if application.status != "submitted":
        raise SelectionError(f"the application is {application.status}, not awaiting review", field="application")
    if department not in pending_departments(session, application, model):
        raise SelectionError(f"{department} has decided on this submission already", field="department")
    if not approve and not reason.strip():
        raise SelectionError("a return needs a reason the applicant can act on", field="reason", status=422)
    _log(session, application, "approve" if approve else "return", actor, department=department, reason=reason.strip())
    session.flush()
    if not approve:
        application.status = "returned"
    elif not pending_departments(session, application, model):
        application.status = "approved"
    session.flush()
    return application


@dataclass(frozen=True)
class Standing:
    application: SelectionApplication
    worker: Worker
    rank: int | None  # among applications still in contention (not returned)
    best: int | None  # over the ±10% weightings
    worst: int | None
    in_top_share: float | None


def standings(session: Session, round_id: int) -> tuple[list[Standing], Stability | None]:
    """Applications ranked by points (equal totals share a place), with how each place holds up
    when every weight moves by ±10%. Returned applications are listed after, unranked."""
    round_ = session.get(SelectionRound, round_id)
    if round_ is None:
        raise SelectionError(f"no selection round {round_id}", status=404)
    model = model_of(round_)
    rows = session.execute(select(SelectionApplication, Worker).join(Worker, Worker.id == SelectionApplication.worker_id)
                           .where(SelectionApplication.round_id == round_id)
                           .order_by(SelectionApplication.id)).all()
    contending = [(a, w) for a, w in rows if a.status != "returned"]
    stability = None
    places = {}
    if contending:
        scores = {a.id: tuple(Decimal(a.breakdown[c.code]["score"]) for c in model.criteria) for a, _ in contending}
        stability = weight_stability(scores, model.weights, model.top_n)
        places = {p.applicant: p for p in stability.places}
    out = [Standing(a, w, places[a.id].rank, places[a.id].best, places[a.id].worst, places[a.id].in_top_share)
           for a, w in contending]
    out.sort(key=lambda s: (s.rank, s.application.id))
    out += [Standing(a, w, None, None, None, None) for a, w in rows if a.status == "returned"]
    return out, stability


def close_round(session: Session, round_id: int, *, actor: str) -> list[SelectionApplication]:
    """Publish the result: the approved applications ranked by points, the top ``top_n`` places
    selected (a tie at the last place admits everyone tied); every application gets its reason."""
    round_ = _open(session, round_id)
    model = model_of(round_)
    applications = session.scalars(select(SelectionApplication).where(SelectionApplication.round_id == round_id)
                                   .order_by(SelectionApplication.id)).all()
    approved = sorted((a for a in applications if a.status == "approved"), key=lambda a: -Decimal(a.total))
    rank, previous = 0, None
    for position, application in enumerate(approved, start=1):
        rank = rank if previous is not None and Decimal(previous.total) == Decimal(application.total) else position
        previous = application
        application.result_rank = rank
        if rank <= model.top_n:
            application.result = "selected"
            application.result_reason = (f"积分 {application.total}，经{'、'.join(model.departments)}审核通过，"
                                         f"排名第 {rank}（共 {len(approved)} 人通过审核，入选 {model.top_n} 名以内）")
        else:
            application.result = "not_selected"
            application.result_reason = (f"积分 {application.total}，排名第 {rank}，未进入前 {model.top_n} 名")
    for application in applications:
        if application.status == "returned":
            last = session.scalar(select(SelectionDecision).where(
                SelectionDecision.application_id == application.id, SelectionDecision.kind == "return")
                .order_by(SelectionDecision.id.desc()))
            application.result = "not_selected"
            application.result_reason = f"被{last.department}退回未重新申报：{last.reason}"
        elif application.status == "submitted":
            application.result = "not_selected"
            pending = pending_departments(session, application, model)
            application.result_reason = f"截止时尚未完成审核（待{'、'.join(pending)}审核）"
        _log(session, application, "result", actor, reason=f"{application.result}: {application.result_reason}")
    round_.status, round_.closed_at = "closed", utcnow()
    session.flush()
    return applications


def history(session: Session, application_id: int) -> list[SelectionDecision]:
    return session.scalars(select(SelectionDecision).where(SelectionDecision.application_id == application_id)
                           .order_by(SelectionDecision.id)).all()
