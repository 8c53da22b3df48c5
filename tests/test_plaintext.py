"""The plain-text briefing: the seed itself (../shared/seeds), our own briefings in other
shapes (other emoji, none, CJK, Windows line endings), and the Markdown corpus, which must
never be read as plain text."""

from __future__ import annotations

import re
import shutil

import lxml.html
import pytest

from dispatch.config import Settings
from dispatch.parse import parse_issue
from dispatch.plaintext import convert, is_plain_text
from dispatch.render import render_issue
from dispatch.source import read_source

from conftest import corpus_files, shared_path

WORD = re.compile(r"[^\W_]+")
SEED_NAME = "000_ec27f7ca672afada.txt"
SETTINGS = Settings(base_url="https://briefing.example.nz/", timezone="Pacific/Auckland", author="Aroha Smith")


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def email_text(html: str) -> str:
    doc = lxml.html.fromstring(html.encode("utf-8"))
    for style in doc.xpath("//style"):
        style.drop_tree()
    return " ".join(doc.itertext())


def coverage(source: str, output: str) -> float:
    """Share of the source's words (with repeats) found in the output's words."""
    have: dict[str, int] = {}
    for w in words(output):
        have[w] = have.get(w, 0) + 1
    found = 0
    for w in words(source):
        if have.get(w, 0) > 0:
            have[w] -= 1
            found += 1
    return found / len(words(source))


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    """The seed copied as written (same bytes) and rendered once."""
    original = shared_path("seeds", SEED_NAME)
    folder = tmp_path_factory.mktemp("seed")
    path = folder / SEED_NAME
    shutil.copyfile(original, path)
    report = render_issue(path, folder / "out", SETTINGS)
    return path, report


def test_seed_components_with_their_values(seed):
    path, report = seed
    issue = report.issue
    assert issue.meta.title == "The Moonshot Moment"
    kinds = [s.kind for s in issue.sections]
    assert kinds == ["bottom_line", "answer_first", "faq", "numbers", "section", "section", "section", "lens",
                     "my_take", "sources", "recap"]
    faq = issue.component("faq").data
    assert [e.question for e in faq.entries] == ["What does this mean for NZ?", "What changed?", "What should I do?"]
    assert faq.entries[1].answer[0].children[0].text.startswith("Moonshot open-sourced its Kimi K2.6 model in April 2026")
    numbers = issue.component("numbers").data
    assert [(r.metric, r.value) for r in numbers.rows] == [
        ("Funding", "$2 billion"), ("Valuation", "~$20 billion (140 billion CNY)"),
        ("Monthly Revenue", ">$200 million (April 2026)"), ("Valuation Growth", "7x in 3 months"),
        ("Key Product", "Kimi chatbot"), ("Latest Model", "Kimi K2.6 (open-source)"), ("Strategy", "Fully open-source")]
    lens = issue.component("lens").data
    assert (lens.region, lens.title) == ("NZ", "The Open-Source Opportunity")
    assert [s.name for s in issue.component("sources").data.items] == ["TechCrunch", "Bloomberg", "CNTechPost",
                                                                      "SiliconCircle"]
    bottom = issue.component("bottom_line").data.text
    assert bottom.startswith("Moonshot AI’s $2B raise at a $20B valuation") and bottom.endswith("Long live open-source.")
    assert issue.component("recap").data.text == bottom
    assert issue.component("answer_first").data.text.startswith("Chinese AI lab Moonshot AI has closed approximately")
    take = issue.component("my_take").data
    assert take.title == "The Narrative Is Shifting" and len(take.blocks) == 4
    # lists from "- " lines, each line a paragraph
    bet = issue.sections[4]
    assert bet.heading_text == "🔓 The Open-Source Bet That Paid Off"
    assert [type(b).__name__ for b in bet.blocks] == ["Paragraph", "Paragraph", "Paragraph", "ListBlock", "Paragraph"]
    assert len(bet.blocks[3].items) == 4
    # sections keep the plain-text file's lines
    assert [s.line for s in issue.sections] == [5, 7, 9, 13, 25, 34, 42, 50, 56, 61, 66]
    # every heading of the seed is a sure one (an emoji or a component's name): nothing to report
    assert convert(path.read_text(encoding="utf-8")).notes == ()


