"""The web archive: one page per issue (head metadata, JSON-LD, components) and the index;
and a real browser (headless Chromium) looking at both over loopback HTTP."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import threading
import urllib.request
from pathlib import Path

import lxml.etree
import lxml.html
import pytest

from dispatch.archive import build_archive, parse_now
from dispatch.config import load_settings

from conftest import EXAMPLE
from test_build_support import issue_text, urls_in_html, write_archive

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-06-01T00:00:00Z"
EXAMPLE_CONFIG = (ROOT / "dispatch.toml").read_text(encoding="utf-8")


def _example_archive(root: Path, base: str) -> Path:
    """The example issue plus a small second one, under ``base``."""
    folder = root / "issues"
    folder.mkdir(parents=True)
    shutil.copy(EXAMPLE, folder / EXAMPLE.name)
    (folder / "2026-05-15-earlier.md").write_text(issue_text(
        "An earlier briefing", "2026-05-15 07:00", id="urn:uuid:00000000-0000-4000-8000-0000000000e1",
        tags=("NZ",)), encoding="utf-8")
    (root / "dispatch.toml").write_text(
        EXAMPLE_CONFIG.replace('base_url = "https://briefing.example.nz/"', f'base_url = "{base}"'), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    folder = _example_archive(root, "https://briefing.example.nz/")
    out = root / "public"
    build_archive(folder, out, load_settings(folder), parse_now(NOW))
    page = (out / "moonshot-moment" / "index.html").read_text(encoding="utf-8")
    return out, page, lxml.html.document_fromstring(page)


def _jsonld(doc) -> dict[str, dict]:
    blocks = [json.loads(s.text) for s in doc.xpath('//script[@type="application/ld+json"]')]
    return {b["@type"]: b for b in blocks}


def test_faq_as_faqpage_jsonld(site):
    _, _, doc = site
    faq = _jsonld(doc)["FAQPage"]
    assert faq["@context"] == "https://schema.org"
    assert [q["name"] for q in faq["mainEntity"]] == [
        "What does this mean for NZ?", "What changed?", "What should I do?"]
    first = faq["mainEntity"][0]["acceptedAnswer"]
    assert first["@type"] == "Answer"
    assert first["text"].startswith("<p>It shows open-source AI can earn serious money at scale")
    article = _jsonld(doc)["NewsArticle"]
    assert article["headline"] == "The Moonshot Moment"
    assert article["datePublished"] == "2026-05-22T07:00:00+12:00"
    assert article["identifier"] == "tag:briefing.example.nz,2026-05-22:moonshot-moment"


def test_head_canonical_open_graph_twitter_alternates(site):
    _, _, doc = site
    permalink = "https://briefing.example.nz/moonshot-moment/"
    assert doc.xpath('//link[@rel="canonical"]/@href') == [permalink]
    meta = {m.get("property") or m.get("name"): m.get("content") for m in doc.xpath("//meta[@content]")}
    assert meta["og:type"] == "article"
    assert meta["og:title"] == meta["twitter:title"] == "The Moonshot Moment"
    assert meta["og:url"] == permalink
    assert meta["og:site_name"] == "The Aotearoa AI Briefing"
    assert meta["og:locale"] == "en_NZ"
    assert meta["og:description"].startswith("Moonshot AI's $2B raise at a $20B valuation")
    assert meta["twitter:card"] == "summary"
    alternates = [(l.get("type"), l.get("href")) for l in doc.xpath('//link[@rel="alternate"]')]
    assert alternates[:3] == [
        ("application/rss+xml", "https://briefing.example.nz/feed.xml"),
        ("application/atom+xml", "https://briefing.example.nz/atom.xml"),
        ("application/feed+json", "https://briefing.example.nz/feed.json"),
    ]
    assert ("application/atom+xml", "https://briefing.example.nz/tags/open-source-ai/atom.xml") in alternates
    assert doc.xpath("//title")[0].text == "The Moonshot Moment · The Aotearoa AI Briefing"


def test_page_has_every_component_of_the_email(site):
    _, _, doc = site
    for css in ("lead", "bottom-line", "faq", "numbers", "lens", "sources"):
        assert doc.find_class(css), css
    assert [r.text for r in doc.xpath('//table[@class="numbers-table"]//th[@scope="row"]')][:3] == [
        "Funding", "Valuation", "Monthly Revenue"]
    assert doc.xpath('//section[@class="lens"]/@data-region') == ["NZ"]
    assert doc.xpath('//p[@class="dateline"]/time/text()') == ["22 May 2026"]


def test_index_lists_newest_first(site):
    out, _, _ = site
    doc = lxml.html.document_fromstring((out / "index.html").read_text(encoding="utf-8"))
    assert doc.xpath('//a[@class="archive-title"]/text()') == ["The Moonshot Moment", "An earlier briefing"]
    assert doc.xpath('//a[@class="archive-title"]/@href') == [
        "https://briefing.example.nz/moonshot-moment/", "https://briefing.example.nz/an-earlier-briefing/"]


def test_script_json_cannot_close_its_element(tmp_path):
    from dispatch.channels.web import script_json

    text = str(script_json({"a": "</script><!-- & -->"}))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><!-- & -->"}

    body = "Lead.\n\n## FAQ\n\nQ: Is 1 < 2 & 3 > 2 in </script>? Yes: <b>bold</b> & 2 > 1.\n"
    folder = write_archive(tmp_path, {"x.md": issue_text("X", "2026-05-01", slug="x", body=body)})
    build_archive(folder, tmp_path / "o", load_settings(folder), parse_now(NOW))
    page = (tmp_path / "o" / "x" / "index.html").read_text()
    doc = lxml.html.document_fromstring(page)
    scripts = doc.xpath("//head/script")
    assert [s.get("type") for s in scripts] == ["application/ld+json", "application/ld+json"]
    faq = json.loads(scripts[1].text)
    question = faq["mainEntity"][0]
    assert question["name"].startswith("Is 1 < 2 & 3 > 2 in")
    assert question["acceptedAnswer"]["text"] == "<p>Yes: <b>bold</b> &amp; 2 &gt; 1.</p>"
    head = page.split("</head>")[0]
    assert "\\u003cb\\u003ebold\\u003c/b\\u003e \\u0026amp; 2" in head


# --- a real browser ------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--force-device-scale-factor=1"]

PROBE = """<!doctype html><meta charset="utf-8"><pre id="result"></pre>
<iframe id="f" src="%s" style="width:1000px;height:3000px"></iframe>
<script>
document.getElementById("f").onload = function () {
  var d = this.contentDocument, w = this.contentWindow, out = {components: {}};
  %s.forEach(function (sel) {
    var el = d.querySelector(sel);
    var r = el ? el.getBoundingClientRect() : null;
    out.components[sel] = el ? {h: Math.round(r.height), w: Math.round(r.width),
      display: w.getComputedStyle(el).display, text: el.textContent.trim().slice(0, 40)} : null;
  });
  var bl = d.querySelector(".bottom-line");
  out.bottomLineBackground = bl ? w.getComputedStyle(bl).backgroundColor : null;
  out.stylesheetRules = d.styleSheets.length ? d.styleSheets[0].cssRules.length : 0;
  out.images = Array.prototype.map.call(d.images, function (i) { return i.naturalWidth; });
  out.jsonld = Array.prototype.map.call(d.querySelectorAll('script[type="application/ld+json"]'),
    function (s) { return JSON.parse(s.textContent)["@type"]; });
  document.getElementById("result").textContent = JSON.stringify(out);
};
</script>"""

COMPONENTS = ["h1.title", ".dateline", ".lead", ".bottom-line", ".faq dt", ".numbers-table", ".lens",
              ".sources li", ".site-footer"]
INDEX_COMPONENTS = ["h1.title", ".archive-item", ".archive-title", ".archive-summary", ".site-footer"]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The example archive built with a loopback base URL and served over HTTP."""
    if not CHROMIUM:
        pytest.skip("headless Chromium not installed (apt-get install chromium)")
    root = tmp_path_factory.mktemp("served")
    out = root / "public"
    out.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    folder = _example_archive(root, base)
    build_archive(folder, out, load_settings(folder), parse_now(NOW))
    yield base, out, root
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


