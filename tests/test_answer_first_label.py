"""The Answer-First Lead as readers see it: under the layout's reader-facing label ("In brief",
``answer_first`` in labels.toml, overridable) when the issue heads it with the component's
name, the author's own heading otherwise; every word of it kept; and a warning, with its line,
when it repeats the opening paragraphs word for word."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest

from dispatch.channels.entry import content_html
from dispatch.config import load_settings
from dispatch.diagnostics import issue_warnings
from dispatch.parse import parse_issue
from dispatch.render import render_in_memory

from conftest import shared_path

LEAD = ("Moonshot AI has closed about two billion dollars in new funding at a valuation above twenty billion.\n\n"
        "The round was led by Meituan's Long-Z vehicle, with China Mobile taking part.")


def issue_file(tmp_path: Path, heading: str, answer: str, config: str = "") -> Path:
    (tmp_path / "dispatch.toml").write_text('site_name = "T"\nbase_url = "https://news.example.org/"\n' + config,
                                            encoding="utf-8")
    path = tmp_path / "issue.md"
    path.write_text(f"---\ntitle: Moonshot\ndate: 2026-06-01 08:00\n---\n\n{LEAD}\n\n## {heading}\n\n{answer}\n\n"
                    "## More\n\nThe rest.\n", encoding="utf-8")
    return path


def texts(path: Path):
    settings = load_settings(path.parent)
    done = render_in_memory(path, settings)
    email = lxml.html.document_fromstring(done.files["email.html"].decode())
    web = lxml.html.fragment_fromstring(content_html(done.issue, settings), create_parent="div")
    return done, email, web, done.files["email.txt"].decode()


def heading_of(doc) -> str:
    # the email's h2.answer-label, the web page's section.answer-first > h2
    [h2] = doc.xpath('//h2[contains(@class, "answer-label")] | //section[contains(@class, "answer-first")]/h2')
    return h2.text_content().strip()


ANSWER = "Moonshot raised two billion dollars by open-sourcing its best models, and investors rewarded it."


def test_component_name_heading_shows_the_reader_label(tmp_path):
    done, email, web, text = texts(issue_file(tmp_path, "⚡ Answer-First Lead", ANSWER))
    assert heading_of(email) == "In brief" and heading_of(web) == "In brief"
    assert re.search(r"^In brief\n-+\n\n" + re.escape(ANSWER[:40]), text, re.M), text
    for output in (email.text_content(), web.text_content(), text):
        assert "Answer-First" not in output and "ANSWER-FIRST" not in output
        assert " ".join(ANSWER.split()[:6]) in " ".join(output.split())  # the answer itself is kept
    # nothing repeats the lead here, so no warning
    assert not [d for d in done.diagnostics if d.code == "repeat"]


def test_label_is_overridable_and_an_authors_own_heading_is_kept(tmp_path):
    _, email, web, text = texts(issue_file(tmp_path, "Answer First", ANSWER, '[labels]\nanswer_first = "The gist"\n'))
    assert heading_of(email) == "The gist" and heading_of(web) == "The gist" and "\nThe gist\n" in text
    other = tmp_path / "other"
    other.mkdir()
    _, email, web, text = texts(issue_file(other, "The Short Answer", ANSWER))
    assert heading_of(email) == "The Short Answer" and heading_of(web) == "The Short Answer"
    assert "In brief" not in text


def test_language_label(tmp_path):
    path = issue_file(tmp_path, "Answer-First Lead", ANSWER)
    path.write_text(path.read_text(encoding="utf-8").replace("date:", "lang: fr\ndate:"), encoding="utf-8")
    _, email, web, _ = texts(path)
    assert heading_of(email) == "En bref" and heading_of(web) == "En bref"


def test_repeating_the_opening_paragraphs_is_kept_and_warned_with_its_line(tmp_path):
    path = issue_file(tmp_path, "Answer-First Lead", " ".join(LEAD.split()))
    line = path.read_text(encoding="utf-8").splitlines().index("## Answer-First Lead") + 1
    done, email, _, text = texts(path)
    [warning] = [d for d in done.diagnostics if d.code == "repeat"]
    assert str(warning) == (f"{path}:{line}: the Answer-First Lead repeats the opening paragraphs; readers read it "
                            "twice — delete one")
    # every word the writer wrote is still there: the lead and the answer, both
    flat = " ".join(text.split())
    assert flat.count("The round was led by Meituan's Long-Z vehicle, with China Mobile taking part.") == 2
    assert " ".join(email.text_content().split()).count("Meituan's Long-Z vehicle") == 2


def test_seed_briefing_warns_that_its_answer_first_lead_repeats_the_lead(tmp_path):
    seeds = sorted(shared_path("seeds").glob("000_*.txt"))
    if not seeds:
        pytest.skip("no seed briefing in ../shared/seeds")
    source = tmp_path / "seed.txt"
    source.write_bytes(seeds[0].read_bytes())
    line = source.read_text(encoding="utf-8").splitlines().index("Answer-First Lead") + 1
    settings = load_settings(tmp_path)
    issue = parse_issue(source, settings)
    found = [str(d) for d in issue_warnings(issue, settings) if d.code == "repeat"]
    assert found == [f"{source}:{line}: the Answer-First Lead repeats the opening paragraphs; readers read it twice "
                     "— delete one"]
    answer = issue.component("answer_first").data.text
    assert answer.startswith("Chinese AI lab Moonshot AI has closed approximately $2 billion")
