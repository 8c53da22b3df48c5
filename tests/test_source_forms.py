"""What real archives write: Setext headings, hard line breaks, bare URLs."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html

from dispatch.config import Settings
from dispatch.parse import parse_issue
from dispatch.render import render_issue
from dispatch.model import Link, Text

SETTINGS = Settings(base_url="https://news.example.org/")


def write(tmp_path: Path, text: str, name: str = "2026-01-02-issue.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_setext_headings_start_sections(tmp_path):
    path = write(tmp_path, "The Weekly\n==========\n\nLead paragraph.\n\nBottom Line\n-----------\n\n"
                           "It is all fine.\n\nNews\n====\n\nItem one.\n\nLate\n---\nText right under it.\n")
    issue = parse_issue(path, SETTINGS)
    assert issue.meta.title == "The Weekly"
    assert [(s.kind, s.heading_text, s.level, s.line) for s in issue.sections] == [
        ("bottom_line", "Bottom Line", 2, 6), ("section", "News", 1, 11), ("section", "Late", 2, 16)]
    assert issue.bottom_line == "It is all fine."
    assert issue.sections[2].blocks[0].children == (Text("Text right under it."),)


def test_a_dash_line_inside_a_paragraph_is_no_heading(tmp_path):
    # Python-Markdown reads "Heading\n---" as one only when it opens a block; so does dispatch
    path = write(tmp_path, "# T\n\nFirst line\nsecond line\n---\n\nAfter.\n")
    assert parse_issue(path, SETTINGS).sections == ()


def test_hard_line_breaks_survive_in_the_text_part(tmp_path):
    path = write(tmp_path, "# Contact\n\nAroha Smith  \n12 Queen Street  \nAuckland<br>New Zealand\n\n"
                           "- one  \n  two\n")
    report = render_issue(path, tmp_path / "out", SETTINGS)
    text = (report.folder / "email.txt").read_text(encoding="utf-8")
    assert "\nAroha Smith\n12 Queen Street\nAuckland\nNew Zealand\n" in text
    assert "\n- one\n  two\n" in text
    html = (report.folder / "email.html").read_text(encoding="utf-8")
    assert "Aroha Smith<br" in html


def test_bare_urls_become_links_in_every_channel(tmp_path):
    path = write(tmp_path, "# Links\n\nRead https://example.org/a_b_c, then <a href=\"https://x.org/y\">https://x.org/y</a> "
                           "and `https://code.example`.\n\n## Sources\n\n- Changelog — https://example.org/changelog\n")
    issue = parse_issue(path, SETTINGS)
    lead = issue.lead[0].children
    assert lead[1] == Link((Text("https://example.org/a_b_c"),), "https://example.org/a_b_c")
    assert sum(isinstance(n, Link) for n in lead) == 1  # not inside raw <a>, not in code
    source = issue.component("sources").data.items[0]
    assert (source.name, source.url) == ("Changelog", "https://example.org/changelog")

    report = render_issue(path, tmp_path / "out", SETTINGS)
    email = lxml.html.fromstring((report.folder / "email.html").read_bytes())
    assert "https://example.org/a_b_c" in email.xpath("//a/@href")
    text = (report.folder / "email.txt").read_text(encoding="utf-8")
    assert "Read https://example.org/a_b_c, then" in text  # a URL shown as itself is not numbered again
    entry = (report.folder / "entry.xml").read_text(encoding="utf-8")
    assert 'href="https://example.org/a_b_c"' in entry
    threads = json.loads((report.folder / "thread.json").read_text(encoding="utf-8"))
    bluesky = json.dumps(threads)
    assert "app.bsky.richtext.facet#link" in bluesky and "https://example.org/a_b_c" in bluesky
