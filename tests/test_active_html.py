"""Active content in raw HTML (scripts, event handlers, javascript: URLs) is removed from every
channel while the issue is parsed, each removal a path:line warning (dispatch.activehtml)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dispatch.activehtml import clean_html, clean_tag, unsafe_url
from dispatch.archive import build_archive
from dispatch.config import Settings
from dispatch.render import render_issue

SETTINGS = Settings(base_url="https://briefing.example.nz/", timezone="Pacific/Auckland")

SOURCE = """\
---
title: Html
date: 2026-11-01
---
Text and <script>alert(1)</script> here, <b onmouseover="steal()">bold</b>.

<div onclick="x()">
A div block.
</div>

[click](javascript:alert(2)) and <a href=" JaVaScRiPt:alert(3)">raw</a>, <small>kept</small>.

<iframe src="https://evil.example/"></iframe>
"""


def test_removed_from_every_channel_with_a_warning_per_removal(tmp_path):
    issues = tmp_path / "issues"
    issues.mkdir()
    path = issues / "html.md"
    path.write_text(SOURCE, encoding="utf-8")
    report = render_issue(path, tmp_path / "dist", SETTINGS)
    removed = [str(d) for d in report.diagnostics if d.code == "active-html"]
    assert removed == [
        f"{path}:5: the <script> element ('<script>alert(1)</script>') removed from every channel: email clients "
        "strip scripts and the web page would run it",
        f'{path}:5: onmouseover="steal()" on <b> removed from every channel: email clients strip event handlers '
        "and the web page would run them",
        f'{path}:7: onclick="x()" on <div> removed from every channel: email clients strip event handlers and the '
        "web page would run them",
        f"{path}:11: the link to 'javascript:alert(2)' (its text is kept) removed from every channel: it runs code "
        "when clicked, and email clients drop it",
        f'{path}:11: href=" JaVaScRiPt:alert(3)" on <a> removed from every channel: it runs code when clicked (or '
        "is dropped by email clients); link to a web page instead",
        f"{path}:13: the <iframe> element ('<iframe src=\"https://evil.example/\"></iframe>') removed from every "
        "channel: email clients do not show embedded frames or plugins and on the web page it would load another "
        "site; link to it instead",
    ]
    email = (report.folder / "email.html").read_text(encoding="utf-8")
    text = (report.folder / "email.txt").read_text(encoding="utf-8")
    entry = (report.folder / "entry.xml").read_text(encoding="utf-8")
    build_archive(issues, tmp_path / "public", SETTINGS, now=datetime(2026, 12, 1, tzinfo=timezone.utc))
    page = (tmp_path / "public" / "html" / "index.html").read_text(encoding="utf-8")
    for name, out in [("email.html", email), ("entry.xml", entry), ("web page", page)]:
        for active in ("alert(", "steal()", "x()", "<iframe", "evil.example", "avascript:"):
            assert active not in out.replace("JaVaScRiPt", "javascript"), (name, active)
        assert "<b>bold</b>" in out or "&lt;b&gt;bold&lt;/b&gt;" in out, name
        assert "A div block." in out and "kept</small>" in out.replace("&lt;/small&gt;", "</small>"), name
    assert "Text and here, bold." in text and "alert" not in text and "click and raw, kept." in text


@pytest.mark.parametrize("html, clean", [
    ('<p style="color:red" onload=go()>x</p>', '<p style="color:red">x</p>'),
    ("<img src=\"data:image/png;base64,AAAA\" alt=x>", "<img src=\"data:image/png;base64,AAAA\" alt=x>"),
    ("<a href='data:text/html,<b>x</b>'>x</a>", "<a>x</a>"),
    ("<STYLE>body{display:none}</STYLE><p>after</p>", "<p>after</p>"),
    ("<script>never closed <p>gone</p>", ""),
    ("<!-- <script>a comment</script> -->", "<!-- <script>a comment</script> -->"),
    ('<table width="100%" bgcolor="#fff"><tr><td>kept as written</td></tr></table>',
     '<table width="100%" bgcolor="#fff"><tr><td>kept as written</td></tr></table>'),
])
def test_clean_html(html, clean):
    assert clean_html(html)[0] == clean


def test_clean_tag_and_urls():
    assert clean_tag('<a href="https://ok.example/" onclick="x()">') == (
        '<a href="https://ok.example/">', clean_tag('<a href="https://ok.example/" onclick="x()">')[1])
    assert [r.what for r in clean_tag('<a href="https://ok.example/" onclick="x()">')[1]] == ['onclick="x()" on <a>']
    assert unsafe_url("java\tscript:alert(1)") and unsafe_url("&#106;avascript:x") and not unsafe_url("https://a/")
