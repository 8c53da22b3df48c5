"""The email channel, inbox-grade: one test per pitfall in notes/email.md, platform merge tags,
dark mode, Outlook/Gmail structure, preheader, link parameters, size against Gmail's clip."""

from __future__ import annotations

import dataclasses
import logging
import re
import socket
import textwrap
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner

from dispatch.channels.email import (
    GMAIL_CLIP_BYTES, PREHEADER_CHARS, PREHEADER_FILLER, add_params, compile_mjml, delivered_size, preheader,
    render_email,
)
from dispatch.cli import main
from dispatch.config import LinkSettings, Settings, load_settings
from dispatch.errors import ConfigError, RenderError
from dispatch.parse import parse_issue
from dispatch.platforms import PLATFORMS
from dispatch.render import render_issue

from conftest import EXAMPLE, corpus_files

SITE = Settings(site_name="Test Briefing", base_url="https://news.example.org/", email="desk@news.example.org")


def write(tmp_path: Path, body: str, front: str = "", title: str = "Test Issue") -> Path:
    path = tmp_path / "issue.md"
    head = f'---\ntitle: "{title}"\ndate: 2026-06-01 08:00\nslug: test-issue\n' + front + "---\n\n"
    path.write_text(head + textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


def email_of(tmp_path: Path, body: str, front: str = "", settings: Settings = SITE, title: str = "Test Issue", **kw):
    issue = parse_issue(write(tmp_path, body, front, title), settings)
    return render_email(issue, settings, **kw)


@pytest.fixture(scope="module")
def example_html(settings):
    return render_email(parse_issue(EXAMPLE, settings), settings).html


# --- the pitfalls of notes/email.md, one test each --------------------------------------

def test_pitfall_doctype_kept(example_html):
    # premailer drops a lowercase doctype; it must be the first line, once
    assert example_html.startswith("<!doctype html>\n<html ")
    assert example_html.lower().count("<!doctype") == 1


def test_pitfall_important_kept_in_media_queries(example_html):
    # strip_important=True would remove these and collapse columns on desktop
    assert "@media only screen and (min-width:480px) { .mj-column-per-100 { width:100% !important;" in example_html
    assert ".masthead h1.title { font-size: 26px !important; line-height: 31px !important; }" in example_html


def test_pitfall_dark_mode_rules_kept(example_html):
    # keep_style_tags=False deletes rules matching nothing: [data-ogsc] never matches at render time
    assert "@media (prefers-color-scheme: dark) {" in example_html
    assert "[data-ogsc] .card a { color: #8ab4f8 !important; }" in example_html
    assert "[data-ogsb] .card td.callout-box { background-color: #3a2c0c !important;" in example_html
    assert '<meta name="color-scheme" content="light dark">' in example_html
    assert '<meta name="supported-color-schemes" content="light dark">' in example_html
    assert ":root { color-scheme: light dark;" in example_html
    blocks = re.findall(r"<style[^>]*>(.*?)</style>", example_html, re.S)
    dark = [b for b in blocks if "prefers-color-scheme" in b]
    phone = [b for b in blocks if "max-width: 480px" in b]
    assert len(dark) == 1 and len(phone) == 1 and dark[0] is not phone[0]
    assert "[data-ogsc]" in dark[0] and "[data-ogsc]" not in phone[0]


@pytest.mark.parametrize(
    "platform, unsubscribe, view_online",
    [
        ("mailchimp", "*|UNSUB|*", "*|ARCHIVE|*"),
        ("buttondown", "{{ unsubscribe_url }}", "{{ email_url }}"),
        ("listmonk", "{{ UnsubscribeURL }}", "{{ MessageURL }}"),
        ("ghost", "%%{unsubscribe_url}%%", None),
    ],
)
def test_pitfall_merge_tags_exact_per_platform(settings, platform, unsubscribe, view_online):
    # base_url rewriting and lxml's URL-escaping would give https://site/*|UNSUB|* or {{%20…%20}}
    linked = dataclasses.replace(settings, links=LinkSettings({"utm_source": "briefing"}))
    result = render_email(parse_issue(EXAMPLE, linked), linked, platform)
    # Ghost's HTML is the post body only (Ghost adds its footer); its document keeps the tag
    html = result.document if platform == "ghost" else result.html
    assert f'<a href="{unsubscribe}" class="footer-link" style="color:#5b6675">Unsubscribe</a>' in html
    assert html.count(unsubscribe) == 1
    if view_online:
        assert f'<a href="{view_online}" class="view-online">View online</a>' in html
        assert html.count(view_online) == 2  # dateline and footer
    else:  # Ghost has no view-online tag: the permalink, with the link parameters
        assert 'href="https://briefing.example.nz/moonshot-moment/?utm_source=briefing" class="view-online"' in html
    assert "%20" not in html and "dispatchmergetag" not in html
    assert result.unsubscribe == unsubscribe


def test_pitfall_no_network(monkeypatch, tmp_path):
    # fonts=None would add a Google Fonts <link>; premailer would then try to fetch it
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    result = email_of(tmp_path, """
        Lead with a [link](https://example.org/page).

        ## Story
        <link rel="stylesheet" href="https://example.org/remote.css">
        Text.
        """)
    assert "fonts.googleapis" not in result.html
    assert 'href="https://example.org/page"' in result.html


def test_pitfall_no_log_noise(capfd, caplog, tmp_path):
    # cssutils prints ~12 WARNING lines per run for mso-* properties unless silenced
    caplog.set_level(logging.DEBUG)
    html = compile_mjml(
        "<mjml><mj-body><mj-section><mj-column><mj-text><p>x</p></mj-text></mj-column></mj-section></mj-body></mjml>",
        "p { mso-line-height-rule: exactly; mso-ansi-font-size: 12pt; color: #123456; }",
    )
    assert "mso-line-height-rule:exactly" in html and "color:#123456" in html
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_pitfall_nested_media_query_does_not_crash():
    # premailer raises AttributeError on a @media nested in @media when it parses a <style>;
    # the layout's head CSS is kept verbatim (data-premailer="ignore") so it never sees it
    nested = "@media (prefers-color-scheme: dark) { @media (max-width: 480px) { p.x { color: #eeeeee !important; } } }"
    source = (f"<mjml><mj-head><mj-style>{nested}</mj-style></mj-head><mj-body><mj-section><mj-column>"
              '<mj-text><p class="x">x</p></mj-text></mj-column></mj-section></mj-body></mjml>')
    html = compile_mjml(source, "p.x { color: #111111; } " + nested)
    assert "@media (max-width: 480px) { p.x { color: #eeeeee !important; }" in html
    assert '<p class="x" style="color:#111">' in html  # the plain rule is still inlined


def test_pitfall_newline_between_inline_elements_is_a_space(tmp_path):
    # MRML drops "\n" between two inline elements: "<b>Bold</b>\n<a>" → "Boldlink"
    result = email_of(tmp_path, """
        **Bold**
        [link](https://example.org/)
        *slanted*
        `code`
        """)
    text = lxml.html.fromstring(result.html).text_content()
    assert "Bold link slanted code" in text
    assert "</strong> <a " in result.html


def test_pitfall_zwj_emoji_macrons_and_cjk_in_attributes(tmp_path):
    # MRML writes attribute values with Rust debug escaping: 👩‍💻 → "👩\u{200d}💻"
    result = email_of(
        tmp_path,
        """
        ![👩‍💻 Kaiwhakawhanake at work](https://example.org/dev.png "Tēnā koe 你好")

        ## 👩‍💻 Story
        [Māori news](https://example.org/ "Ngā kōrero 新闻")
        """,
        title="Kia ora 👩‍💻 Tēnā koe",
    )
    html = result.html
    assert "\\u{" not in html
    doc = lxml.html.fromstring(html)
    img = doc.xpath("//img")[0]
    assert img.get("alt") == "👩\u200d💻 Kaiwhakawhanake at work"
    assert img.get("title") == "Tēnā koe 你好"
    assert doc.xpath("//a[text()='Māori news']")[0].get("title") == "Ngā kōrero 新闻"
    assert doc.xpath("//div[@role='article']")[0].get("aria-label") == "Kia ora 👩\u200d💻 Tēnā koe"
    assert doc.findtext(".//title") == "Kia ora 👩\u200d💻 Tēnā koe"


# --- platforms --------------------------------------------------------------------------

def test_every_platform_has_a_form_and_tags_match_notes():
    assert set(PLATFORMS) == {"generic", "mailchimp", "buttondown", "listmonk", "ghost", "substack"}
    assert {p.form for p in PLATFORMS.values()} == {"document", "fragment", "content"}
    assert PLATFORMS["mailchimp"].view_online == "*|ARCHIVE|*"
    from dispatch import cli

    assert cli._PLATFORMS == tuple(PLATFORMS)  # the CLI's --platform choices, without importing the channel


def test_ghost_gets_the_body_only_inside_an_html_card(settings):
    issue = parse_issue(EXAMPLE, settings)
    result = render_email(issue, settings, "ghost")
    html = result.html
    # Ghost's newsletter template adds the title, footer and unsubscribe link: none of ours
    assert html.startswith("<!--kg-card-begin: html-->\n<div class=\"dispatch-post\">")
    assert html.endswith("<!--kg-card-end: html-->\n")
    for absent in ("<html", "<head", "<body", "<!doctype", 'class="preheader"', "<!--[if", 'width="600"',
                   "#eef1f4", "site-name", issue.meta.title, "Unsubscribe", "%%{unsubscribe_url}%%", "View online"):
        assert absent not in html, absent
    doc = lxml.html.fragment_fromstring(html, create_parent="div")
    aside = doc.xpath("//aside[@class='bottom-line']")[0]
    assert "background-color:#fff4db" in aside.get("style")  # the components keep their look inline
    assert aside.xpath("h2")[0].text_content() == issue.component("bottom_line").heading_text
    assert settings.postal_address in doc.xpath("//p[@class='postal-address']")[0].text_content()
    assert result.document.startswith("<!doctype html>")  # the .eml still gets a whole document
    assert "%%{unsubscribe_url}%%" in result.document


def test_substack_gets_clean_content(settings):
    result = render_email(parse_issue(EXAMPLE, settings), settings, "substack")
    html = result.html
    for absent in ("<table role", "<html", "<style", "style=", "<!--[if", "mj-column", "Unsubscribe"):
        assert absent not in html
    doc = lxml.html.fragment_fromstring(html, create_parent="div")
    # only what Substack's editor keeps (notes/email.md): no table, dl, aside, section, div
    kept = {"p", "h2", "h3", "ul", "ol", "li", "a", "strong", "em", "blockquote", "code", "pre", "img", "br",
            "div", "sup", "hr"}
    assert {el.tag for el in doc.iter()} <= kept, {el.tag for el in doc.iter()} - kept
    assert doc.xpath("//blockquote/p/strong")[0].text_content() == "🔍 The Bottom Line"
    assert "By the Numbers" in [h.text_content().split(" ", 1)[1] for h in doc.xpath("//h2")]
    numbers = parse_issue(EXAMPLE, settings).component("numbers").data
    items = [li.text_content() for li in doc.xpath("//ul")[0].iter("li")] if False else \
        [li.text_content() for li in doc.xpath("//li") if li.text_content().startswith(numbers.rows[0].metric)]
    assert items == [f"{numbers.rows[0].metric}: {numbers.rows[0].value}"]
    questions = parse_issue(EXAMPLE, settings).component("faq").data.entries
    assert [q.question for q in questions] == [h.text_content() for h in doc.xpath("//h3")][:len(questions)]


def test_generic_uses_unsubscribe_url_from_settings(tmp_path):
    settings = dataclasses.replace(SITE, unsubscribe_url="[unsubscribe]")
    html = email_of(tmp_path, "Hello.", settings=settings).html
    assert '<a href="[unsubscribe]" class="footer-link"' in html
    assert "Unsubscribe" not in email_of(tmp_path, "Hello.").html


def test_generic_without_unsubscribe_url_warns_naming_the_setting(tmp_path):
    from dispatch.diagnostics import issue_warnings

    def warned(settings=SITE, platform=None):
        issue = parse_issue(write(tmp_path, "Hello."), settings)
        email = render_email(issue, settings, platform)
        return [str(d) for d in issue_warnings(issue, settings, email=email) if d.code == "unsubscribe"]

    found = warned()
    assert len(found) == 1 and "set unsubscribe_url" in found[0]
    assert not warned(dataclasses.replace(SITE, unsubscribe_url="https://news.example.org/unsubscribe"))
    for name in ("mailchimp", "buttondown", "listmonk", "ghost", "substack"):  # the platform brings its own
        assert not warned(platform=name), name


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_postal_address_in_every_presets_footer(tmp_path, platform):
    address = "Aotearoa Briefing Ltd, PO Box 99, Wellington 6140"
    settings = dataclasses.replace(SITE, postal_address=address)
    result = email_of(tmp_path, "Hello.\n\n## Story\nText.", settings=settings, platform=platform)
    doc = lxml.html.fragment_fromstring(result.html, create_parent="div") if not result.html.startswith("<!doctype") \
        else lxml.html.fromstring(result.html)
    texts = [p.text_content() for p in doc.iter("p")]
    assert texts[-1] == address or texts[-2] == address  # at the end, by the unsubscribe link where there is one
    assert address not in email_of(tmp_path, "Hello.", platform=platform).html


def test_platform_from_dispatch_toml_and_cli_wins(tmp_path):
    (tmp_path / "dispatch.toml").write_text('platform = "buttondown"\nemail = "a@b.nz"\n', encoding="utf-8")
    path = write(tmp_path, "Hello.")
    settings = load_settings(tmp_path)
    assert settings.platform == "buttondown"
    assert "{{ unsubscribe_url }}" in render_email(parse_issue(path, settings), settings).html
    result = CliRunner().invoke(main, ["render", str(path), "--out", str(tmp_path / "out"), "--platform", "mailchimp"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "test-issue" / "email.html").read_text(encoding="utf-8")
    assert "*|UNSUB|*" in html and "unsubscribe_url" not in html
    text = (tmp_path / "out" / "test-issue" / "email.txt").read_text(encoding="utf-8")
    assert "*|UNSUB|*" in text  # the text part gets the same unsubscribe tag


def test_unknown_platform_in_config_names_the_line(tmp_path):
    (tmp_path / "dispatch.toml").write_text('site_name = "x"\nplatform = "mailchimps"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path)
    assert err.value.line == 2 and "mailchimps" in err.value.message and "mailchimp" in err.value.message


# --- Outlook, Gmail, accessibility -------------------------------------------------------

def test_outlook_conditionals_and_ghost_tables_kept(example_html, issue):
    assert "<!--[if mso]>\n<noscript>\n<xml>\n<o:OfficeDocumentSettings>" in example_html
    assert ("<!--[if mso]><style>body, table, td, th, p, div, li, h1, h2, h3, a { font-family: 'Segoe UI', Arial, "
            "sans-serif !important; mso-line-height-rule: exactly; }</style><![endif]-->") in example_html
    ghost = re.findall(r'<!--\[if mso \| IE\]><table [^>]*role="presentation"[^>]*width="600"', example_html)
    # one white card (one mj-section) holds every story: its Outlook table is written once
    assert len(ghost) == 1
    # adjacent conditional comments are merged: none ends where the next begins
    assert not re.search(r"<!\[endif\]-->\s*<!--\[if mso \| IE\]>", example_html)
    assert example_html.count("<!--[if mso | IE]>") == 4
    assert "max-width:600px" in example_html
    assert 'data-premailer' not in example_html


def test_lang_dir_and_presentation_roles(example_html, tmp_path):
    assert example_html.startswith('<!doctype html>\n<html lang="en-NZ" dir="ltr"')
    doc = lxml.html.fromstring(example_html)
    layout = [t for t in doc.iter("table") if not t.xpath("./tr/th|./tbody/tr/th|./thead/tr/th")]
    assert len(layout) >= 5  # the card, its column, the mj-text rows, the Bottom Line and Lens boxes
    assert all(t.get("role") == "presentation" for t in layout)
    rtl = email_of(tmp_path, "مرحبا", front="lang: ar\n").html
    assert '<html lang="ar" dir="rtl"' in rtl
    # MRML writes direction:ltr / text-align:left unless the sections and columns say otherwise
    assert "direction:ltr" not in rtl and "text-align:left" not in rtl
    assert "direction:rtl" in rtl and "text-align:right" in rtl


def test_every_image_has_alt_and_missing_alt_warns(tmp_path):
    result = email_of(tmp_path, """
        ## Pictures

        ![](https://example.org/decoration.png)

        ![A chart of revenue](https://example.org/chart.png)

        Inline <img src="https://example.org/raw.png"> raw image.

        <img src="https://example.org/block.png" width="10">

        <img src="data:image/svg+xml;utf8,<svg width='9'/>" alt="" title="a '>' inside a value">
        """)
    doc = lxml.html.fromstring(result.html)
    imgs = {i.get("src"): i.get("alt") for i in doc.iter("img")}
    assert imgs == {
        "https://example.org/decoration.png": "",
        "https://example.org/chart.png": "A chart of revenue",
        "https://example.org/raw.png": "",
        "https://example.org/block.png": "",
        "data:image/svg+xml;utf8,<svg%20width='9'/>": "",
    }
    alt = [w for w in result.warnings if "unsubscribe" not in w]
    assert len(alt) == 3
    assert all("has no alt text" in w for w in alt)
    # each warning names the line holding the image, not its section's heading; a Markdown
    # image with empty brackets is warned as a raw <img> without alt is
    assert alt[0].endswith(":9: image 'https://example.org/decoration.png' has no alt text; it is sent with "
                           "alt=\"\" (decorative). Describe it between the brackets (![what it shows]"
                           "(https://example.org/decoration.png)), or write "
                           "<img src=\"https://example.org/decoration.png\" alt=\"\"> to mark it decorative")
    assert ":13: image 'https://example.org/raw.png'" in alt[1]
    assert ":15: image 'https://example.org/block.png'" in alt[2]


def test_fonts_have_system_fallbacks(example_html):
    families = re.findall(r"font-family:\s*([^;\"}]+)", example_html)
    assert len(families) > 10
    for family in families:
        if family.strip().startswith("inherit"):  # a[x-apple-data-detectors] takes the text's own
            continue
        last = family.split(",")[-1].replace("!important", "").strip().strip("'\"")
        assert last in ("sans-serif", "serif", "monospace"), family
    assert "<link" not in example_html and "@font-face" not in example_html and "@import" not in example_html


def test_nothing_essential_relies_on_css_gmail_ignores(example_html):
    # Gmail (caniemail): <style> only for Gmail accounts and ≤ 16 KB; no prefers-color-scheme,
    # no position, flex/grid, CSS variables. The look must be inline, the head only enhances.
    styles = re.findall(r"<style[^>]*>(.*?)</style>", example_html, re.S)
    assert sum(len(s.encode()) for s in styles) < 16 * 1024
    inline_styles = " ".join(re.findall(r'style="([^"]*)"', example_html))
    for unsupported in ("position:", "display:flex", "display:grid", "var(--", "calc("):
        assert unsupported not in inline_styles.replace(" ", "")
    doc = lxml.html.fromstring(example_html)
    h2 = doc.xpath("//h2[@class='section-heading']")[0]
    assert "font-size:21px" in h2.get("style").replace(" ", "")  # heading look is inline


# --- preheader ------------------------------------------------------------------------------

def test_preheader_is_first_hidden_and_filled(example_html, issue):
    body = example_html[example_html.index("<body"):]
    first = re.search(r'<div class="preheader" aria-hidden="true" style="([^"]*)">(.*?)</div>', body, re.S)
    assert first and body.index(first.group(0)) < body.index("The Moonshot Moment</h1>")
    style = first.group(1)
    assert "display:none" in style and "max-height:0px" in style and "mso-hide:all" in style
    text, _, filler = first.group(2).partition(PREHEADER_FILLER)
    assert text == preheader(issue) and len(text) <= PREHEADER_CHARS
    assert text == "Moonshot AI's $2B raise at a $20B valuation, on the back of the open-source Kimi K2.6…"
    assert first.group(2).count("&#847;&zwnj;&nbsp;") == 75
    assert filler.replace(PREHEADER_FILLER, "") == ""


def test_preheader_key_wins_and_is_cut_at_a_word(tmp_path):
    html = email_of(tmp_path, "## Story\nBody text.", front='preheader: "Read this first"\n').html
    assert '<div class="preheader"' in html and ">Read this first&#847;" in html
    long = "word " * 40
    issue = parse_issue(write(tmp_path, "Body.", front=f'preheader: "{long}"\n'), SITE)
    text = preheader(issue)
    assert len(text) <= 90 and text.endswith("word…")


# --- links ------------------------------------------------------------------------------------

UTM = {"utm_source": "briefing", "utm_medium": "email"}


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://example.org/a", "https://example.org/a?utm_source=briefing&utm_medium=email"),
        ("https://example.org/a?id=3&x=y#part", "https://example.org/a?id=3&x=y&utm_source=briefing&utm_medium=email#part"),
        ("https://example.org/a?utm_source=partner", "https://example.org/a?utm_source=partner&utm_medium=email"),
        ("http://example.org", "http://example.org?utm_source=briefing&utm_medium=email"),
        ("mailto:desk@example.org?subject=Hi", "mailto:desk@example.org?subject=Hi"),
        ("#sources", "#sources"),
        ("tel:+6441234567", "tel:+6441234567"),
        ("*|ARCHIVE|*", "*|ARCHIVE|*"),
        ("{{ unsubscribe_url }}", "{{ unsubscribe_url }}"),
        ("%%{unsubscribe_url}%%", "%%{unsubscribe_url}%%"),
        ("https://example.org/?u={{ subscriber.uuid }}", "https://example.org/?u={{ subscriber.uuid }}"),
    ],
)
def test_add_params(url, expected):
    assert add_params(url, UTM) == expected


def test_link_params_in_the_email(tmp_path):
    settings = dataclasses.replace(SITE, links=LinkSettings({"utm_source": "briefing", "utm_campaign": "{slug}"}))
    result = email_of(tmp_path, """
        See [the report](https://example.org/r?id=7&lang=en), [mail us](mailto:a@example.org),
        [below](#story), [relative](../older/) and the image ![chart](https://example.org/c.png).

        ## Story
        Text.
        """, settings=settings, platform="mailchimp")
    hrefs = [a.get("href") for a in lxml.html.fromstring(result.html).iter("a")]
    assert "https://example.org/r?id=7&lang=en&utm_source=briefing&utm_campaign=test-issue" in hrefs
    assert "mailto:a@example.org" in hrefs and "#story" in hrefs and "*|UNSUB|*" in hrefs
    assert "https://news.example.org/older/?utm_source=briefing&utm_campaign=test-issue" in hrefs
    assert "*|ARCHIVE|*" in hrefs
    assert 'src="https://example.org/c.png"' in result.html  # images are not links


# --- size -------------------------------------------------------------------------------------

def test_seed_email_under_40_kb(rendered):
    size = rendered.sizes["email.html"]
    assert 20_000 < size <= 40 * 1024
    delivered = delivered_size((rendered.folder / "email.html").read_text(encoding="utf-8"), PLATFORMS["generic"])
    assert rendered.notes["email.html"] == (
        f"{size:,} bytes ({size * 100 // GMAIL_CLIP_BYTES}% of Gmail's ~102 KB clip), generic; "
        f"≈ {delivered:,} bytes delivered by generic with click tracking ({delivered * 100 // GMAIL_CLIP_BYTES}% of the clip)")
    assert not any("clip" in w for w in rendered.warnings)


def test_biggest_corpus_file_under_clip_or_warned(tmp_path):
    files = corpus_files()
    if not files:
        pytest.skip("../shared/corpus not found")
    biggest = max(files, key=lambda p: p.stat().st_size)
    report = render_issue(biggest, tmp_path, Settings(root=tmp_path))
    size = report.sizes["email.html"]
    assert size <= GMAIL_CLIP_BYTES
    warned = [w for w in report.warnings if "Gmail's ~102 KB clip" in w]
    html = (report.folder / "email.html").read_text(encoding="utf-8")
    delivered = delivered_size(html, PLATFORMS["generic"])
    assert delivered > size  # every web link is rewritten longer by click tracking
    where = f"{biggest}: email.html"
    if size > 90 * 1024:
        assert warned == [f"{biggest}: email.html: {size:,} bytes ({size / 1024:.1f} KB) is close to Gmail's ~102 KB clip "
                          f"({GMAIL_CLIP_BYTES:,} bytes); consider shortening"]
    elif delivered > 90 * 1024:
        assert warned == [f"{where}: {size:,} bytes here, ≈ {delivered:,} bytes ({delivered / 1024:.1f} KB) once generic's "
                          f"click tracking rewrites its links, close to Gmail's ~102 KB clip ({GMAIL_CLIP_BYTES:,} bytes); "
                          "consider shortening"]
    else:
        assert warned == []


def test_over_the_clip_is_an_error_unless_allowed(tmp_path):
    story = "## Story {n}\n\n" + ("A paragraph of reporting with [a link](https://example.org/{n}) in it. " * 12) + "\n\n"
    path = write(tmp_path, "".join(story.format(n=n) for n in range(80)))
    issue = parse_issue(path, SITE)
    with pytest.raises(RenderError) as err:
        render_email(issue, SITE)
    assert "over Gmail's ~102 KB clip" in err.value.message and "--allow-clip" in err.value.message
    assert err.value.path == path
    allowed = render_email(issue, SITE, allow_clip=True)
    assert allowed.bytes > GMAIL_CLIP_BYTES
    runner = CliRunner()
    result = runner.invoke(main, ["render", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert not (tmp_path / "out" / "test-issue").exists()
    result = runner.invoke(main, ["render", str(path), "--out", str(tmp_path / "out"), "--allow-clip"])
    assert result.exit_code == 0
    assert "is over Gmail's ~102 KB clip" in result.output


def test_mjml_error_shows_where(tmp_path):
    with pytest.raises(RenderError) as err:
        compile_mjml("<mjml><mj-head><mj-style>/* a <b> in css */</mj-style></mj-head><mj-body></mj-body></mjml>", "")
    assert err.value.message.startswith("MJML could not compile the email layout: ")
    assert "near '<mjml><mj-head><mj-style>/* a <b> in css */</mj-style></mj-head><mj-bo" in err.value.message


def test_link_params_skip_the_configured_unsubscribe_url(tmp_path):
    from dispatch.channels.email import render_email
    from dispatch.config import LinkSettings, Settings
    from dispatch.parse import parse_issue

    source = tmp_path / "a.md"
    source.write_text("---\ntitle: A\ndate: 2026-01-01\n---\nSee [x](https://example.org/x).\n", encoding="utf-8")
    settings = Settings(unsubscribe_url="https://lists.example.org/u", links=LinkSettings(params={"utm_source": "nl"}))
    html = render_email(parse_issue(source, settings), settings).html
    assert 'href="https://example.org/x?utm_source=nl"' in html
    assert 'href="https://lists.example.org/u"' in html


def test_text_part_uses_the_platforms_view_online_tag(tmp_path):
    from dispatch.render import render_issue

    from conftest import EXAMPLE

    report = render_issue(EXAMPLE, tmp_path, platform="mailchimp")
    text = (report.folder / "email.txt").read_text(encoding="utf-8")
    assert "View online: *|ARCHIVE|*" in text and "Unsubscribe: *|UNSUB|*" in text