def test_seed_headings_and_words_reach_email_and_text(seed):
    path, report = seed
    source = path.read_text(encoding="utf-8")
    text = (report.folder / "email.txt").read_text(encoding="utf-8")
    html = (report.folder / "email.html").read_text(encoding="utf-8")
    visible = email_text(html)
    headings = [line for line in source.splitlines()[1:] if line[:1] and not line[0].isascii()
                and len(line) < 60] + ["In brief"]  # "Answer-First Lead" (the author's term) reads as the label
    assert len(headings) == 10  # the recap shares the Bottom Line's heading
    email_words = " ".join(words(visible))
    for heading in headings:
        assert heading in text, heading
        assert " ".join(words(heading)) in email_words, heading  # the Lens shows "NZ Lens" as a badge
    assert "🔍 THE BOTTOM LINE: " not in text  # the recap is a callout, not a 400-character heading
    assert text.count("| Moonshot AI’s $2B raise") == 2  # the Bottom Line and the closing recap
    assert coverage(source, text) >= 0.99
    assert coverage(source, visible) >= 0.99
    assert "— Aroha Smith" in text and "— Aroha Smith" in visible  # My Take is signed


def test_seed_web_description_is_the_answer_first_lead(seed):
    from dispatch.channels.entry import content_html
    from dispatch.channels.web import render_page

    path, report = seed
    page = render_page(report.issue, SETTINGS, content_html(report.issue, SETTINGS), [], "https://x/style.css")
    doc = lxml.html.fromstring(page.encode("utf-8"))
    description = doc.xpath("//meta[@name='description']/@content")[0]
    assert description.startswith("Chinese AI lab Moonshot AI has closed approximately $2 billion")
    assert '"speakable"' in page and ".answer-first" in page
    assert doc.xpath("//aside[contains(@class, 'my-take')]//p[@class='signature']/text()") == ["— Aroha Smith"]
    assert doc.xpath("//aside[contains(@class, 'recap')]")


def test_seed_thread_skips_the_recap_and_opens_with_the_bottom_line(seed):
    path, report = seed
    import json

    posts = json.loads((report.folder / "thread.json").read_text(encoding="utf-8"))
    first = next(iter(posts["platforms"].values()))["posts"] if "platforms" in posts else None
    text = (report.folder / "thread.txt").read_text(encoding="utf-8")
    assert text.count("Long live open-source") >= 1
    assert "THE BOTTOM LINE —" not in text
    assert first is None or first[0]["text"].startswith("Moonshot AI’s $2B raise")


def test_seed_recognised_with_md_suffix_too(tmp_path):
    original = shared_path("seeds", SEED_NAME)
    path = tmp_path / "briefing.md"
    shutil.copyfile(original, path)
    issue = parse_issue(path, SETTINGS)
    assert len(issue.sections) == 11 and issue.component("recap") is not None


# --- our own briefings ---------------------------------------------------------------------

ROCKET = """\
Launch Week Wrap
⚡ TL;DR
We shipped three things this week and one of them is already the most used feature we have.
🚀 What Shipped
Deploy previews now build in under a minute for most projects, down from four.
- Preview builds: 52 s median
- Cache hits: 81 %
📈 Numbers
| Metric | Value |
| Median build | 52 s |
| Cache hit rate | 81 % |
💬 FAQ
Q: Do I need to change anything? No, previews turn on by themselves for every project.
Q: What about monorepos? They are next on the list, see https://example.org/roadmap for the plan.
🗞️ Further Reading
- Changelog https://example.org/changelog
"""


