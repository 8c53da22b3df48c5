"""The warm loop (``watch``, ``preview``): what one process keeps between re-renders is never
stale and never unbounded.

Each test edits something a render reads (the issue, a layout file, labels.toml,
dispatch.toml, the sending-platform preset), re-renders in this process (whose caches hold
the state before the edit) and compares every output byte for byte with a cold render of the
same files in a new process. Speed itself is measured in benchmarks/bench_render.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dispatch import memo
from dispatch.config import load_settings
from dispatch.parse import _parts, _read_body, new_markdown, parse_issue
from dispatch.render import OUTPUTS, render_issue

from conftest import EXAMPLE, ROOT, corpus_files

BUILTIN = ROOT / "layouts" / "default"


@pytest.fixture
def news(tmp_path: Path) -> Path:
    """A copy of the example newsletter with the whole default layout as its own
    ``layouts/default/`` (so each layout file can be edited); returns the issue."""
    root = tmp_path / "news"
    (root / "issues").mkdir(parents=True)
    shutil.copy(ROOT / "dispatch.toml", root / "dispatch.toml")
    shutil.copytree(BUILTIN, root / "layouts" / "default")
    issue = root / "issues" / EXAMPLE.name
    shutil.copy(EXAMPLE, issue)
    return issue


def _warm(issue: Path, out: Path, platform: str | None = None) -> dict[str, bytes]:
    settings = load_settings(issue.parent)  # what watch does on every save
    report = render_issue(issue, out, settings, platform=platform)
    return {name: (report.folder / name).read_bytes() for name in OUTPUTS}


def _cold(issue: Path, out: Path, platform: str | None = None) -> subprocess.Popen:
    args = [sys.executable, "-m", "dispatch", "render", str(issue), "--out", str(out)]
    if platform:
        args += ["--platform", platform]
    return subprocess.Popen(args, cwd=issue.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "DISPATCH_CACHE_DIR": str(out) + "-cache"})


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _changes(news: Path) -> list[tuple[str, object]]:
    root = news.parents[1]
    layouts = root / "layouts" / "default"
    return [
        ("the issue: a word of the lead", lambda: _edit(news, "has raised roughly", "has raised nearly")),
        ("the issue: a word of a list item", lambda: _edit(news, "Start a feedback loop", "Start a feedback cycle")),
        ("the issue: a new paragraph", lambda: _edit(news, "\n## 📰 Sources", "\nOne more thought.\n\n## 📰 Sources")),
        ("the issue: its title", lambda: _edit(news, 'title: "The Moonshot Moment"', 'title: "The Moonshot Hour"')),
        ("layout: email/inline.css", lambda: _edit(layouts / "email" / "inline.css", "p { margin: 0 0 14px; }",
                                                   "p { margin: 0 0 15px; }")),
        ("layout: email/section.mjml", lambda: _edit(layouts / "email" / "section.mjml", "{{ h.blocks(section.blocks) }}",
                                                     "{{ h.blocks(section.blocks) }}<p>*</p>")),
        ("layout: text/section.txt", lambda: _edit(layouts / "text" / "section.txt", "{{ t.blocks(section.blocks) }}",
                                                   "{{ t.blocks(section.blocks, '  ') }}")),
        ("layout: thread/section.txt", lambda: (layouts / "thread" / "section.txt").write_text(
            (layouts / "thread" / "section.txt").read_text(encoding="utf-8") + "Read on.\n", encoding="utf-8")),
        ("layout: labels.toml", lambda: _edit(layouts / "labels.toml", 'faq_mark = "Q"', 'faq_mark = "Question"')),
        ("dispatch.toml: base_url", lambda: _edit(root / "dispatch.toml", 'base_url = "https://briefing.example.nz/"',
                                                  'base_url = "https://news.example.nz/briefing/"')),
        ("dispatch.toml: thread limits", lambda: _edit(root / "dispatch.toml", "faq_posts = true",
                                                       "faq_posts = false\nlimits = { mastodon = 300 }")),
        ("dispatch.toml: platform preset", lambda: _edit(root / "dispatch.toml", 'postal_address',
                                                         'platform = "mailchimp"\npostal_address')),
    ]


def test_every_edit_is_seen_by_the_next_warm_render(news, tmp_path):
    """After each edit, the re-render in this (warm) process equals a cold render in a new
    process, output by output, byte for byte; and each edit changed some output (so the
    comparison could fail)."""
    warm_out = tmp_path / "warm"
    before = _warm(news, warm_out)
    _warm(news, warm_out)  # everything kept once
    checks = []
    for n, (what, change) in enumerate(_changes(news)):
        change()
        after = _warm(news, warm_out)
        assert after != before, f"{what}: the edit changed no output, so it tests nothing"
        snapshot = tmp_path / f"state-{n}"
        shutil.copytree(news.parents[1], snapshot)
        checks.append((what, after, snapshot / news.relative_to(news.parents[1]), tmp_path / f"cold-{n}"))
        before = after
    # the cold renders, two at a time (2 cores)
    for i in range(0, len(checks), 2):
        pairs = [(check, _cold(check[2], check[3])) for check in checks[i:i + 2]]
        for (what, warm, issue, out), proc in pairs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, f"{what}: cold render failed: {err.decode()}"
            folder = out / "moonshot-moment"
            for name in OUTPUTS:
                assert (folder / name).read_bytes() == warm[name], f"{what}: warm {name} differs from a cold render"


def test_platform_option_is_seen_by_the_next_warm_render(news, tmp_path):
    """``--platform`` (a preset other than dispatch.toml's) in the same process: each
    preset's email as a cold render writes it."""
    first = _warm(news, tmp_path / "warm", platform="generic")
    second = _warm(news, tmp_path / "warm", platform="buttondown")
    assert first["email.html"] != second["email.html"]
    proc = _cold(news, tmp_path / "cold", platform="buttondown")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    assert (tmp_path / "cold" / "moonshot-moment" / "email.html").read_bytes() == second["email.html"]


def test_an_image_file_replaced_is_seen_by_the_next_warm_render(news, tmp_path):
    """An email block with a local image takes its width and height from the file, so it is
    never kept: replacing the image (same name) changes the next warm render."""
    from PIL import Image

    image = news.parent / "chart.png"
    Image.new("RGB", (300, 200), "white").save(image)
    _edit(news, "The twist:", "![A chart](chart.png)\n\nThe twist:")
    first = _warm(news, tmp_path / "warm")
    assert b'width="300" height="200"' in first["email.html"]
    Image.new("RGB", (400, 100), "white").save(image)
    os.utime(image, ns=(os.stat(image).st_atime_ns, os.stat(image).st_mtime_ns + 1_000_000))
    second = _warm(news, tmp_path / "warm")
    assert b'width="400" height="100"' in second["email.html"]


BODIES = {
    "plain sections": "Lead.\n\n## One\n\nText.\n\n## Two\n\n- a\n- b\n",
    "list right before a heading": "## One\n\n- a\n- b\n\n## Two\n\n    code after a heading\n",
    "heading without a blank line before": "Para\n## One\n\nText.\n",
    "quote running into a heading": "> quoted\n## One\n\nText.\n",
    "setext heading": "Lead.\n\nOne\n===\n\nText.\n\nTwo\n---\n\nMore.\n",
    "footnotes": "Lead.[^1]\n\n## One\n\nText.[^2]\n\n[^1]: First.\n[^2]: Second.\n",
    "reference link": "## One\n\nSee [the site][s].\n\n## Two\n\n[s]: https://example.com/\n",
    "raw HTML block over a heading": "<div>\n\n## One\n\n</div>\n\n## Two\n\nText.\n",
    "fenced code with a heading inside": "## One\n\n```\n## not a heading\n```\n\n## Two\n\nText.\n",
    "table and emphasis": "## One\n\n| a | b |\n|---|---|\n| *x* | **y** |\n\n## Two\n\nA <b>bold</b> claim & more.\n",
    "angle text": "## One\n\nMap<K, V> is generic.\n\n## Two\n\n<K> alone.\n",
}


def _both_ways(path: Path, settings) -> tuple:
    """``path`` read by parts (as a render does) and as one whole body."""
    memo.clear()
    parts = parse_issue(path, settings)
    import dispatch.parse as parse

    saved = parse._parts
    parse._parts = lambda body, sections: None
    try:
        memo.clear()
        whole = parse_issue(path, settings)
    finally:
        parse._parts = saved
    return parts, whole


@pytest.mark.parametrize("name", sorted(BODIES))
def test_reading_a_body_by_sections_gives_the_whole_body_s_model(name, tmp_path):
    """Sections read one by one (kept by their text) make the same issue as the body read at
    once; bodies where a part needs another (footnotes, references, raw HTML blocks, a
    heading that does not open a block) are read at once."""
    path = tmp_path / "issue.md"
    path.write_text(f"---\ntitle: T\ndate: 2026-05-22\n---\n\n{BODIES[name]}", encoding="utf-8")
    settings = load_settings(tmp_path)
    parts, whole = _both_ways(path, settings)
    assert parts == whole
    assert parts.sections, "the body has sections"


def test_sections_are_read_alone_where_they_can_be():
    """The example and plain bodies are read by sections; footnotes, references, raw HTML
    blocks and a heading that does not open a block make the body read at once."""
    from dispatch.source import read_source

    src = read_source(EXAMPLE)
    assert _parts(src.body, len(src.sections)) is not None
    for name, expected in [("plain sections", True), ("footnotes", False), ("reference link", False),
                           ("raw HTML block over a heading", False), ("heading without a blank line before", False)]:
        body = BODIES[name].replace("## One", "## \ue0000\ue001One").replace("## Two", "## \ue0001\ue001Two")
        sections = body.count("\ue001")
        assert (_parts(body, sections) is not None) is expected, name


@pytest.mark.parametrize("path", [EXAMPLE, *corpus_files()], ids=lambda p: p.name)
def test_real_issues_read_by_sections_give_the_same_model(path):
    settings = load_settings(path.parent)
    parts, whole = _both_ways(path, settings)
    assert parts == whole


def test_a_section_edited_is_read_again_and_the_others_are_kept(tmp_path):
    """An edit of one section reads only that section again: the other sections' blocks are
    the very objects kept from the render before."""
    path = tmp_path / "issue.md"
    path.write_text("---\ntitle: T\ndate: 2026-05-22\n---\n\nLead.\n\n## One\n\nFirst.\n\n## Two\n\nSecond.\n",
                    encoding="utf-8")
    settings = load_settings(tmp_path)
    first = parse_issue(path, settings)
    path.write_text(path.read_text(encoding="utf-8").replace("Second.", "Second, edited."), encoding="utf-8")
    second = parse_issue(path, settings)
    assert second.sections[0].blocks[0] is first.sections[0].blocks[0]
    assert second.sections[1].blocks != first.sections[1].blocks
    assert "edited" in second.sections[1].blocks[0].children[0].text


def test_caches_are_bounded():
    """Every cache holds at most its size, however many distinct texts go through it."""
    cache = memo.LRU(8, "test")
    for n in range(100):
        cache.put(n, str(n))
        cache.get(0)  # the most recently used entry stays
    assert len(cache) == 8
    assert cache.get(0) == "0" and cache.get(1) is None and cache.get(99) == "99"
    assert all(c.size <= 10_000 for c in memo._ALL)


def _sheet(settings, issue) -> str:
    """The layout's inline.css as the email renders it."""
    from dispatch.channels import email
    from dispatch.layout import environment, render

    seen = {}
    saved = email.inline_document
    email.inline_document = lambda html, css: seen.setdefault("css", css) and saved(html, css)
    try:
        email.render_email(issue, settings, allow_clip=True)
    finally:
        email.inline_document = saved
    return seen["css"]


def _email_both_ways(issue_path: Path, settings, platform: str) -> tuple[str, str]:
    """The email of ``issue_path`` inlined by fragments (as a render does) and at once."""
    from dispatch.channels import email
    from dispatch.channels.email import FRAGMENT_CLOSE, FRAGMENT_OPEN, inline, render_email

    issue = parse_issue(issue_path, settings)
    memo.clear()
    render_email(issue, settings, platform, allow_clip=True)  # a skeleton seen the first time is inlined whole
    assert not len(email._SKELETONS)
    by_fragments = render_email(issue, settings, platform, allow_clip=True).html
    assert len(email._SKELETONS) == 1 or not email._local_rules(_sheet(settings, issue)), "inlined by fragments"
    saved = email.inline_document
    email.inline_document = lambda html, css: inline(html.replace(FRAGMENT_OPEN, "").replace(FRAGMENT_CLOSE, ""), css)
    try:
        whole = render_email(issue, settings, platform, allow_clip=True).html
    finally:
        email.inline_document = saved
    return by_fragments, whole


@pytest.mark.parametrize("platform", ["generic", "mailchimp", "buttondown", "ghost", "substack", "listmonk"])
def test_inlining_by_fragments_gives_the_whole_document_s_email(platform):
    """premailer run per fragment (kept by its text) writes the email byte for byte as one
    run over the whole document, for every platform's form of the example."""
    settings = load_settings(EXAMPLE.parent)
    by_fragments, whole = _email_both_ways(EXAMPLE, settings, platform)
    assert by_fragments == whole
    assert "dispatch:f" not in by_fragments


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_inlining_by_fragments_on_real_issues(path):
    settings = load_settings(path.parent)
    by_fragments, whole = _email_both_ways(path, settings, "generic")
    assert by_fragments == whole


def test_inlining_falls_back_to_the_whole_document(news, tmp_path):
    """A sheet with a sibling combinator or a pseudo-class, or a layout writing an element it
    does not close inside an mj-text: the whole document is inlined at once (and the email is
    still the one a whole run gives)."""
    from dispatch.channels.email import _inline_fragment, _local_rules

    assert _local_rules("p { color: red; } div.lead p { margin: 0; }")
    assert not _local_rules("p + p { margin-top: 0; }")
    assert not _local_rules("li:first-child { margin: 0; }")
    assert not _local_rules("h2 ~ p { color: red; }")
    layouts = news.parents[1] / "layouts" / "default" / "email"
    _edit(layouts / "inline.css", "p { margin: 0 0 14px; }", "p { margin: 0 0 14px; } p + p { margin-top: 2px; }")
    settings = load_settings(news.parent)
    by_fragments, whole = _email_both_ways(news, settings, "generic")
    assert by_fragments == whole and "margin-top:2px" in whole
    _edit(layouts / "inline.css", " p + p { margin-top: 2px; }", "")
    # markup the HTML parser rebuilds (a div inside a p closes the p): as in the whole document
    _edit(layouts / "section.mjml", "{{ h.blocks(section.blocks) }}",
          "<p class='outer'><div class='inner'>x</div></p>{{ h.blocks(section.blocks) }}")
    by_fragments, whole = _email_both_ways(news, settings, "generic")
    assert by_fragments == whole and 'class="inner"' in whole
    # a fragment that does not close what it opens is never inlined alone
    chain = (("html", ()), ("body", ()), ("div", (("class", "x"),)))
    assert _inline_fragment("<p>open", chain, "p { color: red; }") is None
    assert _inline_fragment("</div><p>out", chain, "p { color: red; }") is None
    assert _inline_fragment("<p>ok</p>", chain, "p { color: red; }") == '<p style="color:red">ok</p>'


def test_a_sheet_in_the_document_makes_it_inlined_whole():
    """A ``<style>`` premailer would read (not marked ``data-premailer="ignore"``) reaches
    every fragment, so such a document is inlined at once."""
    from dispatch.channels.email import FRAGMENT_CLOSE, FRAGMENT_OPEN, inline, inline_document

    css = "p { color: red; }"
    doc = (f'<html><head><style data-premailer="keep">b {{ color: blue; }}</style></head><body><div>'
           f'{FRAGMENT_OPEN}<p>a <b>b</b></p>{FRAGMENT_CLOSE}</div></body></html>')
    memo.clear()
    with pytest.warns(UserWarning, match="Unrecognized data-premailer"):  # premailer's own note
        whole = inline(doc.replace(FRAGMENT_OPEN, "").replace(FRAGMENT_CLOSE, ""), css)
        assert inline_document(doc, css) == whole
    assert 'style="color:blue"' in whole
