"""The web channel: one HTML page per issue (the email's "view online" target) and the
archive's index page, from the layout's ``web/`` templates.

A page reuses ``html/content.html`` and the component templates beside it (the same
components as the email), with every URL absolute against the issue's permalink. Its head
carries what readers and crawlers look for:

* ``<link rel="canonical">`` (RFC 6596) to the permalink;
* ``<link rel="alternate">`` to the RSS, Atom and JSON Feeds (and the issue's tag feeds);
* Open Graph (https://ogp.me/) and Twitter card meta;
* schema.org JSON-LD: a ``NewsArticle`` and, when the issue has an FAQ, an ``FAQPage``
  (https://schema.org/FAQPage) with one ``Question``/``acceptedAnswer`` per entry.

Dates are shown in the newsletter's time zone with English month names from a fixed table
(never the process locale), so pages are the same on every machine.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Sequence

from markupsafe import Markup

from ..attachments import canonical_url
from ..config import Settings
from ..layout import environment, render, section_templates
from ..model import Emph, Heading, Image, Issue, Link, ListBlock, Paragraph, Quote, Strong
from ..i18n import labels as layout_labels, long_date, text_direction
from .entry import AbsoluteHtmlRenderer, absolute, xml_safe

if TYPE_CHECKING:
    from ..images import Size



@dataclass(frozen=True)
class FeedLink:
    """A ``<link rel="alternate">`` target: ``href`` (absolute URL), MIME ``type``, ``title``."""

    href: str
    type: str
    title: str


@dataclass(frozen=True)
class IndexItem:
    """One line of the archive index: title, absolute ``url``, aware ``date``, ``summary``,
    ``tags``."""

    title: str
    url: str
    date: datetime
    summary: str
    tags: tuple[str, ...] = ()


def script_json(data: Any) -> Markup:
    """``data`` as JSON safe inside ``<script>``: ``<``, ``>`` and ``&`` are written as
    ``\\u003c``… so no ``</script>`` or ``<!--`` can end the element early (HTML Living
    Standard, "restrictions for contents of script elements")."""
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(xml_safe(text))


def faq_jsonld(issue: Issue, h: AbsoluteHtmlRenderer) -> dict | None:
    """The issue's FAQ as a schema.org ``FAQPage`` (answers as HTML with absolute links), or
    ``None`` when the issue has no FAQ with entries."""
    questions = []
    for section in issue.components("faq"):
        for entry in section.data.entries:
            questions.append({
                "@type": "Question",
                "name": entry.question,
                "acceptedAnswer": {"@type": "Answer", "text": str(h.blocks(entry.answer))},
            })
    if not questions:
        return None
    return {"@context": "https://schema.org", "@type": "FAQPage", "url": issue.permalink,
            "mainEntity": questions}


def first_image(issue: Issue) -> str:
    """The page's share image: front-matter ``image`` (or ``cover``), else the first image of
    the body, absolute against the permalink; ``""`` when there is none."""
    for key in ("image", "cover", "og_image"):
        value = issue.meta.extra.get(key)
        if isinstance(value, str) and value.strip():
            return absolute(value.strip(), issue.permalink)
    found = _first_image_src((*issue.lead, *(b for s in issue.sections for b in s.blocks)))
    if found:
        return absolute(found, issue.permalink)
    m = re.search(r"<img\b[^>]*\bsrc\s*=\s*[\"']([^\"']+)", "".join(
        getattr(b, "html", "") for b in issue.lead))
    return absolute(m.group(1), issue.permalink) if m else ""


def _first_image_src(nodes) -> str:
    """The ``src`` of the first image with one among ``nodes`` and what they hold (paragraphs,
    headings, quotes, list items, emphasis and links; not tables or footnotes), else ``""``."""
    for node in nodes:
        if isinstance(node, Image):
            if node.src:
                return node.src
            continue
        if isinstance(node, (Paragraph, Heading, Quote, Emph, Strong, Link)):
            found = _first_image_src(node.children)
        elif isinstance(node, ListBlock):
            found = next((src for item in node.items if (src := _first_image_src(item))), "")
        else:
            continue
        if found:
            return found
    return ""


def brand_url(value: str, settings: Settings, issue: Issue | None = None) -> tuple[str, "Size | None"]:
    """A ``[brand]`` image setting as ``(absolute URL, real size or None)``: an absolute URL
    as written (size unknown), else a site path resolved against ``base_url`` whose file
    beside dispatch.toml (``settings.root / path``), when present, gives the size."""
    from urllib.parse import urljoin

    from ..images import natural_size

    value = value.strip()
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", value):
        return value, natural_size(value, settings.root) if value.lower().startswith("data:") else None
    return urljoin(settings.base_url, value.lstrip("/")), natural_size(value.lstrip("/"), settings.root)


def header_image(issue: Issue, settings: Settings) -> tuple[str, "Size | None", str] | None:
    """The image across the top of the issue, for the email and the web page alike:
    ``(absolute URL, real size or None, alt text)`` or ``None``.

    The issue's front-matter ``image`` (its cover; a path relative to the issue file or a
    URL; ``image_alt`` its alt text) wins over ``[brand] header_image`` (a site path or URL)."""
    from ..images import natural_size

    value = issue.meta.extra.get("image")
    if isinstance(value, str) and value.strip():
        alt = issue.meta.extra.get("image_alt")
        return (absolute(value.strip(), issue.permalink), natural_size(value.strip(), issue.path.parent),
                alt if isinstance(alt, str) else "")
    if settings.brand.header_image:
        src, size = brand_url(settings.brand.header_image, settings, issue)
        return src, size, ""
    return None


def brand_context(issue: Issue | None, settings: Settings) -> dict[str, Any]:
    """``logo`` (``None`` or ``{"src", "alt", "width"}``), ``header`` (``None`` or
    ``{"src", "alt"}``; pages of an issue only) and ``footer_text`` for the web templates."""
    logo = None
    if settings.brand.logo:
        logo = {"src": brand_url(settings.brand.logo, settings)[0], "width": settings.brand.logo_width,
                "alt": settings.brand.logo_alt or settings.site_name}
    found = header_image(issue, settings) if issue is not None else None
    header = {"src": found[0], "alt": found[2]} if found else None
    return {"logo": logo, "header": header, "footer_text": settings.brand.footer_text}


def og_locale(lang: str) -> str:
    """A BCP 47 tag as an Open Graph locale (``en-NZ`` → ``en_NZ``)."""
    parts = lang.split("-")
    return parts[0].lower() + ("_" + parts[1].upper() if len(parts) > 1 and len(parts[1]) == 2 else "")


def render_page(issue: Issue, settings: Settings, content: str, feeds: Sequence[FeedLink],
                css_url: str) -> str:
    """The issue's web page (layout ``web/page.html``) as a complete HTML document.

    Args:
        issue: the parsed issue.
        content: its body HTML from :func:`dispatch.channels.entry.content_html`.
        feeds: the feeds to announce with ``<link rel="alternate">``.
        css_url: absolute URL of the archive's stylesheet.
    """
    env = environment(settings.root, settings.layout)
    h = AbsoluteHtmlRenderer(issue.permalink)
    image = first_image(issue)
    summary = xml_safe(issue.description)
    article = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": xml_safe(issue.meta.title),
        "url": issue.permalink,
        "mainEntityOfPage": issue.permalink,
        "identifier": issue.meta.id,
        "datePublished": issue.meta.date.isoformat(),
        "inLanguage": issue.meta.lang,
        "author": {"@type": "Person" if issue.meta.author else "Organization",
                   "name": issue.meta.author or settings.author or settings.site_name},
        "publisher": {"@type": "Organization", "name": settings.site_name, "url": settings.base_url},
        **({"description": summary} if summary else {}),
        # schema.org speakable: the Answer-First Lead is the part answer engines read out
        **({"speakable": {"@type": "SpeakableSpecification", "cssSelector": [".answer-first"]}}
           if issue.component("answer_first") else {}),
        **({"image": image} if image else {}),
        **({"keywords": list(issue.meta.tags)} if issue.meta.tags else {}),
    }
    jsonld = [script_json(article)]
    faq = faq_jsonld(issue, h)
    if faq:
        jsonld.append(script_json(faq))
    html = render(
        env, "web/page.html",
        issue=issue, settings=settings, h=h, section_templates=section_templates,
        content=Markup(content), feeds=feeds, css_url=css_url, summary=summary, image=image,
        canonical=canonical_url(issue.meta, issue.permalink),
        jsonld=jsonld, date_text=long_date(issue.meta.date, settings.tz, issue.meta.lang),
        og_locale=og_locale(issue.meta.lang), home=settings.base_url, dir=text_direction(issue.meta.lang),
        labels=layout_labels(settings.root, settings.layout, issue.meta.lang, settings.labels),
        **brand_context(issue, settings),
    )
    return xml_safe(html)


def render_index(items: Sequence[IndexItem], settings: Settings, feeds: Sequence[FeedLink], css_url: str) -> str:
    """The archive's index page (layout ``web/index.html``): every item, in the given order
    (newest first)."""
    env = environment(settings.root, settings.layout)
    rows = [(item, long_date(item.date, settings.tz, settings.language)) for item in items]
    html = render(env, "web/index.html", settings=settings, rows=rows, feeds=feeds, css_url=css_url,
                  home=settings.base_url, lang=settings.language, og_locale=og_locale(settings.language),
                  dir=text_direction(settings.language),
                  labels=layout_labels(settings.root, settings.layout, settings.language, settings.labels),
                  **brand_context(None, settings))
    return xml_safe(html)


def stylesheet(settings: Settings) -> str:
    """The archive's stylesheet (layout ``web/style.css``)."""
    env = environment(settings.root, settings.layout)
    return render(env, "web/style.css", settings=settings)
