"""Entry point.

- ``flask --app wsgi run`` (or any WSGI server) finds ``app`` here: Flask's development server,
  one thread per connection; what ``make run`` starts.
- ``JX_SOCKETIO_ASYNC_MODE=gevent python wsgi.py --port 5000`` serves on gevent: one greenlet per
  connection, for a contest with a thousand tablets and screens (``make serve``). gevent must
  patch the standard library before anything else is imported, so it happens first, here.
"""

import os

if os.environ.get("JX_SOCKETIO_ASYNC_MODE") == "gevent":
    from gevent import monkey

    monkey.patch_all()

from web import create_app  # noqa: E402

app = create_app()

if __name__ == "__main__":
    import argparse

    from web.extensions import socketio

    parser = argparse.ArgumentParser(description="Serve Jiangxing (Socket.IO async mode from JX_SOCKETIO_ASYNC_MODE)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    socketio.run(app, host=args.host, port=args.port, log_output=False, allow_unsafe_werkzeug=True)
