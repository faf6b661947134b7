"""Configuration from environment variables; defaults give the embedded single-process setup."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("JX_INSTANCE_DIR", Path(__file__).resolve().parent.parent / "instance"))


def from_environment() -> dict:
    """Read settings: JX_DATABASE_URL, JX_SECRET_KEY, JX_MESSAGE_QUEUE, JX_SOCKETIO_ASYNC_MODE."""
    return {
        # SQLite in instance/ by default; e.g. postgresql+psycopg://user@host/db in production.
        "DATABASE_URL": os.environ.get("JX_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'jiangxing.sqlite'}"),
        # A random key per start is safe for the demo; production sets a fixed one.
        "SECRET_KEY": os.environ.get("JX_SECRET_KEY") or secrets.token_hex(32),
        # redis://127.0.0.1:6379/0 lets several server processes share Socket.IO rooms.
        "MESSAGE_QUEUE": os.environ.get("JX_MESSAGE_QUEUE") or None,
        "SOCKETIO_ASYNC_MODE": os.environ.get("JX_SOCKETIO_ASYNC_MODE", "threading"),
    }
