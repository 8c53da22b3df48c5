"""The archive as a site: tag pages and the tags index, sitemap.xml and robots.txt, the 404
page, previous/next links between issue pages and the subscribe link — and that drafts and
scheduled issues appear in none of them."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import urllib.robotparser
from datetime import datetime
from pathlib import Path

import lxml.etree
import lxml.html
import pytest

from dispatch.archive import build_archive, parse_now
from dispatch.archive import sitemap as sitemap_mod
from dispatch.config import ConfigError, load_settings

from test_build_support import BASE, issue_text, urls_in_html, write_archive

NOW = "2026-06-01T00:00:00Z"
ID = "urn:uuid:00000000-0000-4000-8000-0000000001{:02d}"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def _build(folder: Path, out: Path, now: str = NOW, **kw):
    return build_archive(folder, out, load_settings(folder), parse_now(now), **kw)


def _snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _doc(path: Path):
    return lxml.html.document_fromstring(path.read_bytes())


def _nav(out: Path, slug: str) -> list[tuple[str, str, str]]:
    """``(rel, href, title text)`` of each previous/next link of ``slug``'s page."""
    return [(a.get("rel"), a.get("href"), a.xpath("string()").strip())
            for a in _doc(out / slug / "index.html").xpath('//nav[@class="issue-nav"]/a')]


def _french(title: str, date: str, n: int, tags: tuple[str, ...]) -> str:
    text = issue_text(title, date, id=ID.format(n), tags=tags)
    return text.replace("---\n", "---\nlang: fr\n", 1)


@pytest.fixture
def archive(tmp_path):
    """Five published issues (one in French), a draft and a scheduled one, each with a tag of
    its own that no published issue has."""
    folder = write_archive(tmp_path, {
        "01.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1), tags=("news", "open-source AI")),
        "02.md": issue_text("Beta", "2026-05-02 07:00", id=ID.format(2), tags=("news", "C++")),
        "03.md": _french("Gamma en français", "2026-05-03 07:00", 3, ("news",)),
        "04.md": issue_text("Secret draft", "2026-05-04 07:00", id=ID.format(4), tags=("news", "embargo"),
                            draft=True),
        "05.md": issue_text("Delta", "2026-05-05 07:00", id=ID.format(5), tags=("open-source AI",),
                            updated="2026-05-20 09:30"),
        "06.md": issue_text("Epsilon", "2026-05-06 07:00", id=ID.format(6), tags=("news",)),
        "07.md": issue_text("Future scoop", "2026-07-01 07:00", id=ID.format(7), tags=("news", "later")),
    })
    return folder, tmp_path / "public"


PUBLISHED = ["epsilon", "delta", "gamma-en-francais", "beta", "alpha"]  # newest first


def _private_absent(out: Path) -> None:
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".txt", ".json"):
            text = path.read_text(encoding="utf-8")
            for secret in ("Secret draft", "secret-draft", "Future scoop", "future-scoop", "embargo", "later/"):
                assert secret not in text, (path, secret)


# --- tag pages ----------------------------------------------------------------------------


def test_tag_pages_list_their_published_issues_newest_first(archive):
    folder, out = archive
    _build(folder, out)
    doc = _doc(out / "tags" / "news" / "index.html")
    assert doc.xpath("//h1/text()") == ["Issues tagged news"]
    assert doc.xpath('//a[@class="archive-title"]/text()') == ["Epsilon", "Gamma en français", "Beta", "Alpha"]
    assert doc.xpath('//link[@rel="canonical"]/@href') == [BASE + "tags/news/"]
    assert (BASE + "tags/news/atom.xml") in doc.xpath('//link[@rel="alternate"]/@href')
    # each date in its issue's language; the French row says so
    rows = doc.xpath('//li[@class="archive-item"]')
    assert [r.xpath("string(time)") for r in rows] == ["6 May 2026", "3 mai 2026", "2 May 2026", "1 May 2026"]
    assert [r.get("lang") for r in rows] == [None, "fr", None, None]
    cpp = [p for p in (out / "tags").iterdir() if p.name.startswith("c-")]
    assert len(cpp) == 1 and (cpp[0] / "index.html").is_file()
    assert _doc(cpp[0] / "index.html").xpath("//h1/text()") == ["Issues tagged C++"]
    # the tag feed's alternate link is now its page
    atom = lxml.etree.fromstring((out / "tags" / "news" / "atom.xml").read_bytes())
    assert atom.xpath('/a:feed/a:link[@rel="alternate"]/@href', namespaces={"a": "http://www.w3.org/2005/Atom"}) == [
        BASE + "tags/news/"]
    _private_absent(out)
    assert not (out / "tags" / "embargo").exists() and not (out / "tags" / "later").exists()


