"""The preview's web server: the standard library's ThreadingHTTPServer on loopback, a watcher
thread (watchfiles) and live reload over Server-Sent Events.

Routes (all GET):

================================ ==========================================================
``/``                            the index of every issue (a single-issue preview redirects)
``/issue/<key>``                 one issue: email, plain-text part, web page, threads, warnings
``/issue/<key>/email?scheme=``   the email as rendered (``scheme=dark``: dark rules forced on)
``/issue/<key>/web``             the issue's web page, styled by the site's stylesheet
``/_asset/<url path>``           a local image of a rendered issue (only those)
``/_site/style.css``             the archive's stylesheet (layout ``web/style.css``)
``/_preview/<file>``             the preview's own CSS and JavaScript
``/_events``                     ``text/event-stream``: ``event: reload`` on every change
================================ ==========================================================

``<key>`` is the issue file's path relative to the previewed folder (URL-quoted).
"""

from __future__ import annotations

import mimetypes
import threading
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, quote, unquote, urlsplit

from ..errors import DispatchError
from . import pages
from .model import PreviewSite

STATIC = Path(__file__).with_name("static")
#: Seconds between SSE keep-alive comments (proxies and browsers drop silent streams).
KEEPALIVE = 15.0


class Hub:
    """Change notifications for the SSE streams: a version number and a condition variable.

    ``bump()`` is called by the watcher; each stream waits in :meth:`wait` and sends ``reload``
    when the version moved past the one it last sent."""

    def __init__(self) -> None:
        self.version = 0
        self.closed = False
        self._cond = threading.Condition()

    def bump(self) -> int:
        with self._cond:
            self.version += 1
            self._cond.notify_all()
            return self.version

    def wait(self, seen: int, timeout: float) -> int:
        """Block until the version is past ``seen``, the hub closes, or ``timeout`` seconds pass;
        return the current version."""
        with self._cond:
            self._cond.wait_for(lambda: self.version != seen or self.closed, timeout=timeout)
            return self.version

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib's name
        if self.server.log:
            self.server.log(f"{self.address_string()} {format % args}")

    def do_GET(self) -> None:  # noqa: N802 - stdlib's name
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        route = unquote(url.path)
        site: PreviewSite = self.server.site
        try:
            if route == "/_events":
                return self._events()
            if route.startswith("/_preview/"):
                return self._static(route[len("/_preview/"):])
            if route == "/_site/style.css":
                return self._send(site.stylesheet().encode("utf-8"), "text/css; charset=utf-8")
            if route.startswith("/_asset/"):
                file = site.asset(route[len("/_asset/"):])
                if file is None:
                    return self._send(b"not an image of a previewed issue", "text/plain", HTTPStatus.NOT_FOUND)
                return self._send(file.read_bytes(), mimetypes.guess_type(file.name)[0] or "application/octet-stream")
            if route in ("/", "/index.html"):
                single = site.single_key()
                if single is not None:
                    return self._redirect("/issue/" + quote(single))
                return self._send(pages.index_page(site, self.server.hub.version).encode("utf-8"))
            if route.startswith("/issue/"):
                rest = route[len("/issue/"):]
                for suffix, kind in (("/email", "email"), ("/web", "web")):
                    if rest.endswith(suffix):
                        view = site.view(rest[: -len(suffix)])
                        if view is None:
                            break
                        body = view.email_html(query.get("scheme", "light")) if kind == "email" else view.web_html()
                        return self._send(body.encode("utf-8"))
                else:
                    view = site.view(rest)
                    if view is not None:
                        return self._send(pages.issue_page(site, view, self.server.hub.version).encode("utf-8"))
                return self._send(pages.not_found(site, route).encode("utf-8"), status=HTTPStatus.NOT_FOUND)
            return self._send(pages.not_found(site, route).encode("utf-8"), status=HTTPStatus.NOT_FOUND)
        except (BrokenPipeError, ConnectionResetError):
            return None
        except DispatchError as exc:  # a config or layout error outside one issue
            self._send(pages.error_page(site, exc).encode("utf-8"), status=HTTPStatus.OK)
        except Exception:  # noqa: BLE001 - a bug: show it in the page, keep serving
            self._send(pages.crash_page(traceback.format_exc()).encode("utf-8"),
                       status=HTTPStatus.INTERNAL_SERVER_ERROR)

    def _send(self, body: bytes, ctype: str = "text/html; charset=utf-8", status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, where: str) -> None:
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _static(self, name: str) -> None:
        file = STATIC / name
        if "/" in name or not file.is_file():
            return self._send(b"not found", "text/plain", HTTPStatus.NOT_FOUND)
        ctype = {"css": "text/css", "js": "text/javascript"}.get(file.suffix[1:], "application/octet-stream")
        self._send(file.read_bytes(), ctype + "; charset=utf-8")

    def _events(self) -> None:
        """One SSE stream (HTML Living Standard §9.2): ``retry``, then ``event: reload`` with
        the new version on each change, and a comment line every :data:`KEEPALIVE` seconds."""
        hub = self.server.hub
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        seen = hub.version
        self.wfile.write(f"retry: 1000\nevent: hello\ndata: {seen}\n\n".encode())
        self.wfile.flush()
        while not hub.closed:
            now = hub.wait(seen, KEEPALIVE)
            if hub.closed:
                break
            message = f"event: reload\ndata: {now}\n\n" if now != seen else ": keep-alive\n\n"
            seen = now
            self.wfile.write(message.encode())
            self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # a reloading browser may open many connections at once
    request_queue_size = 64

    def __init__(self, address, site: PreviewSite, hub: Hub, log: Callable[[str], None] | None):
        self.site = site
        self.hub = hub
        self.log = log
        super().__init__(address, _Handler)


