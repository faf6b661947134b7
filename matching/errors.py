"""Refusals of the matching services. They are profile errors (same field and status), so the
web layer reports them the same way."""

from __future__ import annotations

from profiles.errors import ProfileError


class MatchingError(ProfileError):
    """A request the matching rules refuse: ``field`` names the input at fault, ``status`` is 404
    (missing), 409 (wrong state) or 422 (bad value)."""


class NotFound(MatchingError):
    def __init__(self, what: str, ident, field: str):
        super().__init__(f"no {what} {ident}", field, 404)


class InvalidTransition(MatchingError):
    def __init__(self, what: str, state: str, action: str):
        super().__init__(f"{what} is {state}: cannot {action}", "status", 409)
