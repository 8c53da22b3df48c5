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
import re
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


# --- round two: mobile tables, Outlook-like width, right-to-left and CJK, dark hierarchy -------

#: For every word in every cell of the Markdown tables: how many line boxes it spans (a word
#: broken mid-word spans two or more).
BROKEN_WORDS_JS = r"""
const out = [];
for (const cell of document.querySelectorAll('table.md-table td, table.md-table th')) {
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const re = /\S+/g; let m;
    while ((m = re.exec(node.data))) {
      /* a compound may wrap after its own hyphens (a line-break opportunity, UAX #14 rule
         LB21); each part between them must stay on one line */
      let at = m.index, lines = 1;
      for (const part of m[0].split(/(?<=-)/)) {
        const range = document.createRange();
        range.setStart(node, at); range.setEnd(node, at + part.length); at += part.length;
        lines = Math.max(lines, new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top))).size);
      }
      out.push({word: m[0], lines: lines});
    }
  }
}
return out;
"""

TABLES = """---
title: Tables on a phone
date: 2026-06-01 08:00
slug: tables
---

## Crate releases

| Crate | Version | Downloads | Maintainers | Description |
|---|---|---|---|---|
| tokio-console-subscriber | 0.4.1 | 12,345,678 | tokio-rs | instrumentation for asynchronous applications |
| wasm-bindgen-futures | 0.4.45 | 98,765,432 | rustwasm | interoperability between JavaScript promises and futures |
| serde_json | 1.0.133 | 345,678,901 | dtolnay | serialisation of structured data |

| Language | Share |
|---|---|
| Internationalisation | 12% |
| Rust | 40% |
"""


def test_table_words_are_not_broken_at_375(browser, tmp_path, settings, artifacts):
    """MJML's text cell has word-break:break-word; inherited, a table squeezed to 375 px would
    break "tokio-console-subscriber" mid-word. The layout keeps words whole and lets a table
    too wide for the phone scroll inside its own box (the page itself does not overflow)."""
    from dispatch.render import render_issue

    source = tmp_path / "tables.md"
    source.write_text(TABLES, encoding="utf-8")
    report = render_issue(source, tmp_path / "out", settings)
    m = _look(browser, report.folder / "email.html", 375, "light", artifacts / "tables-375-light.png")
    assert m["clientWidth"] == 375 and m["scrollWidth"] <= 375, m
    words = browser.s("POST", "/execute/sync", {"script": BROKEN_WORDS_JS, "args": []})
    assert {w["word"] for w in words} >= {"tokio-console-subscriber", "Internationalisation", "98,765,432"}
    broken = [w for w in words if w["lines"] > 1]
    assert broken == [], broken


#: What Outlook for Windows (Word) does to the email, as far as a browser can show it: no
#: max-width (Word ignores it), no media queries (Word has none).
OUTLOOK_JS = r"""
for (const el of document.querySelectorAll('[style]'))
  el.setAttribute('style', el.getAttribute('style').replace(/max-width\s*:[^;]*;?/gi, ''));
for (const s of document.querySelectorAll('style')) if (s.textContent.includes('@media')) s.remove();
return {scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth,
        images: Array.from(document.images).map(i => ({src: i.src.slice(0, 60), width: i.getBoundingClientRect().width,
                                                         attr: i.getAttribute('width')}))};
"""


def _wide_images_issue(tmp_path: Path) -> Path:
    """An issue with an 800 × 400 image (a data: URI, so the browser loads it offline and
    dispatch reads its real size with Pillow) in text, in raw HTML at width="900" and in a box."""
    import io

    from PIL import Image as PILImage

    png = io.BytesIO()
    PILImage.new("RGB", (800, 400), (200, 80, 40)).save(png, format="PNG")
    uri = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
    source = tmp_path / "wide.md"
    source.write_text("---\ntitle: Wide images\ndate: 2026-06-01 08:00\nslug: wide\n---\n\n"
                      f"An 800 px image: ![A wide chart]({uri})\n\n"
                      f"## Raw HTML\n\n<img src=\"{uri}\" alt=\"The same, as raw HTML\" width=\"900\" height=\"450\">\n\n"
                      f"## Bottom Line {{.bottom_line}}\n\n![In a box]({uri})\n", encoding="utf-8")
    return source


