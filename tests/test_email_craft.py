"""The email, round two (issue 12): image sizes, retina copies, the delivered-size estimate,
languages (Babel dates, labels per language), branding and the byte budget."""

from __future__ import annotations

import dataclasses
import re
import textwrap
from pathlib import Path

import lxml.html
import pytest
from PIL import Image as PILImage

from dispatch.channels.email import GMAIL_CLIP_BYTES, delivered_size, render_email
from dispatch.config import BrandSettings, Settings, load_settings
from dispatch.errors import ConfigError
from dispatch.i18n import labels, long_date, text_direction
from dispatch.images import COLUMN_PX, RETINA_PX, retina_copy, retina_name
from dispatch.parse import parse_issue
from dispatch.platforms import PLATFORMS
from dispatch.render import render_issue

from conftest import EXAMPLE, corpus_files

SITE = Settings(site_name="Craft", base_url="https://news.example.org/", email="desk@news.example.org",
                unsubscribe_url="https://news.example.org/unsubscribe")


def issue_at(tmp_path: Path, body: str, front: str = "", settings: Settings = SITE):
    path = tmp_path / "issue.md"
    path.write_text("---\ntitle: Craft\ndate: 2026-06-01 08:00\nslug: craft\n" + front + "---\n\n"
                    + textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    # the issue's folder is its newsletter folder: images are read only from inside it
    return parse_issue(path, dataclasses.replace(settings, root=tmp_path))


def png(path: Path, width: int, height: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.new("RGB", (width, height), (30, 90, 160)).save(path)
    return path


def imgs(html: str) -> dict[str, tuple[str | None, str | None]]:
    doc = lxml.html.fromstring(html)
    return {i.get("alt"): (i.get("width"), i.get("height")) for i in doc.iter("img")}


# --- image sizes ---------------------------------------------------------------------------

def test_every_image_gets_width_and_height_fitted_to_the_column(tmp_path):
    png(tmp_path / "img" / "wide.png", 1600, 900)
    png(tmp_path / "img" / "small.png", 120, 80)
    issue = issue_at(tmp_path, """
        ![Wide local](img/wide.png) ![Small local](img/small.png)

        ![Remote](https://cdn.example.org/chart.png)

        <img src="https://cdn.example.org/a.png" alt="Remote with size" width="1000" height="500">

        <img src="https://cdn.example.org/b.png" alt="Remote narrow" width="300px">

        <img src="img/wide.png" alt="Local, width given" width="400">

        ## In a box {.bottom_line}

        ![Boxed](img/wide.png)
        """)
    found = imgs(render_email(issue, SITE).html)
    assert found["Wide local"] == (str(COLUMN_PX), str(round(900 * COLUMN_PX / 1600)))  # Pillow's size, capped
    assert found["Small local"] == ("120", "80")  # never enlarged
    assert found["Remote"] == (str(SITE.remote_image_width), None)  # the documented default
    assert found["Remote with size"] == ("544", "272")  # its attributes, capped in proportion
    assert found["Remote narrow"] == ("300", None)
    assert found["Local, width given"] == ("400", "225")  # the height from the real proportion
    assert found["Boxed"] == ("504", "284")  # the Bottom Line's narrower column


def test_remote_default_width_is_a_setting(tmp_path):
    settings = dataclasses.replace(SITE, remote_image_width=300)
    issue = issue_at(tmp_path, "![Remote](https://cdn.example.org/chart.png)", settings=settings)
    assert imgs(render_email(issue, settings).html)["Remote"] == ("300", None)


def test_retina_copies_are_made_and_originals_kept(tmp_path):
    original = png(tmp_path / "img" / "photo.png", 2400, 1200)
    before = original.read_bytes()
    settings = dataclasses.replace(SITE, retina_images=True, root=tmp_path)
    source = tmp_path / "issue.md"
    source.write_text("---\ntitle: Craft\ndate: 2026-06-01 08:00\nslug: craft\n---\n\n"
                      "![Photo](img/photo.png)\n", encoding="utf-8")
    report = render_issue(source, tmp_path / "out", settings)
    html = (report.folder / "email.html").read_text(encoding="utf-8")
    assert 'src="https://news.example.org/craft/img/photo-1088w.png"' in html
    assert imgs(html)["Photo"] == ("544", "272")  # shown at the column, sharp on a 2x screen
    with PILImage.open(report.folder / "img" / "photo-1088w.png") as copy:
        assert copy.size == (RETINA_PX, 544)
    assert original.read_bytes() == before  # the original is never changed…
    assert (report.folder / "img" / "photo.png").read_bytes() == before  # …and still published
    assert retina_name("img/a.b/photo.jpeg?v=2") == "img/a.b/photo-1088w.jpeg"
    assert retina_copy(png(tmp_path / "small.png", 600, 300)) is None  # not wider than 2x: left alone
    off = render_email(parse_issue(source, SITE), SITE).html
    assert "photo-1088w" not in off


# --- the delivered size -------------------------------------------------------------------

def test_delivered_size_counts_link_rewriting_per_platform():
    links = "".join(f'<a href="https://example.org/{n}">x</a>' for n in range(100))
    html = f"<p>{links}<a href=\"mailto:a@b.nz\">m</a><a href=\"#top\">t</a></p>"
    base = len(html.encode())
    for name, preset in PLATFORMS.items():
        href = len("https://example.org/10")
        grown = delivered_size(html, preset) - base - preset.open_pixel_bytes
        # each web link grows to the platform's tracked length; mailto: and #anchors are not tracked
        assert abs(grown - 100 * (preset.click_url_chars - href)) <= 100, name
    assert delivered_size(html, PLATFORMS["listmonk"]) > delivered_size(html, PLATFORMS["ghost"])


def test_biggest_corpus_issue_before_and_after(tmp_path):
    """The largest real issue (This Week in Rust, 369 links): under the clip even once click
    tracking has rewritten every link (the old layout was ≈ 95.9 KB, ≈ 117 KB delivered)."""
    files = corpus_files()
    if not files:
        pytest.skip("../shared/corpus not found")
    biggest = max(files, key=lambda p: p.stat().st_size)
    report = render_issue(biggest, tmp_path, Settings(root=tmp_path, unsubscribe_url="https://example.org/u"),
                          allow_clip=True)
    html = (report.folder / "email.html").read_text(encoding="utf-8")
    assert len(re.findall(r"<a\s", html)) > 300
    assert len(html.encode()) < 80 * 1024
    assert delivered_size(html, PLATFORMS["generic"]) < GMAIL_CLIP_BYTES
    assert html.count("<!--[if mso | IE]>") <= 8  # the old layout wrote 82
    assert "<li style" not in html  # list items are styled once, in the head


# --- languages ----------------------------------------------------------------------------

@pytest.mark.parametrize("lang, expected", [
    ("en-NZ", "1 June 2026"), ("en", "June 1, 2026"), ("zh-CN", "2026年6月1日"), ("ja", "2026年6月1日"),
    ("he", "1 ביוני 2026"), ("fr", "1 juin 2026"), ("mi", "1 Hune 2026"), ("xx-unknown", "June 1, 2026"),
])
def test_dates_follow_lang(lang, expected):
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    when = datetime(2026, 5, 31, 20, 0, tzinfo=timezone.utc)  # 1 June in Auckland
    assert long_date(when, ZoneInfo("Pacific/Auckland"), lang) == expected


@pytest.mark.parametrize("lang, direction", [
    ("he", "rtl"), ("ar-EG", "rtl"), ("fa", "rtl"), ("az-Arab", "rtl"), ("ku-Latn", "ltr"), ("en-NZ", "ltr"),
    ("zh-Hant-TW", "ltr"), ("", "ltr"),
])
def test_text_direction(lang, direction):
    assert text_direction(lang) == direction


def test_labels_per_language_and_overrides(tmp_path):
    root = tmp_path
    assert labels(root, "default", "zh-CN")["unsubscribe"] == "退订"
    assert labels(root, "default", "pt-BR")["unsubscribe"] == "Unsubscribe"  # no Portuguese: English
    (root / "layouts" / "default").mkdir(parents=True)
    (root / "layouts" / "default" / "labels.toml").write_text('[en]\nview_online = "Read it on the web"\n'
                                                              '[pt]\nunsubscribe = "Cancelar inscrição"\n',
                                                              encoding="utf-8")
    mine = labels(root, "default", "pt-BR")
    assert mine["unsubscribe"] == "Cancelar inscrição" and mine["view_online"] == "Read it on the web"
    assert mine["links"] == "Links"  # a key the newsletter's file leaves out comes from the layout's
    assert labels(root, "default", "en", {"view_online": "Online"})["view_online"] == "Online"
    (root / "dispatch.toml").write_text('[labels]\nunsubscribe = "Leave"\n', encoding="utf-8")
    settings = dataclasses.replace(load_settings(root), base_url="https://n.example/")
    issue = issue_at(tmp_path, "Hello.", settings=settings)
    html = render_email(issue, dataclasses.replace(settings, unsubscribe_url="https://n.example/u")).html
    assert ">Leave</a>" in html and ">Read it on the web</a>" in html
    # an edited labels.toml is read again (watch, preview: one process)
    (root / "layouts" / "default" / "labels.toml").write_text('[en]\nunsubscrbe = "x"\n', encoding="utf-8")
    with pytest.raises(Exception, match="unknown label 'unsubscrbe'"):
        labels(root, "default", "en")


# --- branding -----------------------------------------------------------------------------

def test_brand_logo_colour_header_image_and_footer_text(tmp_path):
    png(tmp_path / "brand" / "logo.png", 480, 120)
    png(tmp_path / "brand" / "header.png", 1200, 400)
    brand = BrandSettings(logo="brand/logo.png", logo_width=160, logo_alt="Craft logo", color="#b91c1c",
                          header_image="brand/header.png", footer_text="You get this because you asked for it.")
    settings = dataclasses.replace(SITE, brand=brand, root=tmp_path)
    issue = issue_at(tmp_path, "Hello [link](https://example.org).\n\n## Story\nText.", settings=settings)
    html = render_email(issue, settings).html
    found = imgs(html)
    assert found["Craft logo"] == ("160", "40")  # its width, height from the file's proportion
    header = lxml.html.fromstring(html).xpath("//img[contains(@src, 'header.png')]")[0]
    assert header.get("src") == "https://news.example.org/brand/header.png" and header.get("width") == "600"
    assert "color:#b91c1c" in html.replace(" ", "")  # the accent
    assert "You get this because you asked for it." in html
    # the issue's own cover image wins over the brand's header image
    cover = issue_at(tmp_path, "Hello.", front="image: https://cdn.example.org/cover.jpg\n", settings=settings)
    assert "cover.jpg" in render_email(cover, settings).html and "header.png" not in render_email(cover, settings).html
    # the web page gets them too
    from dispatch.channels.entry import content_html
    from dispatch.channels.web import render_page

    page = render_page(issue, settings, content_html(issue, settings), [], "style.css")
    assert 'alt="Craft logo"' in page and "brand/header.png" in page and "asked for it" in page


def test_default_layout_without_brand_settings(tmp_path):
    html = render_email(issue_at(tmp_path, "Hello."), SITE).html
    assert "<img" not in html and 'class="site-name"' in html


def test_brand_colour_must_be_a_colour(tmp_path):
    (tmp_path / "dispatch.toml").write_text('[brand]\ncolor = "red"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path)
    assert err.value.line == 2 and "#1d4ed8" in err.value.message


# --- the smaller things ----------------------------------------------------------------------

def test_outlook_and_accessibility_details(settings):
    html = render_email(parse_issue(EXAMPLE, settings), settings).html
    doc = lxml.html.fromstring(html)
    label = doc.xpath("//*[contains(@class, 'callout-label')]")[0]
    assert label.tag == "h2"  # the Bottom Line's label is a heading
    assert all(th.get("scope") == "col" for th in doc.xpath("//tr[@class='numbers-head']/th"))
    assert doc.xpath("//div[@class='preheader']")[0].get("aria-hidden") == "true"
    assert "a[x-apple-data-detectors]" in html
    assert "mso-line-height-rule: exactly" in html
    assert not re.search(r"line-height:\s*1\.\d", html.split("<body", 1)[1])  # px line heights in the body
    for ul in doc.xpath("//div[@class='card']//ul"):  # Word ignores padding on lists: margin indents them
        assert "margin:0014px22px" in ul.get("style").replace(" ", "") and "padding:0" in ul.get("style").replace(" ", "")
    badge = doc.xpath("//span[@class='faq-mark']")[0].get("style")
    assert "mso-border-alt" in badge  # Word ignores the badge's padding: a border of its colour pads it


def test_seed_briefing_email_stays_under_40_kb(tmp_path):
    """The seed (the plain-text briefing the example grew from) as its email: ≤ 40 KB (the old
    layout, one mj-section per story, made 44,882 bytes of it)."""
    from conftest import shared_path

    seeds = sorted(shared_path("seeds").glob("*.txt"))
    if not seeds:
        pytest.skip("no seed in ../shared/seeds")
    source = tmp_path / "seed.txt"
    source.write_bytes(seeds[0].read_bytes())
    report = render_issue(source, tmp_path / "out", Settings(root=tmp_path, unsubscribe_url="https://example.org/u"))
    html = (report.folder / "email.html").read_text(encoding="utf-8")
    assert len(html.encode()) <= 40 * 1024
    assert delivered_size(html, PLATFORMS["mailchimp"]) <= 40 * 1024
    assert html.count("<!--[if mso | IE]>") == 4
