"""A real browser looks at the email: Debian's headless Chromium driven through chromedriver's
W3C WebDriver HTTP API (stdlib urllib on loopback; no extra Python package).

The example's email.html is opened at 600 px and 375 px wide, in light and dark colour scheme
(``prefers-color-scheme`` emulated through chromedriver's CDP bridge,
``Emulation.setEmulatedMedia``). Each combination is screenshotted to tests/artifacts/ and
checked: no horizontal overflow at 375 px, every component heading visible (in the viewport's
width, non-zero size, not hidden) and readable (text contrast ≥ 4.5:1, WCAG 2.1 SC 1.4.3).
Skips, saying why, when chromium or chromedriver is missing.
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver); .ci/run installs them",
)

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
]

#: Collects, for every element that carries a heading of the email, what a reader would see.
HEADINGS_JS = r"""
function rgb(s) { const m = s.match(/[\d.]+/g) || [0,0,0,0]; return m.map(Number); }
function lum(c) { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); }
function bg(el) { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
  if (c.length < 4 || c[3] > 0) return c; } return [255,255,255]; }
const vw = document.documentElement.clientWidth;
return Array.from(document.querySelectorAll('h1, h2, p.callout-label, p.lens-badge, pre, blockquote')).map(el => {
  const r = el.getBoundingClientRect(), s = getComputedStyle(el);
  const a = lum(rgb(s.color)), b = lum(bg(el));
  return {text: el.textContent.trim(), width: r.width, height: r.height, left: r.left, right: r.right,
          hidden: s.display === 'none' || s.visibility === 'hidden' || s.opacity === '0',
          contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), vw: vw};
});
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriver:
    """The few WebDriver commands the test needs (W3C WebDriver §6-§17)."""

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.session = ""

    def call(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.loads(resp.read())["value"]
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"WebDriver {method} {path}: {exc.read()[:500]!r}") from None

    def s(self, method: str, path: str, body: dict | None = None):
        return self.call(method, f"/session/{self.session}{path}", body)


@pytest.fixture(scope="module")
def browser():
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="chromedriver-", suffix=".log", delete=False)
    proc = subprocess.Popen([CHROMEDRIVER, f"--port={port}"], stdout=log, stderr=subprocess.STDOUT)
    driver = WebDriver(port)
    profile = tempfile.mkdtemp(prefix="dispatch-chromium-")
    try:
        for _ in range(100):
            try:
                if driver.call("GET", "/status").get("ready"):
                    break
            except (urllib.error.URLError, ConnectionError, AssertionError):
                pass
            time.sleep(0.05)
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": CHROMIUM, "args": FLAGS + [f"--user-data-dir={profile}"]}}}}
        driver.session = driver.call("POST", "/session", caps)["sessionId"]
        yield driver
    finally:
        if driver.session:
            try:
                driver.call("DELETE", f"/session/{driver.session}")
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


