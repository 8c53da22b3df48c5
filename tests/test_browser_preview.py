"""A real browser drives ``dispatch preview``: Debian's headless Chromium through chromedriver
(the WebDriver helper of test_browser_email), against the real command started as a
subprocess on a free loopback port.

It loads the index and an issue's page, edits the issue file and sees the page update by
itself (Server-Sent Events, no reload by the test) within a few seconds with its scroll
position kept, sees a broken edit shown in the page with its ``path:line``, sees the fix clear
it, and sees the issue's local image served. Screenshots go to tests/artifacts/preview-*.png.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from conftest import ARTIFACTS, EXAMPLE, ROOT
from test_browser_email import browser, pytestmark  # noqa: F401 - the shared session fixture and skip rule

#: The page must show an edit within this many seconds of the save (the issue's "a few").
UPDATE_WITHIN = 5.0


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real (tiny) PNG image: IHDR, one IDAT of unfiltered rows, IEND."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    """``dispatch preview issues --port 0`` in a copy of the example newsletter, with a local
    image added to the issue; yields ``(base URL, issue file, process)``."""
    root = tmp_path_factory.mktemp("preview-site")
    shutil.copy(ROOT / "dispatch.toml", root / "dispatch.toml")
    (root / "issues" / "img").mkdir(parents=True)
    (root / "issues" / "img" / "chart.png").write_bytes(_png(40, 20, (79, 70, 229)))
    issue = root / "issues" / EXAMPLE.name
    text = EXAMPLE.read_text(encoding="utf-8")
    lead_end = text.index("\n## ")
    issue.write_text(text[:lead_end] + "\n\n![A test chart](img/chart.png)\n" + text[lead_end:], encoding="utf-8")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "dispatch", "preview", "issues", "--port", "0"], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # Ctrl-C as in a terminal
    try:
        line = proc.stdout.readline()
        assert line.startswith("dispatch preview: http://127.0.0.1:"), (line, proc.stderr.read() if proc.poll() else "")
        url = line.split()[2]
        yield url, issue, proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _js(driver, script: str):
    return driver.s("POST", "/execute/sync", {"script": script, "args": []})


def _wait(driver, script: str, timeout: float):
    """Poll ``script`` until it returns something truthy (errors while the page reloads are
    retried); return ``(value, seconds waited)``."""
    start = time.monotonic()
    while True:
        try:
            value = _js(driver, script)
            if value:
                return value, time.monotonic() - start
        except AssertionError:
            pass
        if time.monotonic() - start > timeout:
            return None, time.monotonic() - start
        time.sleep(0.05)


def _shot(driver, name: str, height: int = 1400) -> Path:
    driver.s("POST", "/window/rect", {"width": 1280, "height": height})
    path = ARTIFACTS / name
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(driver.s("GET", "/screenshot")))
    return path


def test_preview_in_a_browser(browser, preview):  # noqa: F811 - the imported fixture
    url, issue, proc = preview
    driver = browser
    driver.s("POST", "/window/rect", {"width": 1280, "height": 1400})
    driver.s("POST", "/goog/cdp/execute", {"cmd": "Emulation.clearDeviceMetricsOverride", "params": {}})
    driver.s("POST", "/goog/cdp/execute", {"cmd": "Emulation.setEmulatedMedia", "params": {"features": []}})

    # the index: the issue with its date, status and warnings count
    driver.s("POST", "/url", {"url": url})
    row = _js(driver, """const r = document.querySelector('table.issues tbody tr');
      return r && {date: r.cells[0].textContent.trim(), title: r.cells[1].querySelector('a').textContent,
                   status: r.cells[2].textContent.trim(), warnings: r.cells[3].textContent.trim()};""")
    assert row == {"date": "22 May 2026", "title": "The Moonshot Moment", "status": "published",
                   "warnings": "0 warnings"}  # the example is clean (check --strict passes)
    assert _shot(driver, "preview-index.png").stat().st_size > 10_000

    # the issue page: every channel, the live-reload stream connected
    driver.s("POST", "/url", {"url": f"{url}issue/{issue.name}"})
    live, _ = _wait(driver, "return document.getElementById('live').classList.contains('on')", 10)
    assert live, "the live-reload stream did not connect"
    page = _js(driver, """return {
      title: document.getElementById('issue-title').textContent,
      tabs: Array.from(document.querySelectorAll('.tab')).map(t => t.dataset.tab),
      frames: Array.from(document.querySelectorAll('iframe.email-frame')).map(f => f.getAttribute('src')),
      threads: Array.from(document.querySelectorAll('.thread h3')).map(h => h.textContent),
      card: (c => c && c.querySelector('.card-title').textContent)(document.querySelector('.thread-bluesky .card')),
      posts: document.querySelectorAll('.thread-x .post').length,
      text: document.querySelector('.plain').textContent.includes('The Moonshot Moment')};""")
    assert page["title"] == "The Moonshot Moment"
    assert page["tabs"] == ["email", "text", "web", "threads", "warnings"]
    assert sorted(f.split("?")[1] for f in page["frames"]) == [
        "scheme=dark&w=375", "scheme=dark&w=600", "scheme=light&w=375", "scheme=light&w=600"]
    assert page["threads"] == ["X", "Bluesky", "Mastodon"]
    assert page["card"] == "The Moonshot Moment" and page["posts"] > 5 and page["text"]

    # the local image is served by the preview (the outputs keep their real URLs)
    loaded, _ = _wait(driver, """const f = document.querySelector('iframe.email-frame');
      const img = f && f.contentDocument && f.contentDocument.querySelector('img[alt="A test chart"]');
      return img && img.complete && img.naturalWidth === 40 && img.getAttribute('src');""", 10)
    assert loaded and loaded.startswith("/_asset/moonshot-moment/img/chart.png"), loaded
    dark_bg, _ = _wait(driver, """const f = document.querySelectorAll('iframe.email-frame')[2];
      return f.contentDocument && f.contentDocument.body && getComputedStyle(f.contentDocument.body).backgroundColor;""", 5)
    assert dark_bg == "rgb(17, 20, 24)"  # dark.css's #111418, forced on in the dark frames
    _shot(driver, "preview-issue.png", 2400)

    # an edit shows up by itself, the scroll position kept
    driver.s("POST", "/window/rect", {"width": 1280, "height": 1000})
    _js(driver, "window.scrollTo(0, 700); return window.scrollY;")
    _js(driver, "window.__beforeEdit = true; return 1;")
    source = issue.read_text(encoding="utf-8")
    issue.write_text(source.replace('title: "The Moonshot Moment"', 'title: "The Moonshot Moment, revised"', 1)
                     if 'title: "The Moonshot Moment"' in source else
                     source.replace("title: The Moonshot Moment", "title: The Moonshot Moment, revised", 1),
                     encoding="utf-8")
    saved = time.monotonic()
    title, waited = _wait(driver, """return !window.__beforeEdit &&
      document.getElementById('issue-title').textContent === 'The Moonshot Moment, revised' &&
      document.getElementById('issue-title').textContent;""", UPDATE_WITHIN)
    assert title, f"the page did not update within {UPDATE_WITHIN} s of the save"
    scroll, _ = _wait(driver, "return Math.abs(window.scrollY - 700) < 40 && window.scrollY;", 3)
    assert scroll, _js(driver, "return window.scrollY")
    print(f"page updated {time.monotonic() - saved:.2f} s after the save")

    # a broken edit: the error in the page with its path:line, the server still up
    broken = issue.read_text(encoding="utf-8")
    date_line = next(n for n, line in enumerate(broken.splitlines(), 1) if line.startswith("date:"))
    issue.write_text("\n".join("date: next Tuesday-ish" if n == date_line else line
                               for n, line in enumerate(broken.splitlines(), 1)) + "\n", encoding="utf-8")
    where, _ = _wait(driver, "const l = document.querySelector('.errors .loc'); return l && l.textContent;",
                     UPDATE_WITHIN)
    assert where == f"{Path('issues') / issue.name}:{date_line}" or where == f"{issue}:{date_line}", where
    message = _js(driver, "return document.querySelector('.errors .msg').textContent")
    assert "next Tuesday-ish" in message
    hit = _js(driver, "return document.querySelector('.errors .src-line.hit').textContent")
    assert hit == f"{date_line}date: next Tuesday-ish"
    _js(driver, "window.scrollTo(0, 0); return 0;")
    _shot(driver, "preview-error.png", 1000)
    assert proc.poll() is None

    # fixed again: the error goes, the page is back
    issue.write_text(broken, encoding="utf-8")
    back, _ = _wait(driver, """return !document.querySelector('.errors') &&
      document.getElementById('issue-title').textContent;""", UPDATE_WITHIN)
    assert back == "The Moonshot Moment, revised"
    _js(driver, "document.querySelector('.tab[data-tab=threads]').click(); return 1;")
    _shot(driver, "preview-threads.png", 1400)
