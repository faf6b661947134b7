"""Who may sign in: staff accounts, hashed secrets, and bearer tokens for API clients.

A principal is named by a string ``"<role>:<id>"`` (``admin:1``, ``referee:7``, ``contestant:42``,
``display:3``): the same string is the Flask-Login user id, a token's owner and an event's actor,
so one log line says who did what however they signed in. This module knows nothing about
contests: the competition package resolves referee, contestant and display principals.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, bindparam, false, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base, utcnow

# hr: an enterprise's HR staff (a staff account tied to one enterprise): its own workforce only.
# team: a craftsman service team's account (its inbox of offered orders).
ROLES = ("admin", "referee", "contestant", "display", "hr", "team")
TOKEN_LIFETIME = timedelta(hours=24)  # a contest day; tablets sign in again the next morning

# scrypt with n=2**14, r=8, p=1: ~50 ms and 16 MiB per hash, the cost OWASP suggests for scrypt.
# JX_SCRYPT_N lowers it where speed matters more than secrecy (the test suite); every hash records
# its own parameters, so hashes made at either cost keep verifying.
_SCRYPT = {"n": int(os.environ.get("JX_SCRYPT_N", 2**14)), "r": 8, "p": 1}


class StaffAccount(Base):
    """A union staff member who runs contests (role ``admin``), or, when tied to an enterprise,
    that enterprise's HR (role ``hr``: its own post standards, workforce analysis and applicants)."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    # A service team's account (the team row points here: matching.models.ServiceTeam.account_id).
    serves_team: Mapped[bool] = mapped_column(default=False, server_default=false())

    @property
    def role(self) -> str:
        if self.serves_team:
            return "team"
        return "hr" if self.enterprise_id is not None else "admin"

    @property
    def principal(self) -> str:
        return f"{self.role}:{self.id}"


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, so a database leak does not leak tokens."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    principal: Mapped[str] = mapped_column(String(60), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


def hash_secret(secret: str) -> str:
    """Return a salted scrypt hash of a password or PIN, in a self-describing text form."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_secret(stored: str | None, secret: str) -> bool:
    """Tell whether ``secret`` matches ``stored`` (False for no stored hash), in constant time."""
    if not stored or not secret:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = hashlib.scrypt(secret.encode("utf-8"), salt=bytes.fromhex(salt), dklen=32,
                                n=int(n), r=int(r), p=int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual.hex(), digest)


def parse_principal(principal: str) -> tuple[str, int] | None:
    """Split ``"role:id"``; None when it is not a well-formed principal."""
    role, _, ident = principal.partition(":")
    if role not in ROLES or not ident.isdigit():
        return None
    return role, int(ident)


def create_staff_account(session: Session, *, username: str, display_name: str, password: str,
                         enterprise_id: int | None = None, serves_team: bool = False) -> StaffAccount:
    if len(password) < 8:
        raise ValueError("a staff password has at least 8 characters")
    account = StaffAccount(username=username, display_name=display_name, password_hash=hash_secret(password),
                           enterprise_id=enterprise_id, serves_team=serves_team)
    session.add(account)
    session.flush()
    return account


def authenticate_staff(session: Session, username: str, password: str) -> StaffAccount | None:
    account = session.scalar(select(StaffAccount).where(StaffAccount.username == username))
    if account is None:
        hash_secret(password)  # same cost as a wrong password: no user enumeration by timing
        return None
    return account if check_secret(account.password_hash, password) else None


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, principal: str, *, now: datetime | None = None,
                lifetime: timedelta = TOKEN_LIFETIME) -> tuple[str, ApiToken]:
    """Create a bearer token for ``principal``; return the token (shown once) and its row."""
    if parse_principal(principal) is None:
        raise ValueError(f"not a principal: {principal!r}")
    token = secrets.token_urlsafe(32)
    issued = now or utcnow()
    row = ApiToken(token_hash=_token_digest(token), principal=principal, created_at=issued,
                   expires_at=issued + lifetime)
    session.add(row)
    session.flush()
    return token, row


# Plain columns, not the entity: every API request reads its token.
_TOKEN_BY_HASH = (select(ApiToken.principal, ApiToken.expires_at, ApiToken.revoked_at)
                  .where(ApiToken.token_hash == bindparam("token_hash")))


def principal_of_token(session: Session, token: str, *, now: datetime | None = None) -> str | None:
    """Return the principal a live token stands for, or None (unknown, expired or revoked)."""
    if not token or len(token) > 200:
        return None
    row = session.connection().execute(_TOKEN_BY_HASH, {"token_hash": _token_digest(token)}).first()
    if row is None or row.revoked_at is not None or row.expires_at <= (now or utcnow()):
        return None
    return row.principal


def revoke_token(session: Session, token: str) -> bool:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(token)))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True