def test_tag_pills_on_issue_pages_and_the_index_link_to_the_tag_pages(archive):
    folder, out = archive
    _build(folder, out)
    page = _doc(out / "alpha" / "index.html")
    assert [(a.text, a.get("href"), a.get("rel")) for a in page.xpath('//ul[@class="tags"]/li/a')] == [
        ("news", BASE + "tags/news/", "tag"), ("open-source AI", BASE + "tags/open-source-ai/", "tag")]
    index = _doc(out / "index.html")
    first = index.xpath('//li[@class="archive-item"]')[0]
    assert [(a.text, a.get("href")) for a in first.xpath('.//ul[@class="tags"]/li/a')] == [
        ("news", BASE + "tags/news/")]
    tags = _doc(out / "tags" / "index.html")
    listed = [(li.xpath("string(a)"), li.xpath("string(span)")) for li in tags.xpath('//ul[@class="tag-index"]/li')]
    assert listed == [("C++", "1"), ("news", "4"), ("open-source AI", "2")]
    assert BASE + "tags/" in index.xpath("//footer//a/@href")


# --- sitemap and robots.txt -------------------------------------------------------------


def test_sitemap_lists_every_published_page_and_nothing_else(archive):
    folder, out = archive
    _build(folder, out)
    root = lxml.etree.fromstring((out / "sitemap.xml").read_bytes())
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    entries = {u.findtext("s:loc", namespaces=NS): u.findtext("s:lastmod", namespaces=NS)
               for u in root.findall("s:url", NS)}
    tag_dirs = sorted(p.parent.relative_to(out).as_posix() for p in (out / "tags").glob("*/index.html"))
    assert set(entries) == {BASE, *(BASE + s + "/" for s in PUBLISHED), BASE + "tags/",
                            *(BASE + d + "/" for d in tag_dirs)}
    # every page the build wrote is listed, but the 404 page
    pages = {p.parent.relative_to(out).as_posix() for p in out.rglob("index.html")}
    assert {BASE + ("" if d == "." else d + "/") for d in pages} == set(entries)
    assert (out / "404.html").is_file() and BASE + "404.html" not in entries
    # W3C Datetime, from the issue's updated (front matter) or its date, in UTC
    assert entries[BASE + "alpha/"] == "2026-04-30T19:00:00Z"
    assert entries[BASE + "delta/"] == "2026-05-19T21:30:00Z"
    assert entries[BASE] == entries[BASE + "tags/"] == "2026-05-19T21:30:00Z"
    assert entries[BASE + "tags/news/"] == "2026-05-05T19:00:00Z"
    for lastmod in entries.values():
        datetime.fromisoformat(lastmod.replace("Z", "+00:00"))
    _private_absent(out)


def test_sitemap_leaves_out_a_page_whose_canonical_is_elsewhere(tmp_path):
    text = issue_text("Syndicated", "2026-05-01 07:00", id=ID.format(1)).replace(
        "---\n", "---\ncanonical_url: https://elsewhere.example.com/first/\n", 1)
    folder = write_archive(tmp_path, {"a.md": text, "b.md": issue_text("Own", "2026-05-02 07:00", id=ID.format(2))})
    _build(folder, tmp_path / "o")
    locs = lxml.etree.fromstring((tmp_path / "o" / "sitemap.xml").read_bytes()).xpath("//s:loc/text()",
                                                                                      namespaces=NS)
    assert BASE + "own/" in locs and BASE + "syndicated/" not in locs


