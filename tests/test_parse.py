"""The source format: front-matter dialects, dates, ids, components, nothing dropped."""

from __future__ import annotations

import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from dispatch.components import heading_key
from dispatch.config import Settings
from dispatch.errors import SourceError
from dispatch.model import HtmlBlock, ListBlock, Paragraph, Table
from dispatch.parse import parse_issue
from dispatch.textutil import plain_text

NZ = Settings(timezone="Pacific/Auckland", base_url="https://news.example.org/")


def write(tmp_path: Path, text: str, name: str = "issue.md") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


# --- the example issue (facts from the seed briefing) --------------------------------

def test_example_components(issue):
    kinds = [s.kind for s in issue.sections]
    assert kinds == ["bottom_line", "faq", "numbers", "section", "section", "section", "lens", "my_take", "sources"]
    assert issue.component("my_take").data.title == "The Narrative Is Shifting"
    faq = issue.component("faq").data
    assert [e.question for e in faq.entries] == [
        "What does this mean for NZ?", "What changed?", "What should I do?"]
    numbers = issue.component("numbers").data
    assert len(numbers.rows) == 7
    assert (numbers.rows[0].metric, numbers.rows[0].value) == ("Funding", "$2 billion")
    assert numbers.rows[1].value == "~$20 billion (140 billion CNY)"
    assert numbers.rows[-1].metric == "Strategy"
    lens = issue.component("lens").data
    assert (lens.region, lens.title) == ("NZ", "The Open-Source Opportunity")
    sources = issue.component("sources").data
    assert [(s.name, s.url) for s in sources.items] == [("TechCrunch", "https://techcrunch.com/"),
                                                        ("Bloomberg", "https://www.bloomberg.com/"),
                                                        ("CnTechPost", "https://cntechpost.com/")]
    assert issue.bottom_line.startswith("Moonshot AI's $2B raise at a $20B valuation")


def test_example_front_matter(issue):
    meta = issue.meta
    assert meta.title == "The Moonshot Moment"
    assert meta.date.isoformat() == "2026-05-22T07:00:00+12:00"  # naive → Pacific/Auckland (NZST)
    assert meta.id == "tag:briefing.example.nz,2026-05-22:moonshot-moment"
    assert meta.lang == "en-NZ"
    assert meta.tags == ("open-source AI", "China", "funding", "NZ")
    assert issue.permalink == "https://briefing.example.nz/moonshot-moment/"


def test_example_lead_and_lines(issue):
    assert len(issue.lead) == 3
    assert plain_text(issue.lead[2].children).startswith("The twist: Moonshot got there")
    text = issue.path.read_text(encoding="utf-8").splitlines()
    for section in issue.sections:
        assert text[section.line - 1].startswith("## "), section.heading_text
        assert section.heading_text in text[section.line - 1]


# --- front-matter dialects -----------------------------------------------------------

def test_yaml_front_matter(tmp_path):
    path = write(tmp_path, """
        ---
        title: "Kia ora: week 1"
        date: 2026-03-02
        tags: [ai, nz]
        draft: true
        Custom-Key: kept
        ---
        Body text.
        """)
    issue = parse_issue(path, NZ)
    assert issue.meta.title == "Kia ora: week 1"
    assert issue.meta.dialect == "yaml"
    assert issue.meta.date == datetime(2026, 3, 1, 11, 0, tzinfo=timezone.utc)
    assert issue.meta.tags == ("ai", "nz")
    assert issue.meta.draft is True
    assert issue.meta.extra == {"custom-key": "kept"}
    assert issue.meta.slug == "kia-ora-week-1"
    assert issue.meta.id == "tag:news.example.org,2026-03-02:kia-ora-week-1"


def test_toml_front_matter(tmp_path):
    path = write(tmp_path, """
        +++
        title = "TOML issue"
        date = 2026-03-02T09:30:00+13:00
        slug = "toml-issue"
        id = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
        tags = ["one"]
        +++

        Body.
        """)
    issue = parse_issue(path, NZ)
    assert issue.meta.dialect == "toml"
    assert issue.meta.date.isoformat() == "2026-03-02T09:30:00+13:00"
    assert issue.meta.id == "urn:uuid:6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"