def test_other_emoji_briefing(tmp_path):
    path = tmp_path / "launch.txt"
    path.write_text(ROCKET, encoding="utf-8")
    issue = parse_issue(path, SETTINGS)
    assert issue.meta.title == "Launch Week Wrap"
    assert [s.kind for s in issue.sections] == ["bottom_line", "section", "numbers", "faq", "sources"]
    assert issue.bottom_line.startswith("We shipped three things")
    numbers = issue.component("numbers").data
    assert [(r.metric, r.value) for r in numbers.rows] == [("Median build", "52 s"), ("Cache hit rate", "81 %")]
    faq = issue.component("faq").data
    assert [e.question for e in faq.entries] == ["Do I need to change anything?", "What about monorepos?"]
    sources = issue.component("sources").data.items
    assert (sources[0].name, sources[0].url) == ("Changelog", "https://example.org/changelog")


PLAIN = """\
Title: The Harbour Report
12 March 2026
By Mere Tane

The council voted on Tuesday to rebuild the eastern wharf before winter.

Bottom Line
The wharf reopens in June, two months earlier than the council planned last year.

Answer-First Lead
The eastern wharf will be rebuilt by June at a cost of $4.2 million, paid from the harbour fund.

What The Council Decided
Councillors voted nine to two for the faster plan.
Work starts on 1 April.

Why it matters
Ferries have used the western berth since the storm.

My Take: Faster Is Right
Waiting another season would have cost the ferry operators more than the rebuild.

Sources
- Council minutes, 10 March 2026

TL;DR: The eastern wharf reopens in June after a $4.2 million rebuild approved this week by the council.
"""


def test_briefing_without_emoji(tmp_path):
    path = tmp_path / "harbour.txt"
    path.write_text(PLAIN, encoding="utf-8")
    issue = parse_issue(path, SETTINGS)
    assert issue.meta.title == "The Harbour Report"
    assert issue.meta.date.date().isoformat() == "2026-03-12"
    assert issue.meta.author == "Mere Tane"
    assert [s.heading_text for s in issue.sections] == [
        "Bottom Line", "Answer-First Lead", "What The Council Decided", "My Take: Faster Is Right", "Sources", "TL;DR"]
    assert [s.kind for s in issue.sections] == ["bottom_line", "answer_first", "section", "my_take", "sources", "recap"]
    assert issue.component("recap").data.text.startswith("The eastern wharf reopens in June")
    from dispatch.textutil import plain_text

    decided = issue.sections[2].blocks  # each line a paragraph (a line is longer than 80: not hard-wrapped)
    assert [plain_text(b.children) for b in decided] == [
        "Councillors voted nine to two for the faster plan.", "Work starts on 1 April.", "Why it matters",
        "Ferries have used the western berth since the storm."]
    # the recogniser says which lines it was unsure of and what it chose
    notes = {n.line: n.message for n in convert(PLAIN).notes}
    assert "as a heading: a short title-like line" in notes[13]
    assert "'Why it matters' as a paragraph: short, but not in title case" in notes[17]
    assert set(notes) == {13, 17}


CJK = """\
人工智能周报
🔍 要点
月之暗面完成二十亿美元融资，估值超过二百亿美元，成为中国估值最高的人工智能初创公司。
融资背景
这轮融资由美团龙珠领投，中国移动和中信私募基金跟投，估值三个月内增长约七倍。
开源策略
月之暗面在四月开源了Kimi K2.6模型，随后迅速获得了大量开发者的关注和企业客户。
📰 Sources
- 36氪
"""


WRAPPED = """\
Port Notes

The harbour board met on Tuesday and agreed, after a long debate, to
rebuild the eastern wharf before the winter storms arrive.

Next Steps

Tenders open on Monday. The board expects to pick a builder
within three weeks and start work in April.
- Tenders: open Monday
- Builder chosen: in three weeks
"""


def test_hard_wrapped_briefing_joins_lines(tmp_path):
    path = tmp_path / "port.txt"
    path.write_text(WRAPPED, encoding="utf-8")
    issue = parse_issue(path, SETTINGS)
    from dispatch.textutil import plain_text

    assert plain_text(issue.lead[0].children) == ("The harbour board met on Tuesday and agreed, after a long debate, to "
                                                  "rebuild the eastern wharf before the winter storms arrive.")
    assert issue.sections[0].heading_text == "Next Steps"
    assert [type(b).__name__ for b in issue.sections[0].blocks] == ["Paragraph", "ListBlock"]


