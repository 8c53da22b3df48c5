"""``dispatch render`` on the example issue: five files, real values from the seed."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import lxml.etree as etree
import lxml.html
import pytest

from dispatch.counters import PLATFORMS
from dispatch.render import OUTPUTS

from conftest import EXAMPLE, ROOT, shared_path

# The seed briefing's section headings (../shared/seeds/000_ec27f7ca672afada.txt), emoji removed.
SEED_HEADINGS = [
    "The Bottom Line",
    "Frequently Asked Questions",
    "By the Numbers",
    "The Open-Source Bet That Paid Off",
    "China's AI Funding Landscape",
    "How Does Kimi K2.6 Stack Up?",
    "NZ Lens: The Open-Source Opportunity",
    "My Take: The Narrative Is Shifting",
    "Sources",
]


def email_text(report) -> str:
    doc = lxml.html.fromstring((report.folder / "email.html").read_bytes())
    return " ".join(doc.text_content().split())


def test_writes_five_files(rendered):
    assert sorted(p.name for p in rendered.folder.iterdir()) == sorted([*OUTPUTS, ".dispatch-output"])
    assert rendered.folder.name == "moonshot-moment"
    for name in OUTPUTS:
        assert rendered.sizes[name] == (rendered.folder / name).stat().st_size > 0


def test_every_seed_heading_in_email_and_text(rendered):
    html_text = email_text(rendered)
    plain = (rendered.folder / "email.txt").read_text(encoding="utf-8")
    for heading in SEED_HEADINGS:
        # the email shows the Lens as a region badge ("NZ Lens") above its title
        for part in heading.split(": ") if "Lens" in heading else [heading]:
            assert part.lower() in html_text.lower(), heading
        assert heading.lower() in plain.lower(), heading


def test_seed_headings_match_the_seed():
    seed = shared_path("seeds", "000_ec27f7ca672afada.txt").read_text(encoding="utf-8").lower()
    for heading in SEED_HEADINGS:
        assert heading.lower().replace("'", "’") in seed or heading.lower() in seed, heading


def test_email_components(rendered):
    html = (rendered.folder / "email.html").read_text(encoding="utf-8")
    doc = lxml.html.fromstring(html.encode("utf-8"))
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert doc.get("lang") == "en-NZ"
    assert len(doc.find_class("faq-q")) == 3
    numbers = [td.text_content() for td in doc.find_class("numbers-metric") if td.tag == "td"]
    assert numbers == ["Funding", "Valuation", "Monthly Revenue", "Valuation Growth", "Key Product",
                       "Latest Model", "Strategy"]
    assert [e.text_content() for e in doc.find_class("lens-region")] == ["NZ"]
    sources = doc.xpath("//ul[contains(@class, 'sources')]/li")
    assert [li.text_content() for li in sources] == ["TechCrunch", "Bloomberg", "CnTechPost"]
    assert [a.get("href") for li in sources for a in li.iter("a")][:3] == [
        "https://techcrunch.com/", "https://www.bloomberg.com/", "https://cntechpost.com/"]
    # preheader = Bottom Line (cut to 90 characters at a word)
    preview = doc.xpath("//body//div[contains(@style, 'display:none')]")[0].text_content()
    assert preview.strip().startswith("Moonshot AI's $2B raise at a $20B valuation")
    # no network at open time: nothing external but links
    assert not re.search(r"<link[^>]+stylesheet|fonts\.googleapis|@import", html)
    assert rendered.sizes["email.html"] <= 40 * 1024


def test_text_part(rendered):
    text = (rendered.folder / "email.txt").read_text(encoding="utf-8")
    from dispatch.textutil import width

    for line in text.splitlines():
        assert width(line) <= 78 or re.fullmatch(r"\S*https?://\S+", line.split()[-1]), line
    assert text.count("Q: ") == 3 and text.count("A: ") == 3
    assert "Funding                               $2 billion" in text
    assert "Valuation         ~$20 billion (140 billion CNY)" in text


def test_entry_is_valid_atom(rendered):
    rng = etree.RelaxNG(etree.parse(str(shared_path("validators", "atom.rng"))))
    doc = etree.parse(str(rendered.folder / "entry.xml"))
    assert rng.validate(doc), rng.error_log
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert doc.getroot().tag == "{http://www.w3.org/2005/Atom}entry"
    assert doc.findtext("a:id", namespaces=ns) == "tag:briefing.example.nz,2026-05-22:moonshot-moment"
    assert doc.findtext("a:published", namespaces=ns) == "2026-05-22T07:00:00+12:00"
    assert doc.findtext("a:summary", namespaces=ns).startswith("Moonshot AI's $2B raise")
    content = doc.find("a:content", namespaces=ns)
    assert content.get("type") == "html"
    assert "Frequently Asked Questions" in content.text and 'href="https://cntechpost.com/"' in content.text
    assert doc.find("a:link", namespaces=ns).get("href") == "https://briefing.example.nz/moonshot-moment/"


def test_threads_within_limits(rendered):
    data = json.loads((rendered.folder / "thread.json").read_text(encoding="utf-8"))
    assert set(data["platforms"]) == {"x", "bluesky", "mastodon"}
    bottom_line_start = "Moonshot AI's $2B raise"
    for name, thread in data["platforms"].items():
        platform = PLATFORMS[name]
        posts = [p["text"] for p in thread["posts"]]
        n = len(posts)
        for i, text in enumerate(posts, 1):
            assert text.endswith(f" {i}/{n}")
            assert platform.count(text) <= thread["limit"] == platform.limit, (name, i, text)
            if name == "bluesky":
                assert len(text.encode("utf-8")) <= 3000
        assert posts[0].startswith(bottom_line_start)
        assert "https://briefing.example.nz/moonshot-moment/" in posts[-1]
        assert all("https://" not in p for p in posts[:-1])


def test_cli_prints_one_line_per_output(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "dispatch", "render", str(EXAMPLE), "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert [line.split()[0].rsplit("/", 1)[-1] for line in lines] == list(OUTPUTS)
    # no cssutils noise, no size warning for a 36 KB email: only what the example really lacks
    warnings = proc.stderr.splitlines()
    # (the example's dispatch.toml sets unsubscribe_url and postal_address, its sources have URLs)
    assert warnings == [], proc.stderr


@pytest.mark.parametrize("kib, expect", [(50, None), (95, "close to Gmail"), (110, "over Gmail")])
def test_size_warning(kib, expect):
    from pathlib import Path

    from dispatch.channels.email import write_hint

    hint = write_hint(Path("email.html"), kib * 1024)
    assert (hint is None) if expect is None else (expect in hint and f"{kib:.1f} KB" in hint)


def test_links_in_component_parts_survive_every_channel(tmp_path):
    """Links in headings, FAQ questions, Numbers cells and Sources items, and a third
    Numbers column, reach both the email and the text part."""
    from dispatch.config import Settings
    from dispatch.render import render_issue

    source = tmp_path / "c.md"
    source.write_text(
        "---\ntitle: A\ndate: 2026-01-01\n---\n## [Linked](https://h.example/) heading\n\nx\n\n"
        "## FAQ\n\nQ: Is [Kimi](https://e.com/k) open? Yes.\n\n"
        "## Numbers\n\n| Metric | Value | Note |\n|---|---|---|\n| [Funding](https://e.com/f) | $2B | Noteword |\n\n"
        "## Sources\n\n- [A](https://u1.example/) and [B](https://u2.example/)\n- Plain — https://u3.example/x.\n",
        encoding="utf-8")
    report = render_issue(source, tmp_path / "out", Settings())
    html = (report.folder / "email.html").read_text(encoding="utf-8")
    text = (report.folder / "email.txt").read_text(encoding="utf-8")
    for url in ("https://h.example/", "https://e.com/k", "https://e.com/f", "https://u1.example/",
                "https://u2.example/", "https://u3.example/x"):
        assert f'href="{url}' in html, url
        assert url in text, url
    assert "Noteword" in html and "Funding [3]    $2B  Noteword" in text
    entry = (report.folder / "entry.xml").read_text(encoding="utf-8")  # the feed/web HTML fragments too
    for url in ("https://e.com/k", "https://e.com/f", "https://u2.example/"):
        assert f'href="{url}' in entry, url
    assert "Noteword" in entry
    assert "Q: Is Kimi [2] open?" in text and "- A [4] and B [5]" in text


def test_local_images_are_copied_beside_the_outputs(tmp_path):
    """An image next to the issue is published where the email's absolute URL points."""
    from dispatch.config import Settings
    from dispatch.render import render_issue

    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    source = tmp_path / "a.md"
    source.write_text("---\ntitle: Pics\ndate: 2026-01-01\n---\nLead ![A chart](img/chart.png).\n\n"
                      "![Gone](img/gone.png)\n", encoding="utf-8")
    out = tmp_path / "out"
    report = render_issue(source, out, Settings(base_url="https://n.example/", root=tmp_path,
                                                unsubscribe_url="https://n.example/u"))
    assert (report.folder / "img" / "chart.png").read_bytes() == b"\x89PNG\r\n\x1a\nfake"
    assert report.sizes["img/chart.png"] == 12
    assert 'src="https://n.example/pics/img/chart.png"' in (report.folder / "email.html").read_text(encoding="utf-8")
    assert [str(d) for d in report.diagnostics if d.code == "image"] == [f"{source}:7: image 'img/gone.png' not found (looked for {tmp_path / 'img' / 'gone.png'}); "
                               "readers will see it broken"]
    # a second render may replace the image folder it wrote itself
    (tmp_path / "img" / "chart.png").unlink()
    source.write_text("---\ntitle: Pics\ndate: 2026-01-01\n---\nNo images now.\n", encoding="utf-8")
    report = render_issue(source, out, Settings(base_url="https://n.example/", root=tmp_path))
    assert not (report.folder / "img").exists()