def test_a_large_sitemap_becomes_an_index_of_sitemaps(monkeypatch):
    monkeypatch.setattr(sitemap_mod, "MAX_URLS", 2)
    when = datetime.fromisoformat("2026-05-01T07:00:00+12:00")
    files = sitemap_mod.sitemap_files([(f"{BASE}{n}/", when) for n in range(5)] + [(BASE + "x/", None)], BASE)
    assert sorted(files) == ["sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml", "sitemap.xml"]
    index = lxml.etree.fromstring(files["sitemap.xml"])
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    assert index.xpath("//s:loc/text()", namespaces=NS) == [f"{BASE}sitemap-{n}.xml" for n in (1, 2, 3)]
    assert index.xpath("//s:lastmod/text()", namespaces=NS) == ["2026-04-30T19:00:00Z"] * 3
    assert [len(lxml.etree.fromstring(files[f"sitemap-{n}.xml"])) for n in (1, 2, 3)] == [2, 2, 2]
    assert b"&amp;" in sitemap_mod.sitemap_files([(BASE + "?a=1&b=2", None)], BASE)["sitemap.xml"]


def test_robots_txt_names_the_sitemap_and_a_site_owners_own_is_left_alone(archive):
    folder, out = archive
    report = _build(folder, out)
    robots = urllib.robotparser.RobotFileParser()
    robots.parse((out / "robots.txt").read_text().splitlines())
    assert robots.site_maps() == [BASE + "sitemap.xml"]
    assert robots.can_fetch("Googlebot", BASE + "alpha/")
    assert not [w for w in report.warnings if "robots" in w]
    # the owner's own robots.txt: never replaced (not even with --force), a warning says what to add
    mine = "User-agent: *\nDisallow: /private/\n"
    (out / "robots.txt").write_text(mine)
    for force in (False, True):
        report = _build(folder, out, force=force)
        assert (out / "robots.txt").read_text() == mine
        assert f"{out / 'robots.txt'}: yours, so dispatch leaves it; add the line 'Sitemap: {BASE}sitemap.xml' " \
               "so crawlers find the sitemap" in report.warnings
    assert "robots.txt" not in (out / ".dispatch-manifest").read_text()
    (out / "robots.txt").write_text(mine + f"Sitemap: {BASE}sitemap.xml\n")
    assert not [w for w in _build(folder, out).warnings if "robots" in w]
    (out / "robots.txt").unlink()  # gone: dispatch writes its own again
    _build(folder, out)
    assert "Sitemap: " + BASE + "sitemap.xml" in (out / "robots.txt").read_text()


def test_no_robots_txt_below_a_hosts_root(tmp_path):
    base = "https://example.org/newsletter/"
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1))}, base=base)
    _build(folder, tmp_path / "o")
    assert not (tmp_path / "o" / "robots.txt").exists()
    locs = lxml.etree.fromstring((tmp_path / "o" / "sitemap.xml").read_bytes()).xpath("//s:loc/text()",
                                                                                      namespaces=NS)
    assert base + "alpha/" in locs and all(loc.startswith(base) for loc in locs)


# --- 404 ----------------------------------------------------------------------------------


def test_404_page_in_the_sites_layout_with_absolute_links(archive):
    folder, out = archive
    _build(folder, out)
    html = (out / "404.html").read_text()
    doc = lxml.html.document_fromstring(html)
    assert doc.xpath("//h1/text()") == ["Page not found"]
    assert doc.xpath('//meta[@name="robots"]/@content') == ["noindex"]
    assert doc.xpath('//link[@rel="stylesheet"]/@href') == [BASE + "style.css"]
    assert doc.xpath('//a[@class="archive-title"]/text()') == ["Epsilon", "Delta", "Gamma en français", "Beta",
                                                              "Alpha"]
    assert all(url.startswith(BASE) for url in urls_in_html(html))  # served at any depth
    assert doc.xpath('//a[@class="site-name"]/@href') == [BASE]


