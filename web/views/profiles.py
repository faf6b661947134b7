"""Profile pages: the craftsman-star ranking, a worker's resume and portrait, an enterprise's
talent analysis and report, and selection rounds. Each reads through the profiles services."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import select

from profiles import analysis, queries, selection
from profiles.models import (SKILL_LEVELS, Enterprise, Post, PostStandard, SelectionApplication, SelectionRound,
                             Worker)

from ..access import may_read_enterprise, may_read_worker
from ..api.profiles import portrait_json
from ..auth import current_principal, page_roles
from ..extensions import db
from . import bp

VERDICTS = {"gap": ("短板", "Gap"), "strength": ("优势", "Strength"), "meets": ("达标", "Meets"),
            "unknown": ("证据不足", "Insufficient evidence")}
APPLICATION_STATUS = {"submitted": ("审核中", "Under review"), "returned": ("已退回", "Returned"),
                      "approved": ("审核通过", "Approved")}
RESULTS = {"selected": ("入选", "Selected"), "not_selected": ("未入选", "Not selected")}


def _latest_stability(session):
    """The newest selection round with its standings, for the ranking page's stability card."""
    round_ = session.scalar(select(SelectionRound).order_by(SelectionRound.id.desc()).limit(1))
    if round_ is None:
        return None
    rows, stability = selection.standings(session, round_.id)
    return {"round": round_, "model": selection.model_of(round_), "rows": rows, "stability": stability}


@bp.get("/rankings")
def rankings():
    session = db().session
    trades = queries.trades(session)
    trade = request.args.get("trade") or (trades[0] if trades else None)
    region = request.args.get("region") or None
    enterprise = request.args.get("enterprise", type=int)
    rows = queries.star_ranking(session, trade, region=region, enterprise_id=enterprise) if trade else []
    regions = sorted({r for r in session.scalars(select(Enterprise.region).distinct()) if r})
    enterprises = session.execute(select(Enterprise.id, Enterprise.name).order_by(Enterprise.name)).all()
    principal = current_principal()
    return render_template("rankings.html", trades=trades, trade=trade, region=region, enterprise=enterprise,
                           rows=rows, regions=regions, enterprises=enterprises,
                           scale=(min((r.low for r in rows), default=0), max((r.high for r in rows), default=1)),
                           staff=principal is not None and principal.role == "admin",
                           selection=_latest_stability(session))


@bp.get("/workers/<int(max=2147483647):worker_id>")
@page_roles("admin", "hr", "contestant")
def worker_profile(worker_id: int):
    session = db().session
    may_read_worker(worker_id)
    try:
        resume = queries.resume(session, worker_id)
    except queries.WorkerNotFound:
        abort(404)
    shown = queries.portrait_of(session, worker_id)
    applications = session.execute(
        select(SelectionApplication, SelectionRound).join(SelectionRound)
        .where(SelectionApplication.worker_id == worker_id).order_by(SelectionRound.id.desc())).all()
    return render_template("worker.html", resume=resume, portrait=shown, portrait_data=portrait_json(shown),
                           verdicts=VERDICTS,
                           applications=applications, statuses=APPLICATION_STATUS, results=RESULTS)


@bp.get("/my/enterprise")
@page_roles("hr")
def my_enterprise():
    return redirect(url_for("views.enterprise_analysis", enterprise_id=current_principal().scope.enterprise_id))


@bp.get("/enterprises/<int(max=2147483647):enterprise_id>")
@page_roles("admin", "hr")
def enterprise_analysis(enterprise_id: int):
    session = db().session
    may_read_enterprise(enterprise_id)
    by = request.args.get("by", "post")
    try:
        groups = analysis.workforce(session, enterprise_id, by=by)
    except analysis.AnalysisError as error:
        abort(error.status, str(error))
    posts = session.scalars(select(Post).where(Post.enterprise_id == enterprise_id).order_by(Post.id)).all()
    standards = {}
    for post_id, dimension, required in session.execute(
            select(PostStandard.post_id, PostStandard.dimension, PostStandard.required)
            .where(PostStandard.post_id.in_([p.id for p in posts]))):
        standards.setdefault(post_id, {})[dimension] = required
    dimensions = {p.id: queries.trade_portraits.get(session, p.trade)[0] for p in posts}
    workers = session.execute(select(Worker.id, Worker.name, Worker.staff_no, Post.name)
                              .outerjoin(Post, Post.id == Worker.post_id)
                              .where(Worker.enterprise_id == enterprise_id).order_by(Worker.staff_no, Worker.id)).all()
    return render_template("enterprise.html", enterprise=session.get(Enterprise, enterprise_id), by=by, groups=groups,
                           posts=posts, standards=standards, dimensions=dimensions, verdicts=VERDICTS,
                           levels=SKILL_LEVELS, workers=workers)


@bp.get("/enterprises/<int(max=2147483647):enterprise_id>/report")
@page_roles("admin", "hr")
def enterprise_report(enterprise_id: int):
    session = db().session
    may_read_enterprise(enterprise_id)
    try:
        report = analysis.enterprise_report(session, enterprise_id)
    except analysis.AnalysisError as error:
        abort(error.status, str(error))
    return render_template("report.html", report=report, verdicts=VERDICTS)


@bp.get("/selection")
def selection_rounds():
    session = db().session
    rounds = session.scalars(select(SelectionRound).order_by(SelectionRound.id.desc())).all()
    return render_template("selection_rounds.html", rounds=rounds)


@bp.get("/selection/<code>")
def selection_round(code: str):
    session = db().session
    round_ = session.scalar(select(SelectionRound).where(SelectionRound.code == code))
    if round_ is None:
        abort(404)
    rows, stability = selection.standings(session, round_.id)
    model = selection.model_of(round_)
    principal = current_principal()
    staff = principal is not None and principal.role == "admin"
    pending = {s.application.id: selection.pending_departments(session, s.application, model)
               for s in rows if s.application.status == "submitted"} if staff else {}
    histories = {s.application.id: selection.history(session, s.application.id) for s in rows} if staff else {}
    return render_template("selection_round.html", round=round_, model=model, rows=rows, stability=stability,
                           staff=staff, pending=pending, histories=histories, statuses=APPLICATION_STATUS,
                           results=RESULTS)
