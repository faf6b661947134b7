"""Refusals of the profiles services, each naming the input at fault and an HTTP-like status."""

from __future__ import annotations


class ProfileError(ValueError):
    """A request the profiles rules refuse. ``field`` names the input at fault; ``status`` is how
    the web layer reports it (404 missing, 409 wrong state, 422 bad value)."""

    def __init__(self, message: str, field: str, status: int = 422):
        super().__init__(message)
        self.field = field
        self.status = status
