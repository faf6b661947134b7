"""Who may read or act for which worker and enterprise: shared by the API and the pages.

Staff (admin) see everyone; an enterprise's HR sees its own workers and enterprise; a worker signed
in on a contestant tablet sees their own profile. Each check aborts with 401 or 403.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from competition.models import Contestant
from profiles.models import Worker

from .auth import current_principal
from .extensions import db


def own_worker_id() -> int | None:
    """The worker a contestant signed in on a tablet is (None for everyone else)."""
    principal = current_principal()
    if principal is None or principal.role != "contestant":
        return None
    return db().session.scalar(select(Contestant.worker_id).where(Contestant.id == principal.ident))


def _speaks_for(worker_id: int) -> bool:
    principal = current_principal()
    if principal.role == "admin":
        return True
    if principal.role == "hr":
        enterprise = db().session.scalar(select(Worker.enterprise_id).where(Worker.id == worker_id))
        return enterprise is not None and enterprise == principal.scope.enterprise_id
    return own_worker_id() == worker_id


def may_read_worker(worker_id: int) -> None:
    """Staff read every profile, an enterprise's HR those of its workers, a contestant their own."""
    if current_principal() is None:
        abort(401, "需要登录或令牌 Sign-in or a bearer token is required")
    if not _speaks_for(worker_id):
        abort(403, "只能查看本人或本企业职工的档案 Only your own profile, your enterprise's workers (HR), or staff")


def readable_workers(worker_ids) -> set[int]:
    """Which of these workers' profiles the signed-in user may open (pages link only those)."""
    if current_principal() is None:
        return set()
    return {worker_id for worker_id in worker_ids if _speaks_for(worker_id)}


def may_read_enterprise(enterprise_id: int) -> None:
    """Staff read every enterprise; HR only its own."""
    principal = current_principal()
    if principal is None:
        abort(401, "需要登录或令牌 Sign-in or a bearer token is required")
    if principal.role == "admin" or (principal.role == "hr" and principal.scope.enterprise_id == enterprise_id):
        return
    abort(403, "只能查看本企业 Only your own enterprise (or staff)")


def may_apply_for(worker_id: int) -> None:
    """Staff enter any application; an enterprise's HR recommends its own workers (单位推荐);
    a worker signed in as a contestant applies for themself."""
    if not _speaks_for(worker_id):
        abort(403, "只能为本人或本企业职工申报 Only for yourself, or your enterprise's workers (HR)")
