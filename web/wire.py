"""How /live messages go on the wire: JSON by orjson, and never binary attachments.

python-socketio walks every outgoing payload recursively looking for ``bytes`` (to send them as
binary attachments), then encodes it with the standard library's ``json``. Our payloads never
hold bytes and a board delta can hold hundreds of rows, so under load (``bench/live.py``) the
walk alone took ~14% of the server's CPU and encoding another ~6%. A packet class is
python-socketio's documented extension point (``serializer=``); the wire format is unchanged.
"""

from __future__ import annotations

import orjson
from socketio.packet import Packet


class _OrJson:
    """The two calls python-socketio makes of its ``json`` module."""

    @staticmethod
    def dumps(data, **_options) -> str:
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode()

    @staticmethod
    def loads(text, **_options):
        return orjson.loads(text)


class JsonPacket(Packet):
    uses_binary_events = False  # we never emit bytes; incoming packets decode as before
    json = _OrJson