def test_cjk_headings(tmp_path):
    path = tmp_path / "weekly.txt"
    path.write_text(CJK, encoding="utf-8")
    issue = parse_issue(path, SETTINGS)
    assert issue.meta.title == "人工智能周报"
    assert [s.heading_text for s in issue.sections] == ["🔍 要点", "融资背景", "开源策略", "📰 Sources"]
    assert issue.meta.slug.startswith("issue-")


def test_windows_line_endings_give_the_same_issue(tmp_path):
    unix = tmp_path / "unix.txt"
    windows = tmp_path / "windows.txt"
    unix.write_text(ROCKET, encoding="utf-8", newline="\n")
    windows.write_bytes(ROCKET.replace("\n", "\r\n").encode("utf-8"))
    a, b = parse_issue(unix, SETTINGS), parse_issue(windows, SETTINGS)
    assert [(s.kind, s.heading_text, s.line, s.blocks) for s in a.sections] == \
        [(s.kind, s.heading_text, s.line, s.blocks) for s in b.sections]


def test_title_like_lines_in_a_row_say_why():
    conv = convert("Weekly\nSome intro text that is long enough to be a paragraph here.\nBig News Today\n"
                   "Small Things Too\nAnd now a long paragraph that follows the second title-like line above it.\n")
    assert conv.headings == ((4, "Small Things Too"),)
    assert [(n.line, n.message.split(":")[0]) for n in conv.notes] == [
        (3, "read 'Big News Today' as a paragraph"), (4, "read 'Small Things Too' as a heading")]


PROSE = """\
Notes From The Desk
Let’s put this in perspective:
And the kicker? It happened twice.
Here’s why this matters beyond the numbers.
thanks to everyone who wrote in this week
The catch: the rules change again in July, and nobody has said what the new ones are.
"""


def test_prose_lines_are_never_headings():
    conv = convert(PROSE)
    assert conv.headings == ()
    assert conv.markdown.count("\n## ") == 0


def test_emoji_points_in_a_row_are_not_headings():
    text = "Release notes\nWhat changed this week, in short.\n✅ Faster deploys\n✅ Better logs\n✅ Fewer alerts\nThat is all.\n"
    conv = convert(text)
    assert conv.headings == ()
    assert sum("emoji-led lines in a row" in n.message for n in conv.notes) == 3


def test_markdown_syntax_in_plain_text_reads_as_written(tmp_path):
    text = ("Symbols\n🧪 Odd Characters\nA *star*, an _underscore_, a `tick`, [brackets] and <b>tags</b> & &amp; stay.\n"
            "2026. A year that starts a line.\n#1 is not a heading\n")
    path = tmp_path / "odd.txt"
    path.write_text(text, encoding="utf-8")
    issue = parse_issue(path, SETTINGS)
    from dispatch.textutil import plain_text

    paragraphs = [plain_text(b.children) for b in issue.sections[0].blocks]
    assert paragraphs == ["A *star*, an _underscore_, a `tick`, [brackets] and <b>tags</b> & &amp; stay.",
                          "2026. A year that starts a line.", "#1 is not a heading"]


# --- the corpus is Markdown --------------------------------------------------------------------

@pytest.mark.skipif(not corpus_files(), reason="../shared/corpus not found beside this checkout")
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_is_never_read_as_plain_text(path):
    text = path.read_text(encoding="utf-8")
    assert not is_plain_text(text.replace("\r\n", "\n"), path.suffix)
    assert read_source(path).conversion is None


