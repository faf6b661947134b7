"""Sign-in for pages (Flask-Login sessions) and API clients (bearer tokens); roles; CSRF.

Every request resolves to at most one ``Principal``. Pages sign in with a form and keep a session
cookie; API clients send ``Authorization: Bearer <token>``. A request that carries a cookie
session must also carry the CSRF token (form field or ``X-CSRFToken`` header) on every unsafe
method; a bearer request needs none, since a browser never attaches it by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import Flask, abort, current_app, g, has_request_context, request
from flask_login import AnonymousUserMixin, LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from sqlalchemy import select

from competition.access import Scope, scope_of
from matching.models import ServiceTeam
from profiles.accounts import StaffAccount, parse_principal, principal_of_token

from .extensions import db

login_manager = LoginManager()
csrf = CSRFProtect()

ROLE_LABELS = {"admin": "工作人员 Staff", "referee": "裁判 Referee", "contestant": "选手 Contestant",
               "display": "大屏 Display", "hr": "企业人力资源 Enterprise HR",
               "team": "服务队 Service team"}


@dataclass(frozen=True)
class Principal:
    """The signed-in party, as Flask-Login sees it."""

    scope: Scope
    via_token: bool = False

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.scope.principal

    @property
    def role(self) -> str:
        return self.scope.role

    @property
    def ident(self) -> int:
        return self.scope.ident


class Anonymous(AnonymousUserMixin):
    scope = None
    role = None
    via_token = False


def load_principal(principal: str, *, via_token: bool = False) -> Principal | None:
    """Resolve ``"role:id"`` against the database (a deleted row signs nobody in)."""
    parsed = parse_principal(principal)
    if parsed is None:
        return None
    session = db().session
    if parsed[0] in ("admin", "hr", "team"):
        account = session.get(StaffAccount, parsed[1])
        if account is None or account.role != parsed[0]:
            return None  # an account moved to or from an enterprise signs in again
        team_id = None
        if account.role == "team":
            team_id = session.scalar(select(ServiceTeam.id).where(ServiceTeam.account_id == account.id))
            if team_id is None:
                return None  # the team was dissolved
        return Principal(Scope(principal, account.role, account.id, account.display_name,
                               enterprise_id=account.enterprise_id, service_team_id=team_id), via_token)
    scope = scope_of(session, principal, keep=_keep_for_request)
    return Principal(scope, via_token) if scope is not None else None


def _keep_for_request(row) -> None:
    """Hold the signed-in referee's or contestant's record for the request: the view asks for it
    again (one SELECT fewer on every mark)."""
    if has_request_context():
        g.jx_principal_row = row


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.anonymous_user = Anonymous
    login_manager.login_view = "views.login"
    login_manager.login_message = "请先登录 Please sign in"
    # CSRF is checked in _check_csrf below, so bearer-token requests can skip it.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # a tablet page stays open all contest day
    csrf.init_app(app)
    app.before_request(_check_csrf)
    app.jinja_env.globals["role_labels"] = ROLE_LABELS


@login_manager.user_loader
def _user_loader(principal: str) -> Principal | None:
    return load_principal(principal)


@login_manager.request_loader
def _request_loader(_request) -> Principal | None:
    token = bearer_token()
    if token is None:
        return None
    principal = principal_of_token(db().session, token)
    if principal is None:
        g.bad_token = True
        return None
    return load_principal(principal, via_token=True)


def _check_csrf() -> None:
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return
    if bearer_token() is not None:
        return  # a bad token is refused as 401 by the endpoint, not as a CSRF failure
    cookies = (current_app.config["SESSION_COOKIE_NAME"], current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    if not any(name in request.cookies for name in cookies):
        return  # no cookie, no ambient authority to forge: API clients sign in without a CSRF token
    csrf.protect()


def current_principal() -> Principal | None:
    return current_user if getattr(current_user, "is_authenticated", False) else None


def require_roles(*roles: str):
    """Refuse the view unless the principal has one of ``roles``: 401 when nobody, 403 otherwise."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            principal = current_principal()
            if principal is None:
                abort(401, "需要登录或令牌 Sign-in or a bearer token is required"
                      + (" (the token is unknown, expired or revoked)" if g.get("bad_token") else ""))
            if principal.role not in roles:
                abort(403, f"{ROLE_LABELS.get(principal.role, principal.role)} may not do this; "
                           f"allowed: {', '.join(roles)}")
            return view(*args, **kwargs)
        wrapped.required_roles = roles
        return wrapped
    return decorator


def page_roles(*roles: str):
    """Pages: send a visitor who is not signed in to the sign-in page; refuse other roles with 403."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            principal = current_principal()
            if principal is None:
                return login_manager.unauthorized()
            if principal.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        wrapped.required_roles = roles
        return wrapped
    return decorator
