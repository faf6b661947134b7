"""Pages (Chinese first, English second): public boards, sign-in, tablets, big screens, console."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("views", __name__)

from . import console, matching, profiles, public, screens, signin, tablets  # noqa: E402,F401  (routes register on bp)