# --- previous / next ----------------------------------------------------------------------


def test_previous_next_links_follow_publication_and_skip_drafts_and_scheduled(archive):
    folder, out = archive
    _build(folder, out)
    assert _nav(out, "alpha") == [("next", BASE + "beta/", "Next issue Beta")]
    assert _nav(out, "beta") == [("prev", BASE + "alpha/", "Previous issue Alpha"),
                                 ("next", BASE + "gamma-en-francais/", "Next issue Gamma en français")]
    # the French issue's links are labelled in French; the draft (between Gamma and Delta) is skipped
    assert _nav(out, "gamma-en-francais") == [("prev", BASE + "beta/", "Numéro précédent Beta"),
                                              ("next", BASE + "delta/", "Numéro suivant Delta")]
    assert _nav(out, "epsilon") == [("prev", BASE + "delta/", "Previous issue Delta")]
    _private_absent(out)


def test_neighbours_change_without_rendering_pages_again_and_match_a_fresh_build(archive, tmp_path):
    folder, out = archive
    _build(folder, out)
    # the scheduled issue comes due: Epsilon's page gains a next link; only it and Future's are rendered
    report = _build(folder, out, "2026-07-02T00:00:00Z")
    assert report.parsed == 1
    assert "epsilon/index.html" in report.changed and "delta/index.html" not in report.changed
    assert _nav(out, "epsilon")[-1] == ("next", BASE + "future-scoop/", "Next issue Future scoop")
    # a retitled issue: its neighbours' links say the new title; unchanged sources are not parsed
    (folder / "02.md").write_text(issue_text("Beta, retold", "2026-05-02 07:00", id=ID.format(2), slug="beta",
                                             tags=("news", "C++")))
    report = _build(folder, out, "2026-07-02T00:00:00Z")
    assert report.parsed == 1
    assert {"alpha/index.html", "beta/index.html", "gamma-en-francais/index.html"} <= set(report.changed)
    assert _nav(out, "alpha") == [("next", BASE + "beta/", "Next issue Beta, retold")]
    # a deleted issue: its neighbours link past it
    (folder / "05.md").unlink()
    _build(folder, out, "2026-07-02T00:00:00Z")
    assert [h for _, h, _ in _nav(out, "epsilon")] == [BASE + "gamma-en-francais/", BASE + "future-scoop/"]
    # the same pages as a build from scratch, with 1 or 2 workers (the feeds and the sitemap differ
    # only by Beta's updated date, which a build from scratch cannot know)
    for jobs in (1, 2):
        fresh = tmp_path / f"fresh{jobs}"
        _build(folder, fresh, "2026-07-02T00:00:00Z", jobs=jobs)
        mine, theirs = (({k: v for k, v in _snapshot(o).items() if k.endswith(".html")}) for o in (out, fresh))
        assert mine == theirs, sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
    # a second build changes nothing
    again = _build(folder, out, "2026-07-02T00:00:00Z")
    assert again.parsed == 0 and again.changed == []


def test_a_page_changed_by_someone_is_rendered_again_when_its_links_change(archive):
    folder, out = archive
    _build(folder, out)
    page = out / "epsilon" / "index.html"
    data = page.read_bytes()
    tampered = data.replace(b"Epsilon</h1>", b"EPSILON</h1>")
    assert len(tampered) == len(data) and tampered != data  # same size: the cache still trusts it
    page.write_bytes(tampered)
    _build(folder, out, "2026-07-02T00:00:00Z", force=True)
    text = page.read_text()
    assert "Epsilon</h1>" in text and "future-scoop/" in text


