"""Loopback servers for the platforms no installable server exists for (Buttondown,
listmonk): the HTTP side they share. A threaded server on 127.0.0.1 at a port the OS picks
serves a :class:`Platform` (the documented endpoints, authentication, statuses and error
bodies), keeps every request, and fails the next matching request on cue: a status (429 with
``Retry-After``, 5xx), a connection reset before the request is acted on, or a reset *after*
it was acted on (the answer is lost: the case that duplicates posts)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .loopback import _drop


@dataclass
class Recorded:
    """One request as the server received it (header names lower-cased)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Fault:
    """What to do instead of (or after) answering the next request matching ``method path``.

    ``status``: answer this status with ``body`` and ``headers`` (``Retry-After``…) without
    acting on the request. ``reset``: close the connection with a TCP reset; with ``after``
    the request is acted on first, so it took effect but its answer is lost. ``delay``: act on
    the request, then wait this many seconds before answering (a client's read timeout).
    """

    method: str
    path: str
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    reset: bool = False
    after: bool = False
    delay: float = 0.0
    times: int = 1

    def matches(self, method: str, path: str) -> bool:
        return self.method == method and path.startswith(self.path)


class Response(Exception):
    """Raised by a platform handler to answer ``status`` with the JSON ``body``."""

    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


class Platform:
    """A platform's API: override :meth:`handle`. ``self.lock`` guards its data."""

    def __init__(self):
        self.lock = threading.Lock()

    def handle(self, req: Recorded) -> tuple[int, Any, dict[str, str]]:  # pragma: no cover - abstract
        raise NotImplementedError


class LoopbackServer:
    """Serve ``platform`` on ``http://127.0.0.1:<free port>``; use as a context manager or
    call :meth:`start`/:meth:`stop`."""

    def __init__(self, platform: Platform):
        self.platform = platform
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.errors: list[Exception] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _serve(self):
                owner._serve(self)

            def finish(self):
                try:
                    super().finish()
                except (OSError, ValueError):  # the socket was reset on purpose
                    pass

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):  # a reset socket is not an error here
                pass

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, ending in ``/``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> "LoopbackServer":
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "LoopbackServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def fail(self, method: str, path: str, *, status: int = 0, retry_after: int | None = None, body: Any = None,
             reset: bool = False, after: bool = False, delay: float = 0.0, times: int = 1) -> None:
        """Make the next ``times`` requests matching ``method path`` (a path prefix) fail."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self._lock:
            self.faults.append(Fault(method.upper(), path, status, headers, body, reset, after, delay, times))

    def clear(self) -> None:
        """Forget recorded requests and pending faults (the platform's data stays)."""
        with self._lock:
            self.requests.clear()
            self.faults.clear()

    def sent(self, method: str, path: str) -> list[Recorded]:
        """The recorded requests with this method and exact path."""
        return [r for r in self.requests if r.method == method.upper() and r.path == path]

    # -- internals ---------------------------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        parts = urlsplit(h.path)
        req = Recorded(h.command, parts.path, parse_qs(parts.query),
                       {k.lower(): v for k, v in h.headers.items()}, body)
        with self._lock:
            self.requests.append(req)
        fault = self._take_fault(req.method, req.path)
        if fault and fault.reset and not fault.after:
            return _drop(h)
        if fault and fault.status:
            return _answer(h, fault.status, fault.body if fault.body is not None else {"detail": "injected fault"},
                           fault.headers)
        status, payload, headers = self._call(req)
        if fault and fault.reset:  # after: it took effect, the answer is lost
            return _drop(h)
        if fault and fault.delay:
            time.sleep(fault.delay)
        _answer(h, status, payload, headers)

    def _call(self, req: Recorded) -> tuple[int, Any, dict[str, str]]:
        try:
            with self.platform.lock:
                return self.platform.handle(req)
        except Response as r:
            return r.status, r.body, r.headers
        except Exception as exc:  # a bug in the server itself: keep it for the test to see
            self.errors.append(exc)
            return 500, {"detail": f"loopback server bug: {exc!r}"}, {}


def _answer(h: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict[str, str]) -> None:
    data = b"" if payload is None else (payload if isinstance(payload, bytes) else
                                        json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    h.send_response(status)
    if payload is not None:
        h.send_header("Content-Type", "application/json")
    for name, value in headers.items():
        h.send_header(name, value)
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)
    h.wfile.flush()