def _chromium(root: Path, *args: str) -> str:
    profile = root / "chromium-profile"
    proc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_browser_renders_every_component_and_links_resolve(served, artifacts):
    base, out, root = served
    page_url = base + "moonshot-moment/"
    (out / "_probe.html").write_text(PROBE % (page_url, json.dumps(COMPONENTS)), encoding="utf-8")
    dom = _chromium(root, "--dump-dom", base + "_probe.html")
    result = json.loads(lxml.html.document_fromstring(dom).get_element_by_id("result").text)
    for sel in COMPONENTS:
        box = result["components"][sel]
        assert box is not None, sel
        assert box["h"] > 10 and box["w"] > 100 and box["display"] != "none", (sel, box)
    assert result["components"][".bottom-line"]["text"].startswith("🔍 The Bottom Line")
    assert result["components"][".faq dt"]["text"] == "What does this mean for NZ?"
    assert result["bottomLineBackground"] == "rgb(255, 244, 219)"  # the stylesheet resolved and applied
    assert result["stylesheetRules"] > 20
    assert result["jsonld"] == ["NewsArticle", "FAQPage"]

    (out / "_probe_index.html").write_text(PROBE % (base, json.dumps(INDEX_COMPONENTS)), encoding="utf-8")
    dom = _chromium(root, "--dump-dom", base + "_probe_index.html")
    result = json.loads(lxml.html.document_fromstring(dom).get_element_by_id("result").text)
    for sel in INDEX_COMPONENTS:
        box = result["components"][sel]
        assert box is not None and box["h"] > 10 and box["display"] != "none", (sel, box)
    assert result["components"][".archive-title"]["text"] == "The Moonshot Moment"

    # a crawl from the index (and the 404 page): every local link and resource of every page
    # answers 200 over loopback, every page the build wrote is reached, and so is every sitemap URL
    checked, pages, todo = set(), set(), [base, base + "404.html"]
    while todo:
        url = todo.pop(0)
        if url in checked:
            continue
        checked.add(url)
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert resp.status == 200, url
            body = resp.read()
            html = resp.headers.get_content_type() == "text/html"
        if html:
            pages.add(url)
            todo += [u.split("#")[0] for u in urls_in_html(body.decode("utf-8")) if u.startswith(base)]
    written = {base + p.relative_to(out).as_posix().removesuffix("index.html")
               for p in out.rglob("*.html") if not p.name.startswith("_probe")}
    assert pages == written, sorted(pages ^ written)
    assert {base, base + "feed.xml", base + "atom.xml", base + "feed.json", base + "style.css",
            page_url, base + "an-earlier-briefing/", base + "tags/nz/atom.xml", base + "tags/nz/",
            base + "tags/"} <= checked
    sitemap = lxml.etree.fromstring((out / "sitemap.xml").read_bytes())
    locs = set(sitemap.xpath("//s:loc/text()", namespaces={"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}))
    assert locs == pages - {base + "404.html"}
    # previous/next: the two issues link to each other, and only to each other
    doc = lxml.html.document_fromstring((out / "moonshot-moment" / "index.html").read_bytes())
    assert doc.xpath('//a[@rel="prev"]/@href') == [base + "an-earlier-briefing/"] and not doc.xpath('//a[@rel="next"]')

    for name, url, size in (("web-issue.png", page_url, "1000,4600"), ("web-index.png", base, "1000,900"),
                            ("web-issue-narrow.png", page_url, "420,2400"), ("web-tag.png", base + "tags/nz/", "1000,900"),
                            ("web-404.png", base + "404.html", "1000,900")):
        shot = artifacts / name
        shot.unlink(missing_ok=True)
        _chromium(root, f"--screenshot={shot}", f"--window-size={size}", url)
        assert shot.stat().st_size > 10_000, name