def test_a_layout_without_the_links_builds_and_one_of_your_own_is_used(tmp_path):
    issues = {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1)),
              "b.md": issue_text("Beta", "2026-05-02 07:00", id=ID.format(2))}
    folder = write_archive(tmp_path / "own", issues)
    web = folder.parent / "layouts" / "default" / "web"
    web.mkdir(parents=True)
    (web / "issue_nav.html").write_text(
        '{% if next %}<p class="mine"><a rel="next" href="{{ next.url }}">→ {{ next.title }}</a></p>{% endif %}')
    _build(folder, tmp_path / "own" / "o")
    doc = _doc(tmp_path / "own" / "o" / "alpha" / "index.html")
    assert doc.xpath('//p[@class="mine"]/a/@href') == [BASE + "beta/"] and not doc.xpath("//nav")

    folder = write_archive(tmp_path / "none", issues)
    web = folder.parent / "layouts" / "default" / "web"
    web.mkdir(parents=True)
    page = (Path(__file__).parents[1] / "layouts" / "default" / "web" / "page.html").read_text()
    (web / "page.html").write_text(page.replace("{{ issue_nav }}", ""))
    _build(folder, tmp_path / "none" / "o")
    assert not _doc(tmp_path / "none" / "o" / "alpha" / "index.html").xpath('//a[@rel="next"]')
    (folder / "c.md").write_text(issue_text("Gamma", "2026-05-03 07:00", id=ID.format(3)))
    assert _build(folder, tmp_path / "none" / "o").parsed == 1  # no links to fill: nothing else to touch


# --- subscribe ----------------------------------------------------------------------------


def _subscribe(path: Path) -> list:
    return _doc(path).xpath('//aside[@class="subscribe"]')


def test_no_subscribe_target_no_subscribe_link(archive):
    folder, out = archive
    _build(folder, out)
    for page in (out / "index.html", out / "alpha" / "index.html", out / "tags" / "news" / "index.html",
                 out / "404.html"):
        assert _subscribe(page) == [], page


def test_subscribe_url_is_linked_from_every_page(tmp_path):
    url = "https://lists.example.org/subscribe?list=weekly"
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1))},
                           extra=f'subscribe_url = "{url}"')
    _build(folder, tmp_path / "o")
    for page in ("index.html", "alpha/index.html", "tags/news/index.html", "tags/index.html", "404.html"):
        box = _subscribe(tmp_path / "o" / page)
        assert len(box) == 1, page
        assert box[0].xpath(".//a/@href") == [url] and not box[0].xpath(".//form")


def test_subscribe_from_the_email_platform(tmp_path):
    buttondown = '[publish.news]\nkind = "buttondown"\nendpoint = "https://api.buttondown.com/"\naccount = "testweekly"'
    folder = write_archive(tmp_path / "b", {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1))},
                           extra=buttondown)
    _build(folder, tmp_path / "b" / "o")
    form = _doc(tmp_path / "b" / "o" / "alpha" / "index.html").xpath('//form[@class="subscribe-form"]')[0]
    assert form.get("action") == "https://buttondown.com/api/emails/embed-subscribe/testweekly"
    assert form.get("method") == "post" and form.xpath('.//input[@type="email"]/@name') == ["email"]
    assert form.xpath(".//label/@for") == form.xpath('.//input[@type="email"]/@id')

    ghost = '[publish.site]\nkind = "ghost"\nendpoint = "https://news.example.org/"'
    folder = write_archive(tmp_path / "g", {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1))},
                           extra=ghost)
    _build(folder, tmp_path / "g" / "o")
    box = _subscribe(tmp_path / "g" / "o" / "index.html")[0]
    assert box.xpath(".//a/@href") == ["https://news.example.org/#/portal/signup"]

    listmonk = ('[publish.lm]\nkind = "listmonk"\nendpoint = "https://lists.example.org"\naccount = "api"\n'
                'options = { lists = ["weekly"] }\n')
    from dispatch.subscribe import subscribe_target
    (tmp_path / "l").mkdir()
    (tmp_path / "l" / "dispatch.toml").write_text(f'base_url = "{BASE}"\n{listmonk}')
    target = subscribe_target(load_settings(tmp_path / "l"))
    assert (target.url, target.form, target.source) == ("https://lists.example.org/subscription/form", "",
                                                        "publish.lm")
    # a Buttondown channel without its username gives no page to link to
    (tmp_path / "l" / "dispatch.toml").write_text(
        f'base_url = "{BASE}"\n[publish.news]\nkind = "buttondown"\nendpoint = "https://api.buttondown.com/"\n')
    assert subscribe_target(load_settings(tmp_path / "l")) is None