def test_pelican_front_matter(tmp_path):
    path = write(tmp_path, """
        Title: This Week 7
        Date: 2024-11-20 18:46
        Tags: rust, weekly
        Category: News

        Hello.
        """)
    issue = parse_issue(path, NZ)
    assert issue.meta.dialect == "pelican"
    assert issue.meta.title == "This Week 7"
    assert issue.meta.tags == ("rust", "weekly", "News")
    assert issue.meta.date.isoformat() == "2024-11-20T18:46:00+13:00"


def test_no_front_matter_title_from_heading(tmp_path):
    path = write(tmp_path, """
        # A plain issue

        Lead paragraph.

        ## Story

        Text.
        """, name="2026-04-01-plain.md")
    issue = parse_issue(path, NZ)
    assert issue.meta.dialect == "none"
    assert issue.meta.title == "A plain issue"
    assert issue.meta.date.date().isoformat() == "2026-04-01"  # from the file name
    assert [s.heading_text for s in issue.sections] == ["Story"]
    assert len(issue.lead) == 1


def test_yaml_date_with_offset_string(tmp_path):
    path = write(tmp_path, """
        ---
        title: LWKD style
        date: 2026-04-01 23:50:00 -0000
        ---
        Body.
        """)
    assert parse_issue(path, NZ).meta.date == datetime(2026, 4, 1, 23, 50, tzinfo=timezone.utc)


def test_id_survives_slug_and_title_edit(tmp_path):
    first = write(tmp_path, "---\ntitle: One\ndate: 2026-01-01\nid: urn:uuid:11111111-2222-4333-8444-555555555555\n---\nx\n")
    a = parse_issue(first, NZ).meta
    second = write(tmp_path, "---\ntitle: Renamed\nslug: other\ndate: 2026-01-01\nid: urn:uuid:11111111-2222-4333-8444-555555555555\n---\nx\n")
    b = parse_issue(second, NZ).meta
    assert a.id == b.id and a.slug != b.slug


# --- components ----------------------------------------------------------------------

@pytest.mark.parametrize("heading, key", [
    ("🔍 THE BOTTOM LINE", "bottom line"),
    ("The Bottom Line", "bottom line"),
    ("❓ Frequently Asked Questions", "frequently asked questions"),
    ("📊 By the Numbers", "by the numbers"),
    ("📰 SOURCES", "sources"),
    ("Q&A", "q&a"),
])
def test_heading_key(heading, key):
    assert heading_key(heading) == key


def test_components_from_aliases_and_explicit(tmp_path):
    path = write(tmp_path, """
        ---
        title: Components
        date: 2026-01-01
        ---
        Lead.

        ## TL;DR

        Short take.

        ## FAQ

        ### Is this a question?

        Yes, it is.

        ### And this

        A: Also yes.

        ## 🇦🇺 Australia Lens

        Across the Tasman.

        ## Closer to home {.lens region="Te Tai Tokerau"}

        Northland view.

        ## In short, a normal section

        Not a component.

        ## Further reading

        - [Report](https://example.org/report)
        - Interview — https://example.org/interview.
        - Book
        """)
    issue = parse_issue(path, NZ)
    kinds = [(s.kind, s.heading_text) for s in issue.sections]
    assert kinds == [
        ("bottom_line", "TL;DR"), ("faq", "FAQ"), ("lens", "🇦🇺 Australia Lens"),
        ("lens", "Closer to home"), ("section", "In short, a normal section"), ("sources", "Further reading"),
    ]
    faq = issue.sections[1].data
    assert [e.question for e in faq.entries] == ["Is this a question?", "And this"]
    assert plain_text(faq.entries[1].answer[0].children) == "Also yes."
    assert (issue.sections[2].data.region, issue.sections[2].data.title) == ("Australia", "")
    assert (issue.sections[3].data.region, issue.sections[3].data.title) == ("Te Tai Tokerau", "Closer to home")
    sources = issue.sections[5].data.items
    assert [(s.name, s.url) for s in sources] == [
        ("Report", "https://example.org/report"),
        ("Interview", "https://example.org/interview"),
        ("Book", ""),
    ]