class PreviewServer:
    """``dispatch preview``: serve a :class:`~dispatch.preview.model.PreviewSite` on loopback
    and reload every open page when a watched file changes.

    Args:
        site: what to show.
        host: the address to bind (loopback by default; the preview is not for a network).
        port: the TCP port; ``0`` asks the OS for a free one (see :attr:`url`).
        log: a callable for one line per request and per change (``None``: quiet).
        debounce_ms: how long watchfiles gathers a burst of saves into one change.

    Raises:
        OSError: the port cannot be bound.
    """

    def __init__(self, site: PreviewSite, host: str = "127.0.0.1", port: int = 0,
                 log: Callable[[str], None] | None = None, on_change: Callable[[list[str]], None] | None = None,
                 debounce_ms: int = 150):
        self.site = site
        self.hub = Hub()
        self.httpd = _Server((host, port), site, self.hub, log)
        self.on_change = on_change
        self.debounce_ms = debounce_ms
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        """The server's base URL, ``http://127.0.0.1:<port>/``."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> "PreviewServer":
        """Serve and watch in background threads; returns ``self`` once the file watches are in
        place (:func:`dispatch.authoring.file_changes`)."""
        serve = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                 name="dispatch-preview-http", daemon=True)
        serve.start()
        self._threads.append(serve)
        ready = []
        for paths, recursive in self.site.watch_paths():
            ready.append(threading.Event())
            t = threading.Thread(target=self._watch, args=(paths, recursive, ready[-1]), name="dispatch-preview-watch",
                                 daemon=True)
            t.start()
            self._threads.append(t)
        for event in ready:  # a save made once start() returned is never missed
            event.wait(10)
        return self

    def _watch(self, paths: list[Path], recursive: bool, ready: threading.Event) -> None:
        from ..authoring import file_changes

        site = self.site
        try:
            for changed in file_changes(paths, recursive=recursive, wanted=site.relevant, stop=self._stop,
                                        debounce_ms=self.debounce_ms):
                if not changed:  # watching from now on
                    ready.set()
                    continue
                site.changed(changed)
                self.hub.bump()
                if self.on_change:
                    self.on_change([str(p) for p in changed])
        except Exception as exc:  # noqa: BLE001 - a watcher that dies must say so, not vanish
            if self.on_change and not self._stop.is_set():
                self.on_change([f"(file watching stopped: {exc})"])
        finally:
            ready.set()

    def stop(self) -> None:
        """Stop watching and serving, close every SSE stream; waits for the threads."""
        self._stop.set()
        self.hub.close()
        self.httpd.shutdown()
        self.httpd.server_close()
        for t in self._threads:
            t.join(timeout=5)

    def serve_forever(self) -> None:
        """:meth:`start`, then block until Ctrl-C; always :meth:`stop`."""
        self.start()
        try:
            while not self._stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

