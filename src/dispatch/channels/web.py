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
from ..model import Image, Issue
from ..i18n import labels as layout_labels, long_date, text_direction
from ..subscribe import subscribe_target
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
    """One issue in a list of issues (the index, a tag's page, the 404 page): title, absolute
    ``url``, aware ``date``, ``summary``, ``tags``, its BCP 47 ``lang`` (``""``: the site's)
    and ``tag_links``, ``(tag, absolute URL of its page)`` pairs."""

    title: str
    url: str
    date: datetime
    summary: str
    tags: tuple[str, ...] = ()
    lang: str = ""
    tag_links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TagEntry:
    """One tag on the tags index: its ``name`` (newest spelling), the absolute ``url`` of its
    page and ``count``, its number of published issues."""

    name: str
    url: str
    count: int


#: Where the previous/next links go in an issue's page while it is rendered without knowing
#: its neighbours (the archive build renders pages in worker processes, before the schedule);
#: :func:`render_issue_nav`'s HTML replaces it. NUL never survives into a page
#: (:func:`~dispatch.channels.entry.xml_safe`), so no text of an issue can look like it.
NAV_SLOT = "\x00issue-nav\x00"


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

    def walk(node: Any) -> str:
        if isinstance(node, Image):
            return node.src
        for name in ("children", "items", "blocks", "lead"):
            for child in getattr(node, name, ()) or ():
                for sub in (child if isinstance(child, tuple) else (child,)):
                    found = walk(sub)
                    if found:
                        return found
        return ""

    for node in (*issue.lead, *(b for s in issue.sections for b in s.blocks)):
        found = walk(node)
        if found:
            return absolute(found, issue.permalink)
    m = re.search(r"<img\b[^>]*\bsrc\s*=\s*[\"']([^\"']+)", "".join(
        getattr(b, "html", "") for b in issue.lead))
    return absolute(m.group(1), issue.permalink) if m else ""


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
                css_url: str, *, tag_links: Sequence[tuple[str, str]] | None = None,
                issue_nav: str = "") -> str:
    """The issue's web page (layout ``web/page.html``) as a complete HTML document.

    Args:
        issue: the parsed issue.
        content: its body HTML from :func:`dispatch.channels.entry.content_html`.
        feeds: the feeds to announce with ``<link rel="alternate">``.
        css_url: absolute URL of the archive's stylesheet.
        tag_links: ``(tag, absolute URL of its page)`` for the tag pills; ``None``: the
            issue's tags as plain pills (a preview, which has no tag pages).
        issue_nav: the previous/next links' HTML, or :data:`NAV_SLOT` to leave their place
            marked (kept through :func:`xml_safe`) for the archive build to fill.
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
        tag_links=list(tag_links) if tag_links is not None else [(t, "") for t in issue.meta.tags],
        issue_nav=Markup(issue_nav), subscribe=subscribe_target(settings),
        tags_url=tags_url(settings) if tag_links else "",
        **brand_context(issue, settings),
    )
    if issue_nav == NAV_SLOT:  # the slot has NULs, which xml_safe removes: keep it whole
        return NAV_SLOT.join(xml_safe(part) for part in html.split(NAV_SLOT))
    return xml_safe(html)


def tags_url(settings: Settings) -> str:
    """Absolute URL of the tags index (``tags/``)."""
    return settings.base_url.rstrip("/") + "/tags/"


def _site_page(template: str, settings: Settings, feeds: Sequence[FeedLink], css_url: str,
               items: Sequence[IndexItem] = (), *, has_tags: bool = False, **context: Any) -> str:
    """A page of the whole site (layout ``web/<template>``) in the site's ``language``:
    ``items`` as ``rows`` for ``web/issue_list.html`` (each date in its issue's language,
    with ``lang``/``dir`` where that differs from the page's), the masthead, subscribe box
    and footer's context, and ``context``."""
    env = environment(settings.root, settings.layout)
    lang = settings.language
    rows = []
    for item in items:
        own = item.lang or lang
        other = own.lower() != lang.lower()
        rows.append({"item": item, "date_text": long_date(item.date, settings.tz, own),
                     "lang": own if other else "", "dir": text_direction(own) if other else ""})
    html = render(env, template, settings=settings, rows=rows, feeds=feeds, css_url=css_url,
                  home=settings.base_url, lang=lang, og_locale=og_locale(lang), dir=text_direction(lang),
                  labels=layout_labels(settings.root, settings.layout, lang, settings.labels),
                  subscribe=subscribe_target(settings), tags_url=tags_url(settings) if has_tags else "",
                  **brand_context(None, settings), **context)
    return xml_safe(html)


def render_index(items: Sequence[IndexItem], settings: Settings, feeds: Sequence[FeedLink], css_url: str,
                 *, has_tags: bool = False) -> str:
    """The archive's index page (layout ``web/index.html``): every item, in the given order
    (newest first). ``has_tags``: a tags index exists to link to."""
    return _site_page("web/index.html", settings, feeds, css_url, items, has_tags=has_tags)


def render_tag_page(tag: str, url: str, feed: FeedLink, items: Sequence[IndexItem], settings: Settings,
                    feeds: Sequence[FeedLink], css_url: str) -> str:
    """A tag's page (layout ``web/tag.html``): ``items`` (its published issues, newest
    first), under the heading ``tag_page`` label with ``{tag}`` replaced; ``url`` is the
    page's absolute URL, ``feed`` the tag's Atom feed."""
    labels = layout_labels(settings.root, settings.layout, settings.language, settings.labels)
    return _site_page("web/tag.html", settings, feeds, css_url, items, has_tags=True, tag=tag, url=url,
                      feed=feed, heading=labels["tag_page"].replace("{tag}", tag))


def render_tags_index(tags: Sequence[TagEntry], url: str, settings: Settings, feeds: Sequence[FeedLink],
                      css_url: str) -> str:
    """The tags index (layout ``web/tags.html``): every tag in the given order; ``url`` is
    the page's absolute URL."""
    return _site_page("web/tags.html", settings, feeds, css_url, has_tags=True, tags=tags, url=url)


def render_not_found(items: Sequence[IndexItem], settings: Settings, feeds: Sequence[FeedLink], css_url: str,
                     *, has_tags: bool = False) -> str:
    """The 404 page (layout ``web/404.html``) with ``items``, the newest issues."""
    return _site_page("web/404.html", settings, feeds, css_url, items, has_tags=has_tags)


class IssueNav:
    """Renders the previous/next links of an issue page (layout ``web/issue_nav.html``), for
    many pages in a row: the layout's environment is looked up once and its labels once per
    language.

    Call it with ``prev`` (the issue published just before, or ``None``), ``next`` (just
    after, or ``None``), each an :class:`IndexItem`, and the issue's BCP 47 ``lang`` (the
    labels' language); it returns the HTML, ``""`` for an issue with neither.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.env = environment(settings.root, settings.layout)
        self._labels: dict[str, dict[str, str]] = {}

    def __call__(self, prev: IndexItem | None, next: IndexItem | None, lang: str) -> str:
        labels = self._labels.get(lang)
        if labels is None:
            labels = self._labels[lang] = layout_labels(self.settings.root, self.settings.layout, lang,
                                                        self.settings.labels)
        return xml_safe(render(self.env, "web/issue_nav.html", prev=prev, next=next, lang=lang, labels=labels))


def render_issue_nav(prev: IndexItem | None, next: IndexItem | None, settings: Settings, lang: str) -> str:
    """One issue page's previous/next links (see :class:`IssueNav`)."""
    return IssueNav(settings)(prev, next, lang)


def stylesheet(settings: Settings) -> str:
    """The archive's stylesheet (layout ``web/style.css``)."""
    env = environment(settings.root, settings.layout)
    return render(env, "web/style.css", settings=settings)