def _look(driver: WebDriver, page: Path, width: int, scheme: str, shot: Path) -> dict:
    # the window's outer width includes no scrollbar in headless mode with --hide-scrollbars
    driver.s("POST", "/window/rect", {"width": width, "height": 900})
    driver.s("POST", "/goog/cdp/execute", {"cmd": "Emulation.setEmulatedMedia",
                                           "params": {"features": [{"name": "prefers-color-scheme", "value": scheme}]}})
    driver.s("POST", "/goog/cdp/execute", {"cmd": "Emulation.setDeviceMetricsOverride", "params": {
        "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 500}})
    driver.s("POST", "/url", {"url": page.as_uri()})
    metrics = driver.s("POST", "/execute/sync", {"script": """return {
        scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth,
        height: document.documentElement.scrollHeight,
        dark: matchMedia('(prefers-color-scheme: dark)').matches,
        bodyBg: getComputedStyle(document.body).backgroundColor,
        numbersFont: (el => el && getComputedStyle(el).fontSize)(document.querySelector('td.numbers td')),
        titleFont: (el => el && getComputedStyle(el).fontSize)(document.querySelector('h1.title'))};""", "args": []})
    # a full-page screenshot: grow the viewport to the page's height, then capture
    driver.s("POST", "/goog/cdp/execute", {"cmd": "Emulation.setDeviceMetricsOverride", "params": {
        "width": width, "height": min(metrics["height"], 16000), "deviceScaleFactor": 1, "mobile": width < 500}})
    png = driver.s("GET", "/screenshot")
    shot.write_bytes(base64.b64decode(png))
    metrics["headings"] = driver.s("POST", "/execute/sync", {"script": HEADINGS_JS, "args": []})
    return metrics


@pytest.fixture(scope="module")
def looks(browser, tmp_path_factory, settings):
    from dispatch.render import render_issue

    from conftest import ARTIFACTS, EXAMPLE

    out = tmp_path_factory.mktemp("browser")
    report = render_issue(EXAMPLE, out, settings)
    page = report.folder / "email.html"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    results = {}
    for width in (600, 375):
        for scheme in ("light", "dark"):
            shot = ARTIFACTS / f"email-{width}-{scheme}.png"
            results[width, scheme] = _look(browser, page, width, scheme, shot)
    return report, results


def test_screenshots_written_at_both_widths_and_schemes(looks):
    from conftest import ARTIFACTS

    for width in (600, 375):
        for scheme in ("light", "dark"):
            shot = ARTIFACTS / f"email-{width}-{scheme}.png"
            data = shot.read_bytes()
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
            assert int.from_bytes(data[16:20], "big") == width  # PNG IHDR width, in CSS px at scale 1


def test_no_horizontal_overflow_at_375(looks):
    _, results = looks
    for scheme in ("light", "dark"):
        m = results[375, scheme]
        assert m["clientWidth"] == 375
        assert m["scrollWidth"] <= m["clientWidth"], m


def test_phone_media_query_applies_at_375_only(looks):
    # head.css's max-width: 480px rules (kept with their !important, notes/email.md)
    _, results = looks
    assert (results[600, "light"]["numbersFont"], results[375, "light"]["numbersFont"]) == ("15px", "14px")
    assert (results[600, "light"]["titleFont"], results[375, "light"]["titleFont"]) == ("32px", "26px")


def test_dark_scheme_applies_and_light_does_not(looks):
    _, results = looks
    assert results[600, "dark"]["dark"] and not results[600, "light"]["dark"]
    assert results[600, "light"]["bodyBg"] == "rgb(238, 241, 244)"  # #eef1f4
    assert results[600, "dark"]["bodyBg"] == "rgb(17, 20, 24)"  # #111418 from dark.css


def test_every_component_heading_visible_and_readable(looks):
    report, results = looks
    wanted = [s.heading_text for s in report.issue.sections if s.kind != "lens"]
    wanted += [s.data.title for s in report.issue.sections if s.kind == "lens"]
    assert report.issue.component("bottom_line") and report.issue.component("lens")
    for (width, scheme), m in results.items():
        seen = {h["text"]: h for h in m["headings"]}
        for title in wanted:
            match = [h for text, h in seen.items() if title.strip() in text]
            assert match, f"{title!r} not on the page at {width}px {scheme}"
            h = match[0]
            assert not h["hidden"] and h["width"] > 0 and h["height"] > 0, (width, scheme, h)
            assert h["left"] >= 0 and h["right"] <= h["vw"] + 0.5, (width, scheme, h)
            assert h["contrast"] >= 4.5, (width, scheme, h)


STRESS = """---
title: "Stress 👩‍💻 Tēnā koe"
date: 2026-06-01 08:00
slug: stress
---

A long unbroken link: https://example.org/a/very/long/path/that/does/not/break/anywhere/because/it/is/one/token/0123456789abcdef

## Wide table

| Language | Downloads last month | Growth | Notes about it | More columns here |
|---|---|---|---|---|
| Rust | 1,234,567,890 | +12% | supercalifragilisticexpialidocious | yes |

## Code

```rust
fn main() { println!("a very long line of code that will not fit on a phone screen at all, not even close"); }
```

> Quoted words from someone, in a block quote.

<img src="data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' width='900' height='90'/>" alt="" width="900">
"""


def test_wide_content_does_not_overflow_a_phone(browser, tmp_path, settings):
    """A wide table, a long URL, a long code line and a 900 px image stay inside 375 px."""
    from dispatch.render import render_issue

    from conftest import ARTIFACTS

    source = tmp_path / "stress.md"
    source.write_text(STRESS, encoding="utf-8")
    report = render_issue(source, tmp_path / "out", settings)
    for scheme in ("light", "dark"):
        m = _look(browser, report.folder / "email.html", 375, scheme, ARTIFACTS / f"stress-375-{scheme}.png")
        assert m["clientWidth"] == 375 and m["scrollWidth"] <= 375, m
        texts = [h["text"] for h in m["headings"]]
        assert "Stress 👩\u200d💻 Tēnā koe" in texts and "Wide table" in texts
        code = [h for h in m["headings"] if h["text"].startswith("fn main()")]
        quote = [h for h in m["headings"] if h["text"].startswith("Quoted")]
        assert len(code) == 1 and len(quote) == 1
        for h in m["headings"]:
            assert h["contrast"] >= 4.5, (scheme, h)