def test_source_format_setting(tmp_path):
    from dispatch.config import SourceSettings, load_settings
    from dispatch.errors import ConfigError

    path = tmp_path / "launch.txt"
    path.write_text(ROCKET, encoding="utf-8")
    as_markdown = Settings(source=SourceSettings(format="markdown"))
    assert parse_issue(path, as_markdown).sections == ()  # one run of text, read as Markdown
    quiet = tmp_path / "quiet.md"  # no strong heading: auto reads it as Markdown, "plain" as plain text
    quiet.write_text("Quiet Week\nNothing much happened.\nWhat We Read\nA long article about harbours and ferries.\n",
                     encoding="utf-8")
    assert parse_issue(quiet, SETTINGS).sections == ()
    plain = parse_issue(quiet, Settings(source=SourceSettings(format="plain")))
    assert (plain.meta.title, [s.heading_text for s in plain.sections]) == ("Quiet Week", ["What We Read"])
    (tmp_path / "dispatch.toml").write_text('[source]\nformat = "text"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="format must be one of auto, markdown, plain") as exc:
        load_settings(tmp_path)
    assert exc.value.line == 2


def test_header_lines_and_separate_answer_lines(tmp_path):
    path = tmp_path / "memo.txt"
    path.write_text("Subject: The Ferry Memo\nDate: 2026-05-22 07:30\n\n❓ FAQ\nQ: When does it start?\n"
                    "A: On Monday, with the first sailing at seven.\nQ: Who pays?\nA: The harbour fund pays for it.\n",
                    encoding="utf-8")
    issue = parse_issue(path, SETTINGS)
    assert issue.meta.title == "The Ferry Memo"
    assert issue.meta.date.isoformat() == "2026-05-22T07:30:00+12:00"
    faq = issue.component("faq").data
    from dispatch.textutil import plain_text

    assert [(e.question, plain_text(e.answer[0].children)) for e in faq.entries] == [
        ("When does it start?", "On Monday, with the first sailing at seven."),
        ("Who pays?", "The harbour fund pays for it.")]


def test_a_title_without_text_is_one_error_line(tmp_path):
    import subprocess
    import sys

    (tmp_path / "t.txt").write_text("\n\nOnly A Title\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "dispatch", "render", "t.txt"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr == "t.txt:3: the briefing has a title line but no text under it; write the briefing below it\n"
    assert not (tmp_path / "dist").exists()


def test_build_publishes_a_plain_text_briefing(tmp_path):
    import os

    from dispatch.archive import build_archive, parse_now

    issues = tmp_path / "issues"
    issues.mkdir()
    seed = issues / SEED_NAME
    shutil.copyfile(shared_path("seeds", SEED_NAME), seed)
    os.utime(seed, (1779400800, 1779400800))  # 2026-05-22 10:00 NZST
    report = build_archive(issues, tmp_path / "public", SETTINGS, parse_now("2026-06-01T00:00Z"),
                           cache_dir=tmp_path / "cache")
    assert len(report.published) == 1
    page = (tmp_path / "public" / "the-moonshot-moment" / "index.html").read_text(encoding="utf-8")
    assert "🤔 My Take: The Narrative Is Shifting" in page and 'class="answer-first"' in page
    assert any("no date; using 2026-05-22 10:00 +1200, its modification time" in w for w in report.warnings)


def test_drafting_tool_heading_marks_are_dropped(tmp_path):
    path = tmp_path / "ai.txt"
    path.write_text("AI Weekly\n**The Bottom Line**\nThings changed a lot this week and here is why it matters.\n"
                    "Sources:\n- Reuters\n", encoding="utf-8")
    issue = parse_issue(path, SETTINGS)
    assert [(s.kind, s.heading_text) for s in issue.sections] == [("bottom_line", "The Bottom Line"),
                                                                 ("sources", "Sources")]


def test_cli_renders_and_checks_the_seed_where_it_is(tmp_path):
    import subprocess
    import sys

    seed = shared_path("seeds", SEED_NAME)
    before = seed.read_bytes()
    for args in (["render", str(seed), "--out", str(tmp_path / "dist")], ["check", str(seed)]):
        proc = subprocess.run([sys.executable, "-m", "dispatch", *args], capture_output=True, text=True, timeout=120,
                              cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert f"{seed}:1: no date; using " in proc.stderr  # the one guess, said once
    assert (tmp_path / "dist" / "the-moonshot-moment" / "email.html").is_file()
    assert seed.read_bytes() == before
