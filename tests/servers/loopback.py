"""Small loopback HTTP helpers for the publishing tests.

- :class:`Receiver`: a webhook receiver that verifies Standard Webhooks signatures (with the
  ``standardwebhooks`` package) and can be told to answer the next requests with a status
  (and headers/body), or to drop the connection without answering.
- :class:`FaultProxy`: an HTTP proxy in front of a real server (mastodon_mock, the PDS) that
  forwards requests and, on cue, drops the connection after the N-th matching request has
  been forwarded (the server acted, the client never hears) and then refuses every request
  until healed: a network outage in the middle of a thread.

Both bind 127.0.0.1 on a port the OS picks.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _start(handler_cls) -> tuple[_Server, threading.Thread]:
    server = _Server(("127.0.0.1", 0), handler_cls)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def _drop(handler: BaseHTTPRequestHandler) -> None:
    """Close the client's connection at once, no answer (a reset as the client sees it)."""
    handler.close_connection = True
    try:
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class Receiver:
    """A Standard Webhooks receiver (without ``secret``: a plain POST recorder, e.g. a WebSub
    hub). ``deliveries``: list of ``(headers, body bytes, verified)``;
    ``script``: answers to use for the next requests, each ``(status, headers, body)`` or
    ``"drop"`` or ``"hang"`` (no answer for 2 s); afterwards 204."""

    def __init__(self, secret: str | None = None):
        from standardwebhooks.webhooks import Webhook

        self.webhook = Webhook(secret) if secret else None
        self.deliveries: list[tuple[dict, bytes, bool]] = []
        self.script: list = []
        self.hung = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    owner.webhook.verify(body, headers)
                    ok = True
                except Exception:  # no secret (a plain recorder) or a bad signature
                    ok = False
                owner.deliveries.append((headers, body, ok))
                answer = owner.script.pop(0) if owner.script else (204, {}, b"")
                if answer == "drop":
                    _drop(self)
                    return
                if answer == "hang":  # no answer until the client gives up (its read timeout)
                    owner.hung.wait(2.0)
                    _drop(self)
                    return
                status, extra, payload = answer
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server, self.thread = _start(Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def reset(self) -> None:
        self.deliveries.clear()
        self.script.clear()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FaultProxy:
    """A forwarding proxy to ``upstream`` (``http://127.0.0.1:port``) with one fault:
    after :meth:`drop_after` ``(n, path)``, the ``n+1``-th request whose path contains ``path``
    is forwarded (the server acts on it) and its connection dropped unanswered, and every
    request after it is dropped unforwarded, until :meth:`heal`. ``log``: ``(method, path,
    status or "dropped")`` of every request."""

    def __init__(self, upstream: str):
        self.upstream = urlsplit(upstream)
        self.log: list[tuple[str, str, object]] = []
        self._rule: tuple[int, str, bool] | None = None
        self._count = 0
        self._down = False
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                with owner._lock:
                    if owner._down:
                        owner.log.append((self.command, self.path, "dropped"))
                        _drop(self)
                        return
                    drop_now = False
                    if owner._rule and owner._rule[1] in self.path:
                        owner._count += 1
                        if owner._count > owner._rule[0]:
                            drop_now = True
                            owner._down = True
                            forward = owner._rule[2]
                if drop_now and not forward:
                    owner.log.append((self.command, self.path, "dropped"))
                    _drop(self)
                    return
                conn = http.client.HTTPConnection(owner.upstream.hostname, owner.upstream.port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                if drop_now:
                    owner.log.append((self.command, self.path, "dropped after forwarding"))
                    _drop(self)
                    return
                owner.log.append((self.command, self.path, resp.status))
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.server, self.thread = _start(Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def drop_after(self, n: int, path: str, *, forward: bool = True) -> None:
        """Let ``n`` requests matching ``path`` through; drop the next (after forwarding it
        when ``forward``) and everything after it."""
        with self._lock:
            self._rule, self._count, self._down = (n, path, forward), 0, False

    def heal(self) -> None:
        with self._lock:
            self._rule, self._count, self._down = None, 0, False

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def json_body(data) -> bytes:
    return json.dumps(data).encode("utf-8")
