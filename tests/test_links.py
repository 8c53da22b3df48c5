"""dispatch check --links against a real HTTP server on loopback that answers 200, 301, 404,
500, refuses HEAD, times out and resets the connection; results cached for a day in the user's
cache folder (never the newsletter's or the published folder)."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from dispatch.links import LinkCache, LinkResult, check_links

SLOW_SECONDS = 3.0
TIMEOUT = 0.5


class _Handler(BaseHTTPRequestHandler):
    hits: Counter = Counter()
    slow_asked: list[float] = []  # time.monotonic() of each /slow request

    def log_message(self, *args) -> None:
        pass

    def _answer(self, head: bool) -> None:
        path = self.path.split("?")[0]
        _Handler.hits[(self.command, path)] += 1
        if path == "/reset":
            # an RST instead of an answer (SO_LINGER with a zero timeout)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if path == "/slow":
            _Handler.slow_asked.append(time.monotonic())
            time.sleep(SLOW_SECONDS)
        status, headers = {"/ok": (200, {}), "/moved": (301, {"Location": "/ok"}), "/missing": (404, {}),
                           "/error": (500, {}), "/slow": (200, {}),
                           "/nohead": (405 if head else 200, {})}.get(path, (404, {}))
        body = b"<p>hello</p>"
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(True)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(False)


@pytest.fixture(scope="session")
def link_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _issue(folder: Path, base: str) -> Path:
    (folder / "dispatch.toml").write_text('base_url = "https://n.example/"\n', encoding="utf-8")
    issue = folder / "links.md"
    issue.write_text(
        "---\ntitle: Links\ndate: 2026-01-01\n---\n"          # 1-4
        f"Lead with [fine]({base}/ok).\n\n"                    # 5
        "## Bottom Line\n\n"                                   # 7
        f"See [moved]({base}/moved) and [gone]({base}/missing).\n\n"  # 9
        f"A [broken server]({base}/error), a [slow one]({base}/slow).\n\n"  # 11
        "## Sources\n\n"                                       # 13
        f"- [Reset]({base}/reset)\n"                           # 15
        f"- [No HEAD]({base}/nohead)\n",                       # 16
        encoding="utf-8")
    return issue


def test_check_links_against_a_loopback_server(tmp_path, link_server):
    news = tmp_path / "news"
    news.mkdir()
    issue = _issue(news, link_server)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("DISPATCH_LINK_CACHE", None)
    _Handler.hits.clear()
    _Handler.slow_asked.clear()
    proc = subprocess.run([sys.executable, "-m", "dispatch", "check", "--links", "--link-timeout", str(TIMEOUT),
                           "--format", "json", str(issue)], capture_output=True, text=True, cwd=news, env=env,
                          timeout=120)
    ended = time.monotonic()
    assert proc.returncode == 2, proc.stderr  # broken links are errors
    data = json.loads(proc.stdout)
    found = {(d["code"], d["line"]): d["message"] for d in data["diagnostics"] if "link" in d["code"]}
    assert set(found) == {("link-redirect", 9), ("broken-link", 9), ("broken-link", 11), ("link-unknown", 11),
                          ("broken-link", 15)}, found
    assert found[("link-redirect", 9)] == (f"{link_server}/moved redirects (301) to {link_server}/ok; "
                                          "link there directly")
    assert found[("broken-link", 9)] == f"broken link {link_server}/missing (HTTP 404); fix or remove it"
    assert found[("broken-link", 11)] == f"broken link {link_server}/error (HTTP 500); fix or remove it"
    assert found[("link-unknown", 11)] == f"could not check {link_server}/slow (timed out after 0.5 s); try again later"
    assert found[("broken-link", 15)] == f"broken link {link_server}/reset (connection reset by the server); fix or remove it"
    assert data["issues"][0]["links"] == {"ok": 2, "redirect": 1, "unknown": 1, "broken": 3, "cached": 0}
    # HEAD first; GET only where HEAD was refused (and retried once after a reset)
    assert _Handler.hits[("HEAD", "/ok")] == 2 and _Handler.hits[("GET", "/ok")] == 0  # /moved lands on /ok too
    assert (_Handler.hits[("HEAD", "/nohead")], _Handler.hits[("GET", "/nohead")]) == (1, 1)
    assert _Handler.hits[("GET", "/slow")] == 0
    # the slow server did not hold the run up: it ended before the first slow answer was due
    # (measured from that request, so the interpreter's start-up on a loaded machine is not counted)
    assert _Handler.slow_asked and ended < _Handler.slow_asked[0] + SLOW_SECONDS

    # cached for a day in the user's cache folder; only what did not answer is asked again
    cache = tmp_path / "cache" / "dispatch" / "links.json"
    assert set(json.loads(cache.read_text(encoding="utf-8"))) == {
        f"{link_server}/{p}" for p in ("ok", "moved", "missing", "error", "nohead")}
    assert sorted(p.name for p in news.iterdir()) == ["dispatch.toml", "links.md"]
    _Handler.hits.clear()
    again = subprocess.run([sys.executable, "-m", "dispatch", "check", "--links", "--link-timeout", str(TIMEOUT),
                            "--format", "json", str(issue)], capture_output=True, text=True, cwd=news, env=env,
                           timeout=120)
    assert json.loads(again.stdout)["issues"][0]["links"]["cached"] == 5
    assert set(path for _, path in _Handler.hits) == {"/slow", "/reset"}


def test_cache_entries_expire_after_a_day(tmp_path):
    cache = LinkCache(tmp_path / "links.json", now=1_000_000.0)
    cache.put(LinkResult("https://a.example/", status=200, checked_at=1_000_000.0 - 24 * 3600 - 1))
    cache.put(LinkResult("https://b.example/", status=404, checked_at=1_000_000.0 - 3600))
    cache.put(LinkResult("https://c.example/", error="timed out after 1 s", checked_at=1_000_000.0))
    assert cache.get("https://a.example/") is None
    assert cache.get("https://b.example/").status == 404 and cache.get("https://b.example/").cached
    assert cache.get("https://c.example/") is None  # no answer: never cached
    cache.save()
    assert list(json.loads((tmp_path / "links.json").read_text())) == ["https://b.example/"]
    (tmp_path / "links.json").write_text("{not json", encoding="utf-8")
    assert LinkCache(tmp_path / "links.json").entries == {}


def test_per_host_politeness(link_server, tmp_path):
    # four requests to one host at most two at a time, starts 0.2 s apart: ≥ 0.6 s in all
    start = time.monotonic()
    urls = [f"{link_server}/ok?{n}" for n in range(4)]
    results = check_links(urls, timeout=2, cache=LinkCache(tmp_path / "c.json"), interval=0.2, per_host=2)
    assert all(results[u].status == 200 for u in urls)
    assert time.monotonic() - start >= 0.6


def _resolver(monkeypatch, names: dict[str, int | str]):
    """Resolve host names as ``names`` says (an address, or a getaddrinfo error number), like
    a resolver that is offline (every name EAI_NONAME, as Linux and macOS answer without a
    network) or one that knows some names; IP literals resolve as usual. Only loopback is
    ever connected to."""
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        answer = names.get(host, names.get("*", host))
        if isinstance(answer, int):
            raise socket.gaierror(answer, {socket.EAI_NONAME: "Name or service not known",
                                           socket.EAI_AGAIN: "Temporary failure in name resolution"}[answer])
        return real(answer, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def _named_issue(folder: Path, port: int) -> Path:
    (folder / "dispatch.toml").write_text('base_url = "https://n.example/"\n', encoding="utf-8")
    issue = folder / "named.md"
    issue.write_text("---\ntitle: Named\ndate: 2026-01-01\n---\n"                    # 1-4
                     f"[RISC-V](http://riscv.test:{port}/ok) and [gone](http://riscv.test:{port}/missing).\n\n"  # 5
                     f"[Nowhere](http://nowhere.test:{port}/) and [flaky](http://flaky.test:{port}/ok).\n",     # 7
                     encoding="utf-8")
    return issue


def _check_links_cli(issue: Path, tmp_path: Path, *args: str):
    from click.testing import CliRunner

    from dispatch.cli import main

    return CliRunner().invoke(main, ["check", "--links", "--link-timeout", str(TIMEOUT), *args, str(issue)],
                              env={"DISPATCH_LINK_CACHE": str(tmp_path / "links.json"), "DISPATCH_PROGRESS": "0"})


def test_offline_links_are_unknown_and_said_once(tmp_path, link_server, monkeypatch):
    _resolver(monkeypatch, {"*": socket.EAI_NONAME})  # no name resolves: what an offline machine answers
    issue = _named_issue(tmp_path, int(link_server.rsplit(":", 1)[1]))
    got = _check_links_cli(issue, tmp_path)
    assert got.exit_code == 0, got.output  # nothing is broken: not an error
    warnings = [line for line in got.stderr.splitlines() if "could not" in line or "broken link" in line]
    assert warnings == ["warning: could not reach the network (e.g. riscv.test: no such host (DNS)): 4 links not "
                        "checked, reported as unknown; run 'dispatch check --links' again when online"]
    assert "broken" not in got.stderr
    assert f"{issue}: 4 links: 0 fine, 0 redirected, 4 unknown, 0 broken" in got.stdout.splitlines()
    assert _check_links_cli(issue, tmp_path, "--strict").exit_code == 1  # a warning, for --strict
    assert not (tmp_path / "links.json").exists() or json.loads((tmp_path / "links.json").read_text()) == {}


def test_online_a_missing_host_is_still_broken_and_a_dns_hiccup_unknown(tmp_path, link_server, monkeypatch):
    _resolver(monkeypatch, {"riscv.test": "127.0.0.1", "nowhere.test": socket.EAI_NONAME,
                            "flaky.test": socket.EAI_AGAIN})
    issue = _named_issue(tmp_path, int(link_server.rsplit(":", 1)[1]))
    got = _check_links_cli(issue, tmp_path, "--format", "json")
    assert got.exit_code == 2, got.output
    data = json.loads(got.stdout)
    found = sorted((d["code"], d["line"], d["message"]) for d in data["diagnostics"] if "link" in d["code"]
                   or "network" in d["code"])
    port = link_server.rsplit(":", 1)[1]
    assert found == [
        ("broken-link", 5, f"broken link http://riscv.test:{port}/missing (HTTP 404); fix or remove it"),
        ("broken-link", 7, f"broken link http://nowhere.test:{port}/ (no such host (DNS)); fix or remove it"),
        ("link-unknown", 7, f"could not check http://flaky.test:{port}/ok (DNS lookup failed (temporary failure "
                            "in name resolution)); try again later"),
    ]
    assert data["issues"][0]["links"] == {"ok": 1, "redirect": 0, "unknown": 1, "broken": 2, "cached": 0}
