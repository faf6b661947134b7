"""Configuration from environment variables; defaults give the embedded single-process setup."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("JX_INSTANCE_DIR", Path(__file__).resolve().parent.parent / "instance"))


def from_environment() -> dict:
    """Read settings: JX_DATABASE_URL, JX_SECRET_KEY, JX_MESSAGE_QUEUE, JX_MESSAGE_QUEUE_CHANNEL,
    JX_LIVE_POLL_MS, JX_SOCKETIO_ASYNC_MODE."""
    queue = os.environ.get("JX_MESSAGE_QUEUE") or None
    return {
        # SQLite in instance/ by default; e.g. postgresql+psycopg://user@host/db in production.
        "DATABASE_URL": os.environ.get("JX_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'jiangxing.sqlite'}"),
        # A random key per start is safe for the demo; production sets a fixed one.
        "SECRET_KEY": os.environ.get("JX_SECRET_KEY") or secrets.token_hex(32),
        # redis://127.0.0.1:6379/0 lets several server processes share Socket.IO rooms.
        "MESSAGE_QUEUE": queue,
        # One Redis may carry several deployments (or test runs): each on its own channel.
        "MESSAGE_QUEUE_CHANNEL": os.environ.get("JX_MESSAGE_QUEUE_CHANNEL", "jiangxing"),
        # With several processes, each follows the log itself: how often it looks at the log's
        # head for events another process appended (0: only when this process publishes).
        "LIVE_POLL_MS": int(os.environ.get("JX_LIVE_POLL_MS") or (100 if queue else 0)),
        "SOCKETIO_ASYNC_MODE": os.environ.get("JX_SOCKETIO_ASYNC_MODE", "threading"),
    }
