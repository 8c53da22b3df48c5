"""A real browser (headless Chromium through chromedriver, the WebDriver helper of
test_browser_email) looks at a built web archive page on a phone: 375 px wide, the page must
not scroll sideways when a paragraph, a list item or a link holds a long unbroken URL, and a
table too wide for the phone scrolls inside its own box."""

from __future__ import annotations

import functools
import http.server
import threading

from dispatch.archive import build_archive, parse_now
from dispatch.config import load_settings

from test_browser_email import _look, browser, pytestmark  # noqa: F401 - the shared session fixture and skip rule
from test_build_support import issue_text, write_archive

#: 110 characters, one token: the fresh-user report's URL length.
LONG_URL = "https://example.org/" + "a-very-long-path-segment/" * 3 + "0123456789abcde"

WIDE = f"""Read it here: {LONG_URL}

- A list item with the same address: {LONG_URL}
- A [link whose text is the address: {LONG_URL}]({LONG_URL})

| Language | Downloads last month | Growth | Notes about it | More columns here |
|---|---|---|---|---|
| Rust | 1,234,567,890 | +12% | supercalifragilisticexpialidocious | yes |

```rust
fn main() {{ println!("a very long line of code that will not fit on a phone screen at all, not even close"); }}
```
"""

TABLE_BOX_JS = r"""
const t = document.querySelector('main table');
const main = document.querySelector('main'), ms = getComputedStyle(main);
return {table: t ? {scrollWidth: t.scrollWidth, clientWidth: t.clientWidth, right: t.getBoundingClientRect().right,
                    overflowX: getComputedStyle(t).overflowX} : null,
        contentRight: main.getBoundingClientRect().right - parseFloat(ms.paddingRight),
        text: document.querySelector('main').innerText};
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


class _Url(str):
    """A URL where :func:`test_browser_email._look` expects a path (it calls ``as_uri()``)."""

    def as_uri(self) -> str:
        return str(self)


def test_web_page_does_not_scroll_sideways_at_375(browser, tmp_path, artifacts):
    assert len(LONG_URL) == 110
    out = tmp_path / "public"
    out.mkdir()
    # the page links its stylesheet under base_url: serve the archive there, over loopback
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        folder = write_archive(tmp_path / "site", {"2026-05-01-wide.md": issue_text(
            "Wide things", "2026-05-01 07:00", slug="wide", body=WIDE)}, base=base)
        build_archive(folder, out, load_settings(folder), parse_now("2026-06-01T00:00:00Z"))
        assert LONG_URL in (out / "wide" / "index.html").read_text(encoding="utf-8")
        for scheme in ("light", "dark"):
            m = _look(browser, _Url(base + "wide/"), 375, scheme, artifacts / f"web-wide-375-{scheme}.png")
            assert m["bodyBg"] != "rgba(0, 0, 0, 0)", m  # the stylesheet loaded
            assert m["clientWidth"] == 375 and m["scrollWidth"] <= m["clientWidth"], m
    finally:
        server.shutdown()
        server.server_close()
    box = browser.s("POST", "/execute/sync", {"script": TABLE_BOX_JS, "args": []})
    # the table keeps its words whole and scrolls in its own box instead of widening the page
    assert box["table"]["overflowX"] == "auto" and box["table"]["scrollWidth"] > box["table"]["clientWidth"], box
    assert box["table"]["right"] <= box["contentRight"] + 0.5, box  # inside the card's padding
    assert "supercalifragilisticexpialidocious" in box["text"].split()
    # the URL's characters are all still there (wrapped, not cut)
    assert LONG_URL in box["text"].replace("\n", "")