def test_outlook_like_render_has_no_horizontal_overflow(browser, tmp_path, settings, artifacts):
    """Strip max-width and the media queries (as Word does) and render at 600 px: every image
    keeps to its width attribute, so nothing widens the 600 px layout. The same page with the
    width attributes removed does overflow (the check can fail)."""
    from dispatch.render import render_issue

    report = render_issue(_wide_images_issue(tmp_path), tmp_path / "out", settings)
    page = report.folder / "email.html"
    _look(browser, page, 600, "light", artifacts / "outlook-like-600.png")
    m = browser.s("POST", "/execute/sync", {"script": OUTLOOK_JS, "args": []})
    assert m["clientWidth"] == 600 and m["scrollWidth"] <= 600, m
    widths = {(i["attr"], round(i["width"])) for i in m["images"]}
    assert widths == {("544", 544), ("504", 504)}, widths  # the column, and the Bottom Line's box
    html = page.read_text(encoding="utf-8")
    control = tmp_path / "control.html"
    control.write_text(re.sub(r'(<img\b[^>]*?) width="\d+"', r"\1", html), encoding="utf-8")
    _look(browser, control, 600, "light", artifacts / "outlook-like-control.png")
    m = browser.s("POST", "/execute/sync", {"script": OUTLOOK_JS, "args": []})
    assert m["scrollWidth"] > 600, m


RTL = """---
title: "תדריך הבינה המלאכותית"
date: 2026-06-01 08:00
slug: rtl
lang: he
---

חברת מונשוט גייסה כשני מיליארד דולר, והשווי שלה עבר עשרים מיליארד דולר.

## 🔍 השורה התחתונה {.bottom_line}

קוד פתוח הוא לא רק אפשרי: הוא אסטרטגיה מנצחת.

## שאלות נפוצות {.faq}

Q: מה זה אומר לנו? שמודלים פתוחים כבר מרוויחים כסף אמיתי.

## 📊 במספרים {.numbers}

| מדד | ערך |
|---|---|
| גיוס | 2 מיליארד דולר |
| שווי | 20 מיליארד דולר |

## ההימור על קוד פתוח

- לבנות קהילת מפתחים
- ליצור לולאת משוב

> ציטוט קצר מתוך הכתבה.

## זווית מקומית {.lens region=NZ}

מה זה אומר כאן, בניו זילנד.
"""

CJK = """---
title: "月之暗面的时刻"
date: 2026-06-01 08:00
slug: cjk
lang: zh-CN
---

月之暗面完成约二十亿美元融资，估值超过二百亿美元，成为中国估值最高的私营人工智能公司。

## 🔍 要点 {.bottom_line}

开源人工智能不仅可行，而且是一种制胜策略。

## 常见问题 {.faq}

Q: 这对新西兰意味着什么？开源模型已经证明可以盈利。

## 📊 数据 {.numbers}

| 指标 | 数值 |
|---|---|
| 融资 | 20亿美元 |
| 估值 | 200亿美元 |

## 本地视角 {.lens region=NZ}

新西兰的机构可以在开源模型上构建自己的服务。
"""

#: Where each heading and paragraph of the card sits, and how it is aligned.
ALIGN_JS = r"""
const col = document.querySelector('.card').getBoundingClientRect();
return Array.from(document.querySelectorAll('.card h1, .card h2, .card p, .card li')).filter(e => e.textContent.trim())
  .map(e => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);
    const range = document.createRange(); range.selectNodeContents(e);
    const t = range.getBoundingClientRect();
    return {text: e.textContent.trim().slice(0, 30), direction: s.direction, align: s.textAlign,
            textLeft: t.left - col.left, textRight: col.right - t.right}; });
"""


def test_right_to_left_issue_lays_out_right_to_left(browser, tmp_path, settings, artifacts):
    from dispatch.channels.entry import content_html
    from dispatch.channels.text import RLM, render_text
    from dispatch.channels.web import render_page, stylesheet
    from dispatch.parse import parse_issue
    from dispatch.render import render_issue

    source = tmp_path / "rtl.md"
    source.write_text(RTL, encoding="utf-8")
    report = render_issue(source, tmp_path / "out", settings)
    html = (report.folder / "email.html").read_text(encoding="utf-8")
    assert '<html lang="he" dir="rtl"' in html and "direction:ltr" not in html
    assert "1 ביוני 2026" in html and "לצפייה באתר" in html  # Babel's date, the layout's Hebrew label
    m = _look(browser, report.folder / "email.html", 600, "light", artifacts / "email-rtl-600-light.png")
    _look(browser, report.folder / "email.html", 375, "dark", artifacts / "email-rtl-375-dark.png")
    assert m["scrollWidth"] <= 600
    _look(browser, report.folder / "email.html", 600, "light", artifacts / "email-rtl-600-light.png")
    rows = browser.s("POST", "/execute/sync", {"script": ALIGN_JS, "args": []})
    body = [r for r in rows if r["text"] and not r["text"].startswith(("The Aotearoa", settings.site_name))]
    assert len(body) > 8
    for r in body:
        assert r["direction"] == "rtl", r
        if r["align"] != "center":  # the footer is centred
            assert r["textRight"] < r["textLeft"], r  # the text hugs the right edge of the card
    # the text part: every line starts right to left (a RIGHT-TO-LEFT MARK)
    issue = parse_issue(source, settings)
    text = render_text(issue, settings).text
    lines = [line for line in text.splitlines() if line.strip()]
    assert all(line.startswith(RLM) for line in lines)
    assert "לצפייה באתר: " in text and "1 ביוני 2026" in text
    # the web page
    page = tmp_path / "page.html"
    (tmp_path / "style.css").write_text(stylesheet(settings), encoding="utf-8")
    page.write_text(render_page(issue, settings, content_html(issue, settings), [], (tmp_path / "style.css").as_uri()),
                    encoding="utf-8")
    assert '<html lang="he" dir="rtl">' in page.read_text(encoding="utf-8")
    _look(browser, page, 600, "light", artifacts / "web-rtl-600-light.png")
    rows = browser.s("POST", "/execute/sync", {"script": "return getComputedStyle(document.querySelector('h1')).direction", "args": []})
    assert rows == "rtl"


