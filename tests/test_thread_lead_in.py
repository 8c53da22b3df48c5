"""A post never ends on a colon lead-in ("…the size of the cheque:"): what it introduces
goes with it when both fit, else its start does; a lead-in that introduces nothing is cut."""

from __future__ import annotations

import re

from dispatch.channels.thread import Unit, render_threads, split_thread, thread_units
from dispatch.config import load_settings
from dispatch.counters import PLATFORMS
from dispatch.parse import parse_issue

X = PLATFORMS["x"]
LINK = "Read it https://briefing.example.nz/p/"


def body(post: str) -> str:
    return re.sub(r" \d+/\d+$", "", post)


def test_no_post_of_the_example_ends_on_a_colon(issue, settings):
    for thread in render_threads(issue, settings):
        dangling = [p.text for p in thread.posts if body(p.text).rstrip().endswith(":")]
        assert dangling == [], thread.platform
    [x] = [t for t in render_threads(issue, settings) if t.platform == "x"]
    assert body(x.posts[10].text) == ("🔓 The Open-Source Bet That Paid Off — Why this matters more than the size "
                                      "of the cheque:\n\nMoonshot has done the opposite of OpenAI.")
    assert body(x.posts[11].text).startswith("Sam Altman's company has pushed hard toward closed")


def test_a_lead_in_and_what_it_introduces_share_a_post_when_they_fit():
    lead, said = "Three things changed:", "The price, the licence and the team."
    posts = split_thread([Unit("A" * 230 + ".", 1, 1), Unit(lead, 2, 1), Unit(said, 3, 1)], LINK, X, 280)
    # the first paragraph leaves room for the lead-in (21) but not for both: both start post 2
    assert [body(p) for p in posts] == ["A" * 230 + ".", f"{lead}\n\n{said}", LINK]
    together = split_thread([Unit("Short.", 1, 1), Unit(lead, 2, 1), Unit(said, 3, 1)], LINK, X, 280)
    assert body(together[0]) == f"Short.\n\n{lead}\n\n{said}"


def test_a_lead_in_to_a_long_paragraph_takes_its_first_sentence_along():
    lead = "Here is why it matters more than the size of the cheque:"
    first = "Moonshot has done the opposite of OpenAI."
    rest = " ".join(["The rest of this paragraph is long enough that it cannot share a post."] * 3)
    posts = split_thread([Unit(lead, 1, 1), Unit(f"{first} {rest}", 2, 1)], LINK, X, 280)
    assert body(posts[0]).startswith(f"{lead}\n\n{first} ") and len(posts) == 3
    assert not [p for p in posts if body(p).endswith(":")]


def test_a_lead_in_to_a_list_keeps_its_first_item(tmp_path):
    lead = "The wager was that opening the model would:"
    items = [f"• Reason number {n}: " + "and some words to make it long " * 6 for n in range(1, 4)]
    posts = split_thread([Unit("B" * 150 + ".", 1, 1), Unit(lead, 2, 1), *[Unit(t, 3 + n, 1, item=True)
                                                                        for n, t in enumerate(items)]], LINK, X, 280)
    [with_lead] = [p for p in posts if lead in p]
    assert body(with_lead).startswith(f"{lead}\n{items[0].strip()}")


def test_a_lead_in_that_introduces_nothing_is_cut(tmp_path):
    (tmp_path / "dispatch.toml").write_text('base_url = "https://n.example/"\n', encoding="utf-8")
    issue = tmp_path / "lead.md"
    issue.write_text("---\ntitle: Lead-ins\ndate: 2026-01-01\n---\nThe lead.\n\n"
                     "## How we built it\n\nWe tried three designs. Here is the one we kept:\n\n"
                     "```\nmake it\n```\n\n"
                     "## The code\n\nIt goes like this:\n\n```\nrun()\n```\n", encoding="utf-8")
    settings = load_settings(tmp_path)
    texts = [u.text for u in thread_units(parse_issue(issue, settings), settings)]
    assert "How we built it — We tried three designs." in texts  # the lead-in sentence goes
    assert not [t for t in texts if t.endswith(":")] and not [t for t in texts if "The code" in t]