def test_configured_alias(tmp_path):
    from dispatch.config import ComponentSettings

    settings = Settings(components=ComponentSettings(aliases={"bottom_line": ("Why it matters",)}))
    path = write(tmp_path, "---\ntitle: A\ndate: 2026-01-01\n---\n## 💡 Why It Matters\n\nBecause.\n")
    assert parse_issue(path, settings).sections[0].kind == "bottom_line"


def test_numbers_keep_text_around_table(issue):
    numbers = issue.component("numbers").data
    assert plain_text(numbers.before[0].children) == "To put the raise in context:"
    assert plain_text(numbers.after[0].children).startswith("Moonshot is now the highest-valued")


def test_nothing_dropped_from_markdown(tmp_path):
    path = write(tmp_path, """
        ---
        title: Everything
        date: 2026-01-01
        ---
        Intro with a [link][ref] and a footnote[^n] and <small>inline html</small>.

        <!-- editor's note -->

        <div class="promo">Raw block</div>

        ## Section

        | a | b |
        |---|--:|
        | 1 | 2 |

        ```python
        print("## not a heading")
        ```

        > quoted

        [ref]: https://example.org/ref
        [^n]: The note.
        """)
    issue = parse_issue(path, NZ)
    assert [s.heading_text for s in issue.sections] == ["Section"]
    blocks = issue.sections[0].blocks
    assert isinstance(blocks[0], Table) and blocks[0].align == ("", "right")
    assert blocks[1].text == 'print("## not a heading")' and blocks[1].lang == "python"
    assert any(isinstance(b, HtmlBlock) and "Raw block" in b.html for b in issue.lead)
    assert any(isinstance(b, HtmlBlock) and b.is_comment for b in issue.lead)
    assert issue.footnotes is not None and plain_text(issue.footnotes.items[0][1][0].children) == "The note."
    intro = issue.lead[0]
    assert isinstance(intro, Paragraph)
    assert "link" in plain_text(intro.children) and "inline html" in plain_text(intro.children)


def test_component_errors_name_the_heading_line(tmp_path):
    path = write(tmp_path, "---\ntitle: A\ndate: 2026-01-01\n---\nLead.\n\n## By the Numbers\n\nNo table here.\n")
    with pytest.raises(SourceError) as err:
        parse_issue(path, NZ)
    assert err.value.line == 7
    assert "no table" in err.value.message


def test_list_items_keep_nested_blocks(tmp_path):
    path = write(tmp_path, "---\ntitle: A\ndate: 2026-01-01\n---\n- one\n\n    more\n\n- two\n")
    block = parse_issue(path, NZ).lead[0]
    assert isinstance(block, ListBlock) and len(block.items) == 2 and len(block.items[0]) == 2


def test_faq_question_forms_keep_links(tmp_path):
    path = write(tmp_path, """
        ---
        title: A
        date: 2026-01-01
        ---
        ## FAQ

        Q: Is [Kimi](https://e.com/k) open? Yes.

        **Q:** Bold marker? Answer two.

        **Q: Whole bold?** Answer three.
        """)
    entries = parse_issue(path, NZ).sections[0].data.entries
    assert [e.question for e in entries] == ["Is Kimi open?", "Bold marker?", "Whole bold?"]
    assert entries[0].question_inlines[1].href == "https://e.com/k"
    assert [plain_text(e.answer[0].children) for e in entries] == ["Yes.", "Answer two.", "Answer three."]


def test_unclosed_fence_does_not_swallow_sections(tmp_path):
    path = write(tmp_path, "---\ntitle: A\ndate: 2026-01-01\n---\n```\nnot closed\n\n## Bottom Line\n\nStill a component.\n")
    issue = parse_issue(path, NZ)
    assert [s.kind for s in issue.sections] == ["bottom_line"]