def test_a_bad_subscribe_url_is_an_error_naming_its_line(tmp_path):
    (tmp_path / "dispatch.toml").write_text('site_name = "X"\nsubscribe_url = "lists.example.org/join"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    assert str(info.value) == (f"{tmp_path / 'dispatch.toml'}:2: subscribe_url must be an absolute http(s) URL, "
                               "not 'lists.example.org/join'")


def test_every_page_has_a_manifest_line_and_none_holds_a_nul(archive):
    folder, out = archive
    _build(folder, out, jobs=2)
    manifest = dict(reversed(line.split("  ", 1)) for line in (out / ".dispatch-manifest").read_text().splitlines())
    for rel, data in _snapshot(out).items():
        if rel == ".dispatch-manifest":
            continue
        assert manifest[rel] == hashlib.sha256(data).hexdigest(), rel
        assert b"\x00" not in data, rel


def test_an_edited_labels_toml_renders_the_pages_again(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1))})
    _build(folder, tmp_path / "o")
    labels = tmp_path / "layouts" / "default" / "labels.toml"
    labels.parent.mkdir(parents=True)
    labels.write_text('[en]\nall_issues = "Every issue"\n')
    report = _build(folder, tmp_path / "o")
    assert report.parsed == 1 and "Every issue" in (tmp_path / "o" / "alpha" / "index.html").read_text()


# --- every page is valid HTML (the Nu Html Checker, the W3C's validator) ------------------

VNU_JAR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dispatch-test" / "vnu" / \
    "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def test_every_page_is_valid_html(tmp_path):
    """The example issue (every component), a Hebrew one, a French one, tags, a draft, the
    Buttondown subscribe form: every page the build writes passes the Nu Html Checker with
    neither an error nor a warning."""
    java = shutil.which("java")
    if not java or not VNU_JAR.is_file():
        pytest.skip(f"the Nu Html Checker needs java and {VNU_JAR} (.ci/run installs the npm package vnu-jar)")
    from test_browser_email import RTL

    from conftest import EXAMPLE

    folder = write_archive(tmp_path, {
        "a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1), tags=("news", "C++")),
        "b.md": _french("Bêta", "2026-05-02 07:00", 2, ("news",)),
        "c.md": issue_text("Draft", "2026-05-03 07:00", id=ID.format(3), draft=True),
        "rtl.md": RTL,
    }, extra='[publish.news]\nkind = "buttondown"\nendpoint = "https://api.buttondown.com/"\naccount = "tw"')
    shutil.copy(EXAMPLE, folder / EXAMPLE.name)
    out = tmp_path / "o"
    _build(folder, out)
    pages = sorted(str(p) for p in out.rglob("*.html"))
    assert len(pages) >= 10
    done = subprocess.run([java, "-jar", str(VNU_JAR), "--format", "json", "--also-check-css", *pages],
                          capture_output=True, text=True, timeout=240)
    messages = json.loads(done.stderr)["messages"]
    problems = [f"{m.get('url', '')}:{m.get('lastLine', '')}: {m.get('type')}/{m.get('subType', '')}: "
                f"{m.get('message')}" for m in messages]
    assert problems == []


def test_the_slug_tags_is_the_archives_own(tmp_path):
    folder = write_archive(tmp_path, {"a.md": issue_text("Alpha", "2026-05-01 07:00", id=ID.format(1), slug="tags")})
    with pytest.raises(Exception) as info:
        _build(folder, tmp_path / "o")
    assert str(info.value) == (f"{folder / 'a.md'}:5: slug 'tags' is already used by the archive's tag pages "
                               "(tags/index.html, tags/<tag>/); give this issue its own slug")