def test_images_outside_the_newsletter_folder_are_not_published(tmp_path):
    from dispatch.config import Settings
    from dispatch.render import render_issue

    root = tmp_path / "news"
    root.mkdir()
    (tmp_path / "secret.png").write_bytes(b"private")
    source = root / "a.md"
    source.write_text("---\ntitle: A\ndate: 2026-01-01\n---\n![x](img/../../secret.png)\n", encoding="utf-8")
    report = render_issue(source, tmp_path / "out", Settings(root=root, unsubscribe_url="https://n.example/u"))
    assert not any(name.endswith("secret.png") for name in report.sizes)
    assert [str(d) for d in report.diagnostics if d.code == "image"] == [
        f"{source}:5: 'img/../../secret.png' is outside the newsletter folder ({root}); it is not published, and no "
        "reader could see it, so it is left out of every channel (its alt text stands in); put the file in the "
        "newsletter folder (e.g. img/ next to the issue) and write its path relative to the issue"]
    assert "secret.png" not in (report.folder / "email.html").read_text(encoding="utf-8")


def test_merge_tag_links_are_never_made_absolute(tmp_path):
    """One URL rule for every channel: a merge-tag href stays as written, an in-page anchor
    stays in the email and text part and is made absolute only in the feed."""
    from dispatch.config import Settings
    from dispatch.render import render_issue

    source = tmp_path / "u.md"
    source.write_text("---\ntitle: U\ndate: 2026-01-01\n---\nChange [your preferences](*|UPDATE_PROFILE|*) "
                      "or [see below](#s).\n\n## S\n\nx\n", encoding="utf-8")
    report = render_issue(source, tmp_path / "out", Settings(), platform="mailchimp")
    text = (report.folder / "email.txt").read_text(encoding="utf-8")
    html = (report.folder / "email.html").read_text(encoding="utf-8")
    entry = (report.folder / "entry.xml").read_text(encoding="utf-8")
    assert "[1] *|UPDATE_PROFILE|*" in text and "see below." in text
    assert 'href="*|UPDATE_PROFILE|*"' in html and 'href="#s"' in html
    assert 'href="*|UPDATE_PROFILE|*"' in entry and 'href="https://example.com/u/#u-s"' in entry and 'id="u-s"' in entry