def test_numbers_keep_every_column(tmp_path):
    path = write(tmp_path, "---\ntitle: A\ndate: 2026-01-01\n---\n## Numbers\n\n| Metric | Value | Note |\n"
                           "|---|---|---|\n| [Funding](https://e.com/f) | $2B | Noteword |\n")
    numbers = parse_issue(path, NZ).sections[0].data
    assert numbers.columns == 3 and numbers.header == ("Metric", "Value", "Note")
    assert numbers.rows[0].note == "Noteword" and numbers.rows[0].cells[0][0].href == "https://e.com/f"


def test_mailchimp_merge_tag_in_body_is_not_emphasis(tmp_path):
    path = write(tmp_path, "---\ntitle: A\ndate: 2026-01-01\n---\nKia ora *|FNAME|*, and *this*.\n")
    para = parse_issue(path, NZ).lead[0]
    assert plain_text(para.children) == "Kia ora *|FNAME|*, and this."
    assert para.children[0].text == "Kia ora *|FNAME|*, and "


def test_code_is_verbatim(tmp_path):
    path = write(tmp_path, "---\ntitle: A\ndate: 2026-01-01\n---\nUse `a > b && c < d` here.\n\n    x -> &amp;\n")
    lead = parse_issue(path, NZ).lead
    assert lead[0].children[1].text == "a > b && c < d"
    assert lead[1].text == "x -> &amp;"


def test_config_docstring_example_is_valid(tmp_path):
    import dispatch.config as config

    doc = config.__doc__
    example = "\n".join(line[4:] for line in doc[doc.index("Example::") + 9:doc.index("Unknown keys")].splitlines())
    (tmp_path / "dispatch.toml").write_text(example, encoding="utf-8")
    settings = config.load_settings(tmp_path)
    assert settings.platform == "mailchimp" and settings.thread.limits == {"mastodon": 5000}


def test_text_id_is_permanent_across_date_and_host(tmp_path):
    first = write(tmp_path, "---\ntitle: A\ndate: 2026-05-01\nid: briefing-42\n---\nx\n")
    a = parse_issue(first, NZ).meta.id
    second = write(tmp_path, "---\ntitle: B\ndate: 2026-05-02\nslug: other\nid: briefing-42\n---\nx\n")
    b = parse_issue(second, Settings(base_url="https://moved.example/")).meta.id
    assert a == b and a.startswith("urn:uuid:") and a[9:23] == b[9:23]
    import uuid

    assert uuid.UUID(a[9:]).version == 5


def test_non_latin_titles_get_distinct_slugs(tmp_path):
    one = parse_issue(write(tmp_path, "---\ntitle: 人工智能新闻\ndate: 2026-05-01\n---\nx\n", "a.md"), NZ).meta
    two = parse_issue(write(tmp_path, "---\ntitle: 日本の話\ndate: 2026-05-01\n---\nx\n", "b.md"), NZ).meta
    assert one.slug.startswith("issue-2026-05-01-") and two.slug.startswith("issue-2026-05-01-")
    assert one.slug != two.slug and one.id != two.id


def test_title_is_one_line(tmp_path):
    path = write(tmp_path, '---\ntitle: "Hello\\nBcc: x@y.org"\ndate: 2026-05-01\n---\nx\n')
    assert parse_issue(path, NZ).meta.title == "Hello Bcc: x@y.org"


def test_merge_tags_outside_code_are_flagged_for_public_channels(tmp_path):
    path = write(tmp_path, "---\ntitle: Hi *|FNAME|*\ndate: 2026-01-01\n---\nDear {{ first_name }},\n\n```\n{{ code }}\n```\n")
    warnings = parse_issue(path, NZ).warnings
    assert [w.split(": ", 1)[0] for w in warnings] == [f"{path}:2", f"{path}:5"]
    assert "{{ first_name }} is filled in only by the email platform" in warnings[1]