def test_cjk_issue_in_its_own_language(browser, tmp_path, settings, artifacts):
    from dispatch.render import render_issue

    source = tmp_path / "cjk.md"
    source.write_text(CJK, encoding="utf-8")
    report = render_issue(source, tmp_path / "out", settings, eml=True)
    html = (report.folder / "email.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN" dir="ltr"' in html
    assert "2026年6月1日" in html and "在线阅读" in html and "退订" in html  # date and labels in Chinese
    assert 'class="faq-mark"' in html and ">问</span>" in html
    assert "NZ</span>视角" in html
    from email import message_from_bytes, policy

    eml = message_from_bytes((report.folder / "message.eml").read_bytes(), policy=policy.default)
    text_part = next(p for p in eml.walk() if p.get_content_type() == "text/plain")
    assert text_part["Content-Transfer-Encoding"] == "base64"  # quoted-printable would near triple it
    for width in (600, 375):
        m = _look(browser, report.folder / "email.html", width, "light", artifacts / f"email-cjk-{width}-light.png")
        assert m["scrollWidth"] <= width, m
        texts = [h["text"] for h in m["headings"]]
        assert "月之暗面的时刻" in texts
        for h in m["headings"]:
            assert h["contrast"] >= 4.5, h
    _look(browser, report.folder / "email.html", 375, "dark", artifacts / "email-cjk-375-dark.png")


#: The colour of each role in the card, as a reader sees it.
ROLES_JS = r"""
const c = sel => { const e = document.querySelector(sel); return e && getComputedStyle(e).color; };
const bg = sel => { const e = document.querySelector(sel); return e && getComputedStyle(e).backgroundColor; };
document.querySelector('.card').style.background = 'white';  /* a layout writing "white", not #ffffff */
document.querySelector('.card > table').style.backgroundColor = '#fff';
return {text: c('.card .lead p'), heading: c('.card h2.section-heading'), muted: c('.card .dateline'),
        footer: c('.card p.footer'), link: c('.card .lead a, .card a'), label: c('.card .callout-label'),
        card: bg('.card'), table: bg('.card > table'), callout: bg('.card td.callout-box'),
        edge: getComputedStyle(document.querySelector('.card')).boxShadow};
"""


def test_dark_mode_keeps_the_hierarchy(looks, browser):
    """Each role has its own dark colour (text, heading, muted, accent, callout label), the
    card stays dark even when a layout writes its white as "white" or "#fff" (matched by the
    .card class, not by an inline-style substring), and the card keeps a visible edge."""
    report, _ = looks
    browser.s("POST", "/goog/cdp/execute", {"cmd": "Emulation.setEmulatedMedia",
                                           "params": {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}})
    browser.s("POST", "/url", {"url": (report.folder / "email.html").as_uri()})
    roles = browser.s("POST", "/execute/sync", {"script": ROLES_JS, "args": []})
    assert roles["card"] == roles["table"] == "rgb(31, 36, 43)", roles  # palette.jinja's dark card
    assert roles["callout"] == "rgb(58, 44, 12)"
    assert len({roles["text"], roles["heading"], roles["muted"], roles["label"]}) == 4, roles
    assert roles["muted"] == roles["footer"]
    assert "rgb(75, 85, 99)" in roles["edge"]
    dark = (report.folder / "email.html").read_text(encoding="utf-8")
    assert "[style*=" not in dark
