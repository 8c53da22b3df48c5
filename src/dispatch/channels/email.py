"""The email channel: Issue → paste-ready HTML email.

Pipeline: layout ``email/issue.mjml`` (Jinja2) → MJML compiled by mjml-python (MRML) →
the layout's ``email/inline.css`` inlined by premailer. The traps of that pipeline are in
notes/email.md; each is handled here:

* ``fonts={}`` so MRML adds no Google Fonts ``<link>`` (no network at render or open time);
* MRML's own ``<style>`` blocks and the layout's ``head.css`` (media queries) and
  ``dark.css`` (dark mode, Outlook.com ``[data-ogsc]`` rules; a block of its own so a client
  that rejects it keeps the rest) are marked ``data-premailer="ignore"``: kept verbatim,
  never inlined (inlining MRML's reset onto every cell costs ~30 % in bytes);
* premailer runs with ``allow_network=False``, ``strip_important=False``,
  ``keep_style_tags=True`` and no ``base_url``; cssutils' logger is silenced;
* merge tags (``*|UNSUB|*``, ``{{ unsubscribe_url }}``, ``%%{unsubscribe_url}%%``…) are swapped
  for inert tokens around MRML and premailer and restored byte for byte;
* the lowercase ``<!doctype html>`` premailer drops is put back.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import importlib.util
import json
import os
import logging
import re
import sys
import threading
import types
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import mjml
from markupsafe import Markup

from ..config import Settings
from ..deferred import import_deferring
from ..errors import RenderError
from ..i18n import labels as layout_labels, long_date, text_direction
from ..images import BOX_PX, COLUMN_PX, Size, attr_size, natural_size, retina_source
from ..layout import environment, render, section_templates
from ..memo import LRU
from ..usercache import cache_dir
from ..model import HtmlBlock, Image, Issue, RawHtml, Table
from ..platforms import MERGE_TAG, PLATFORMS, Platform
from .html import HtmlRenderer, absolute_url, attr

#: Gmail clips a message body over about 102 KB (Google's documented threshold).
GMAIL_CLIP_BYTES = 102 * 1024
#: Above this the run warns that the email is getting close to the clip.
WARN_BYTES = 90 * 1024
#: Preheader length inboxes show, in characters.
PREHEADER_CHARS = 90

#: One unit of preheader filler: combining grapheme joiner, zero-width non-joiner, no-break
#: space. Inboxes show it as blank, so the preview stops after the preheader instead of
#: pulling in body text (notes/email.md; the common "&#847;&zwnj;&nbsp;" technique).
PREHEADER_FILLER = "&#847;&zwnj;&nbsp;"
#: Filler units after the preheader: 225 invisible characters, more than the longest previews show (~200).
PREHEADER_FILLER_UNITS = 75
_FILLER_CHARS = "\u034f\u200c\u00a0"
_HREF = re.compile(r'(<a\s[^>]*?\bhref=")([^"]*)(")', re.I)
_HAS_ALT = re.compile(r"""^<img\b(?:[^>"']|"[^"]*"|'[^']*')*?\salt\s*=""", re.I)
_IMG_TAG = re.compile(r"""<img\b(?:[^>"']|"[^"]*"|'[^']*')*>""", re.I)

_STYLE_OPEN = re.compile(r"<style(?![^>]*data-premailer)([^>]*)>", re.I)
#: An Outlook conditional comment ending right where the next one with the same condition
#: starts: MRML writes them per element; one comment serves both (MJML's own output merges them).
_ADJACENT_MSO = re.compile(r"<!\[endif\]-->\s*<!--\[if mso \| IE\]>")
_ATTR = re.compile(r"""\s([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


class EmailHtmlRenderer(HtmlRenderer):
    """The HTML renderer for the email body: every image gets ``width`` (and ``height`` where
    known) attributes fitted to the column (:mod:`dispatch.images`), a Markdown table is
    wrapped in a scrolling ``div`` (words are never broken inside a cell on a phone).

    Args:
        url: as :class:`HtmlRenderer`.
        folder: the issue file's folder (local images are read from it).
        remote_width: width in px for a remote image of unknown size.
        retina: send local images wider than :data:`~dispatch.images.RETINA_PX` as resized copies.
        column: the width images are fitted to (:data:`~dispatch.images.COLUMN_PX`).

    Attributes:
        boxed: the same renderer for text inside a Bottom Line or Lens box (a narrower column).
        retina_files: retina copy name (as written, relative) → original file, for the output.
    """

    def __init__(self, url, *, folder: Path, remote_width: int = COLUMN_PX, retina: bool = False,
                 column: int = COLUMN_PX, url_key=None, _shared: dict | None = None):
        super().__init__(url=url, classes={"table": "md-table"}, url_key=url_key)
        self.folder = folder
        self.remote_width = remote_width
        self.retina = retina
        self.column = column
        self.retina_files: dict[str, Path] = {} if _shared is None else _shared
        base = super().cache_key()
        self._email_key = None if base is None else (base, str(folder), remote_width, retina, column)
        if column == COLUMN_PX:
            self.boxed = EmailHtmlRenderer(url, folder=folder, remote_width=remote_width, retina=retina,
                                           column=BOX_PX, url_key=url_key, _shared=self.retina_files)

    def cache_key(self):
        return self._email_key

    def size(self, src: str, width: str | None = None, height: str | None = None) -> Size:
        """The size to write for image ``src``, fitted to the column: the written
        ``width``/``height`` attributes (a missing height in the real image's proportion),
        else the real size of a local or ``data:`` image, else the remote default width."""
        self.uncached()  # read from the image file
        real = natural_size(src, self.folder)
        written = attr_size(width, height)
        if written:
            if written.height is None and real and real.height:
                written = Size(written.width, round(real.height * written.width / real.width))
            found = written
        else:
            found = real or Size(self.remote_width)
        return found.fit(self.column)

    def _src(self, src: str) -> str:
        if self.retina:
            self.uncached()  # read from the image file
        found = retina_source(src, self.folder) if self.retina else None
        if found is None:
            return src
        name, original = found
        self.retina_files[name] = original
        return name

    def inline(self, node):
        if isinstance(node, Image):
            size = self.size(node.src, str(node.width) if node.width else None)  # {width=…}: Outlook's width
            title = f' title="{attr(node.title)}"' if node.title else ""
            height = f' height="{size.height}"' if size.height else ""
            return (f'<img src="{attr(self.url(self._src(node.src)))}" alt="{attr(node.alt or "")}"{title}'
                    f' width="{size.width}"{height}>')
        if isinstance(node, RawHtml) and node.html.lower().startswith("<img"):
            self._raw = True
            return self.raw_block(node.html)
        return super().inline(node)

    def raw_block(self, html: str) -> str:
        """Raw HTML as written, with ``width``/``height`` set on each ``<img>`` (see :meth:`size`)."""
        return _IMG_TAG.sub(lambda m: self._sized_tag(m.group(0)), html)

    def _sized_tag(self, tag: str) -> str:
        found = list(_ATTR.finditer(tag))  # attribute by attribute: a value's insides are skipped
        attrs = {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None) for m in found}
        if "%" in attrs.get("width", ""):
            return tag
        size = self.size(htmllib.unescape(attrs.get("src", "")), attrs.get("width"), attrs.get("height"))
        out, at = "", 0
        for m in found:
            if m.group(1).lower() in ("width", "height"):
                out += tag[at:m.start()]
                at = m.end()
        out += tag[at:]
        end = -2 if out.endswith("/>") else -1
        height = f' height="{size.height}"' if size.height else ""
        return out[:end].rstrip() + f' width="{size.width}"{height}' + out[end:]

    def _table(self, table: Table) -> str:
        return f'<div class="table-scroll">{super()._table(table)}</div>'


@dataclass(frozen=True)
class EmailResult:
    """The rendered email.

    Attributes:
        html: what ``email.html`` holds, in the platform's form (a full document, a body
            fragment for Ghost, clean content for Substack).
        document: the complete HTML document (what ``message.eml`` carries), with the
            platform's merge tags.
        platform: the :class:`~dispatch.platforms.Platform` preset used.
        warnings: lines for the user (images without alt text).
        unsubscribe: the unsubscribe link or merge tag used (``""``: none), for the text part.
        view_online: the view-online link or merge tag used, for the text part.
        retina_files: retina copies the email links to (name relative to the issue, as
            written → the original file); ``render`` writes them beside the email.
        delivered: the estimated size in bytes of the HTML as the platform delivers it
            (:func:`delivered_size`).
    """

    html: str
    document: str = ""
    platform: Platform = PLATFORMS["generic"]
    warnings: tuple[str, ...] = ()
    unsubscribe: str = ""
    view_online: str = ""
    retina_files: dict[str, Path] = field(default_factory=dict)
    delivered: int = 0

    @property
    def bytes(self) -> int:
        """Size of :attr:`html` in UTF-8 bytes (what Gmail's clip counts)."""
        return len(self.html.encode("utf-8"))


def preheader(issue: Issue) -> str:
    """The inbox preview text: front matter ``preheader``, else the Bottom Line, else the
    summary; cut at a word boundary to at most :data:`PREHEADER_CHARS` characters (with "…").
    Inboxes show roughly the first 90-140 characters (notes/email.md: "keep under ~90")."""
    text = issue.meta.preheader or issue.bottom_line or issue.summary
    text = " ".join(text.split())
    if len(text) <= PREHEADER_CHARS:
        return text
    cut = text[: PREHEADER_CHARS - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:—–-") + "…"


def render_email(
    issue: Issue, settings: Settings, platform: str | None = None, *, allow_clip: bool = False
) -> EmailResult:
    """Render ``issue`` as an HTML email prepared for a sending platform.

    Args:
        issue: the parsed issue.
        settings: the newsletter's settings (``platform``, ``unsubscribe_url``,
            ``[links] params`` are read here).
        platform: a preset name from :data:`dispatch.platforms.PLATFORMS`; ``None`` takes
            ``settings.platform``.
        allow_clip: accept an email over Gmail's clip (:data:`GMAIL_CLIP_BYTES`) with a
            warning instead of an error.

    Returns:
        :class:`EmailResult`.

    Raises:
        RenderError: unknown platform; the layout is missing a template, a template is broken,
            or MJML rejects the compiled layout; the email is over Gmail's ~102 KB clip and
            ``allow_clip`` is false.
    """
    name = platform or settings.platform
    if name not in PLATFORMS:
        raise RenderError(f"unknown platform '{name}'; known: {', '.join(PLATFORMS)}")
    preset = PLATFORMS[name]
    env = environment(settings.root, settings.layout)
    base = issue.permalink
    h = EmailHtmlRenderer(lambda u: absolute_url(u, base), url_key=("absolute_url", base), folder=issue.path.parent,
                          remote_width=settings.remote_image_width, retina=settings.retina_images)
    unsubscribe = preset.unsubscribe or (settings.unsubscribe_url if preset.name == "generic" else "")
    view_online = preset.view_online or issue.permalink
    direction = text_direction(issue.meta.lang)
    start, end = ("right", "left") if direction == "rtl" else ("left", "right")
    words = layout_labels(settings.root, settings.layout, issue.meta.lang, settings.labels)
    context = dict(
        issue=issue, settings=settings, h=h, dir=direction, start=start, end=end, labels=words,
        dateline=long_date(issue.meta.date, settings.tz, issue.meta.lang),
        view_online=view_online, unsubscribe=unsubscribe, platform=preset,
        section_templates=section_templates, postal_address=settings.postal_address,
        footer_text=settings.brand.footer_text,
    )
    brand = brand_images(issue, settings, h)
    mjml_source = render(
        env,
        "email/issue.mjml",
        # MRML copies the title into aria-label with Rust debug escaping (a ZWJ becomes the
        # text "\\u{200d}"); character references pass through it intact (notes/email.md)
        title_refs=Markup(attr(issue.meta.title)),
        preheader=preheader(issue),
        preheader_filler=Markup(PREHEADER_FILLER * PREHEADER_FILLER_UNITS),
        **brand,
        **context,
    )
    inline_css = render(env, "email/inline.css", **context)
    params = link_params(settings, issue)
    # no tracking parameters on the unsubscribe link (a configured URL, not a merge tag)
    document = compile_mjml(mjml_source, inline_css, params, keep=(unsubscribe,) if unsubscribe else (),
                            direction=direction)
    if preset.form == "fragment":
        html = ghost_card(issue, settings, params, context)
    elif preset.form == "content":
        html = clean_content(issue, settings, params, context)
    else:
        html = document
    warnings = list(missing_alt_warnings(issue))
    size = len(html.encode("utf-8"))
    if size > GMAIL_CLIP_BYTES and not allow_clip:
        raise RenderError(
            f"the email is {size:,} bytes, over Gmail's ~102 KB clip ({GMAIL_CLIP_BYTES:,} bytes); "
            "shorten the issue or pass --allow-clip",
            issue.path,
        )
    return EmailResult(html, document, preset, tuple(warnings), unsubscribe, view_online,
                       retina_files=dict(h.retina_files), delivered=delivered_size(html, preset))



def brand_images(issue: Issue, settings: Settings, h: EmailHtmlRenderer) -> dict[str, dict | None]:
    """``logo`` and ``header_image`` for the email layout: ``None`` or ``{"src", "alt",
    "width", "height"}`` with an absolute ``src`` and sizes in px (the logo at
    ``[brand] logo_width``, the header image at the full 600 px).

    The header image is the issue's front-matter ``image`` when it has one, else
    ``[brand] header_image``: :func:`dispatch.channels.web.header_image` decides for both the
    email and the web page."""
    from .web import brand_url, header_image

    out: dict[str, dict | None] = {"logo": None, "header_image": None}
    if settings.brand.logo:
        src, real = brand_url(settings.brand.logo, settings, issue)
        width = settings.brand.logo_width
        size = Size(real.width, real.height).fit(width) if real else Size(width)
        if real and real.width < width:
            size = Size(width, round(real.height * width / real.width) if real.height else None)
        out["logo"] = {"src": src, "alt": settings.brand.logo_alt or settings.site_name,
                       "width": size.width, "height": size.height}
    found = header_image(issue, settings)
    if found:
        src, real, alt = found
        out["header_image"] = {"src": src, "alt": alt, "width": 600,
                               "height": round(real.height * 600 / real.width) if real and real.height else None}
    return out


def link_params(settings: Settings, issue: Issue) -> dict[str, str]:
    """``[links] params`` from dispatch.toml with ``{slug}`` and ``{date}`` (YYYY-MM-DD)
    filled in for ``issue``."""
    out = {}
    for key, value in settings.links.params.items():
        out[key] = value.replace("{slug}", issue.meta.slug).replace("{date}", f"{issue.meta.date:%Y-%m-%d}")
    return out


def add_params(url: str, params: dict[str, str]) -> str:
    """Add ``params`` to ``url`` when it is a web (http/https) link.

    Merge tags, ``mailto:``/``tel:`` links, in-page anchors and relative links are returned
    unchanged (notes/email.md: never add utm_* to a merge-tag link). A parameter the URL
    already has is kept as written; the fragment stays last.
    """
    if not params or MERGE_TAG.search(url) or "dispatchmergetag" in url:
        return url
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return url
    have = {k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    extra = urlencode([(k, v) for k, v in params.items() if k not in have])
    if not extra:
        return url
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _add_params_to_hrefs(html: str, params: dict[str, str], keep: tuple[str, ...] = ()) -> str:
    def fix(m: re.Match[str]) -> str:
        url = htmllib.unescape(m.group(2))
        new = url if url in keep else add_params(url, params)
        if new == url:
            return m.group(0)
        return f"{m.group(1)}{htmllib.escape(new, quote=True)}{m.group(3)}"

    return _HREF.sub(fix, html)


#: Ghost's HTML card markers: Ghost keeps what is between them as written (notes/email.md).
GHOST_CARD = ("<!--kg-card-begin: html-->", "<!--kg-card-end: html-->")


def ghost_card(issue: Issue, settings: Settings, params: dict[str, str], context: dict) -> str:
    """The issue's body for Ghost: no masthead, preheader or footer (Ghost's newsletter
    template adds the title, its footer and the unsubscribe link), no 600 px layout tables or
    grey ground (Ghost's column is the layout), the components styled inline from the
    layout's ``email/ghost.css``, inside an HTML card so Ghost's editor keeps the markup. The
    ``postal_address`` setting, when set, ends it."""
    env = environment(settings.root, settings.layout)
    css = render(env, "email/ghost.css", **context)
    h = HtmlRenderer(url=lambda u: absolute_url(u, issue.permalink))
    body = render(env, "html/content.html", **{**context, "h": h})
    if settings.postal_address:
        body += f'<p class="postal-address" style="font-size:12px;color:#5b6675">{htmllib.escape(settings.postal_address)}</p>\n'
    html = _add_params_to_hrefs(inline(f"<div class=\"dispatch-post\">{body.strip()}</div>", css, fragment=True), params)
    return f"{GHOST_CARD[0]}\n{html.strip()}\n{GHOST_CARD[1]}\n"


class PasteHtmlRenderer(HtmlRenderer):
    """HTML that Substack's editor keeps when pasted: paragraphs, headings, lists, links,
    images, block quotes and code (its editor flattens tables and definition lists;
    notes/email.md). A Markdown table becomes a list with one item per row,
    ``Header: cell · Header: cell``."""

    def _table(self, table: Table) -> str:
        head = [str(self.inlines(c)) for c in table.head]
        items = []
        for row in table.rows:
            cells = [str(self.inlines(c)) for c in row]
            parts = [f"<strong>{head[i]}:</strong> {cell}" if i < len(head) and head[i] else cell
                     for i, cell in enumerate(cells)]
            items.append("<li>" + " · ".join(parts) + "</li>")
        return "<ul>" + "".join(items) + "</ul>"


def clean_content(issue: Issue, settings: Settings, params: dict[str, str], context: dict | None = None) -> str:
    """Clean semantic HTML for pasting into Substack's editor (it applies its own design and
    adds its own header and footer): the layout's ``paste/content.html``, whose templates use
    only the elements that editor keeps (:class:`PasteHtmlRenderer`), with absolute links
    carrying ``params``. The ``postal_address`` setting, when set, ends it."""
    env = environment(settings.root, settings.layout)
    base = issue.permalink
    h = PasteHtmlRenderer(url=lambda u: absolute_url(u, base))
    context = {**(context or {"issue": issue, "settings": settings, "section_templates": section_templates}), "h": h}
    html = render(env, "paste/content.html", **context)
    if settings.postal_address:
        html = html.rstrip() + f"\n<p>{htmllib.escape(settings.postal_address)}</p>"
    return _add_params_to_hrefs(html.strip() + "\n", params)


def missing_alt_warnings(issue: Issue) -> list[str]:
    """One warning per image without alt text, naming the file and the line that holds the
    image: a Markdown image with nothing between its brackets (``![](img/x.png)``: Markdown
    has no other way to leave it out) and a raw ``<img>`` without ``alt``. Such images are sent
    with ``alt=""`` (decorative) and the text part shows ``[image: no description]``, which is
    rarely what the writer meant; a raw ``<img alt="">`` says "decorative" and is not warned."""
    out: list[str] = []

    def warn(src: str, markdown: bool) -> None:
        line = issue.source_line(src, 0) if src else 0
        where = f"{issue.path}:{line}" if line else str(issue.path)
        how = (f"Describe it between the brackets (![what it shows]({src})), or write <img src=\"{src}\" alt=\"\"> "
               "to mark it decorative") if markdown else "Describe it, or write alt=\"\" to mark it decorative"
        out.append(f"{where}: image {src!r} has no alt text; it is sent with alt=\"\" (decorative). {how}")

    for node in issue.walk():
        if isinstance(node, Image) and not (node.alt or "").strip():
            warn(node.src, True)
        elif isinstance(node, (RawHtml, HtmlBlock)) and not (isinstance(node, HtmlBlock) and node.is_comment):
            for tag in _IMG_TAG.findall(node.html):
                if not _HAS_ALT.search(tag):
                    src = re.search(r"""\ssrc\s*=\s*["']?([^"'\s>]*)""", tag, re.I)
                    warn(src.group(1) if src else "", False)
    for section in issue.sections:  # headings are not walked as blocks
        for node in section.heading:
            if isinstance(node, Image) and not (node.alt or "").strip():
                warn(node.src, True)
    return list(dict.fromkeys(out))  # one warning per image and line


def compile_mjml(source: str, inline_css: str, params: dict[str, str] | None = None,
                 keep: tuple[str, ...] = (), direction: str = "ltr") -> str:
    """MJML → HTML with ``inline_css`` inlined; merge tags preserved byte for byte.

    After inlining: ``params`` are added to web links (:func:`add_params`) except the URLs in
    ``keep`` (the unsubscribe link), every ``<img>``
    without ``alt`` gets ``alt=""`` (MRML omits it), the preheader filler is written back as
    ASCII character references, adjacent Outlook conditional comments are merged into one,
    a right-to-left email's columns get ``text-align:right`` (MRML writes ``left`` whatever the
    direction), and the doctype premailer drops is put back.

    Raises:
        RenderError: MRML cannot parse the MJML (its message has no position).
    """
    tags: list[str] = []

    def protect(m: re.Match[str]) -> str:
        tags.append(m.group(0))
        return f"dispatchmergetag{len(tags) - 1}x"

    source = MERGE_TAG.sub(protect, source)
    try:
        try:
            html = mjml.mjml2html(_mark_fragments(source), fonts={}, disable_comments=False)
        except ValueError:  # the error as the unmarked source gives it (positions, excerpt)
            html = mjml.mjml2html(source, fonts={}, disable_comments=False)
    except ValueError as exc:
        where = re.search(r"position (\d+):(\d+)", str(exc))
        near = ""
        if where:  # MRML gives byte offsets into the compiled MJML, not template lines
            start = int(where.group(1))
            near = f" near {source.encode()[max(0, start - 40):start + 40].decode('utf-8', 'replace')!r}"
        raise RenderError(
            f"MJML could not compile the email layout: {exc}{near} (a bare '<' in a layout's text or CSS?)"
        ) from None
    html = _STYLE_OPEN.sub(r'<style data-premailer="ignore"\1>', html)
    html = _ADJACENT_MSO.sub("", html)
    if direction == "rtl":
        html = html.replace("text-align:left;direction:rtl;", "text-align:right;direction:rtl;")
    html = inline_document(html, inline_css)
    if params:
        html = _add_params_to_hrefs(html, params, keep)
    html = _IMG_TAG.sub(lambda m: m.group(0) if _HAS_ALT.search(m.group(0)) else '<img alt=""' + m.group(0)[4:], html)
    html = html.replace(_FILLER_CHARS, PREHEADER_FILLER).replace(' data-premailer="ignore"', "")
    html = re.sub(r"dispatchmergetag(\d+)x", lambda m: tags[int(m.group(1))], html)
    if not html.lstrip().lower().startswith("<!doctype"):
        html = "<!doctype html>\n" + html
    return html


#: Modules premailer (``requests``) and cssutils (``urllib.request``, ``importlib.metadata``
#: for its User-Agent) import at the top but use only to fetch a URL, a remote stylesheet or
#: an ``@import``, which dispatch never lets them do (``allow_network=False``, no ``@import``).
FETCH_ONLY = ("requests", "urllib.request", "importlib.metadata")


def _premailer():
    """premailer, imported without the modules of :data:`FETCH_ONLY` (≈ 70 ms a cold render:
    requests, urllib3, chardet, charset_normalizer, idna, http.client, ssl,
    importlib.metadata) and, until a style it has never seen needs parsing, without cssutils
    (≈ 35 ms, see :func:`_inliner`): :func:`dispatch.deferred.import_deferring`, whose
    stand-ins premailer and cssutils keep (used, each imports the real module); any later
    ``import`` of one gets the real module."""
    return import_deferring("premailer", (*FETCH_ONLY, "cssutils"))


def _cssutils():
    """cssutils, imported for real (without the modules of :data:`FETCH_ONLY`), its log
    quieted (what premailer's ``cssutils_logging_level`` does)."""
    cssutils = import_deferring("cssutils", FETCH_ONLY)
    cssutils.log.setLevel(logging.CRITICAL)
    return cssutils


#: The answer premailer's ``align_floating_images`` reads for a style without ``float``.
_NO_FLOAT = types.SimpleNamespace(float="")


class _CssutilsInTransform:
    """The ``cssutils`` premailer's ``transform`` sees while dispatch inlines: its one use
    there, ``parseStyle(img_style).float`` (``align_floating_images``), answered from the
    style's cached declarations when none of them is ``float`` (``""``, cssutils' answer
    then); any other use, and any style with a ``float``, is real cssutils'."""

    def __init__(self, declarations) -> None:
        self._declarations = declarations

    def parseStyle(self, csstext, *args, **kwargs):  # noqa: N802 - cssutils' name
        if not args and not kwargs and not any("float" in name.lower() for name, _ in self._declarations(csstext)):
            return _NO_FLOAT
        return _cssutils().parseStyle(csstext, *args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(_cssutils(), name)


_PATCH = threading.RLock()


@lru_cache(maxsize=1)
def _inliner() -> type:
    """premailer's ``Premailer``, remembering the rules it reads from each style sheet.

    Reading a sheet (cssutils parses it, then every property is serialised back) is a
    third of a warm render and ≈ 70 ms of a cold one, and the sheet is the layout's, the same
    for every render. The rules are a function of the sheet's text, its index and the
    options that shape them, so they are kept under that key: in memory (at most 32
    sheets) and, as JSON, in the user cache folder (:func:`dispatch.usercache.cache_dir`,
    ``inline-rules-<install>/<SHA-256 of the key>.json``, ``<install>`` telling premailer and
    cssutils installs apart), for the next process. Only with
    ``keep_style_tags`` (dispatch's setting): then premailer uses the rules it cannot
    inline for nothing but knowing there are some, so their count is all that is kept.

    The declarations of each style (premailer's ``csstext_to_pairs``: cssutils parses a
    style attribute or a rule's body and serialises every property back; 26 styles, about a
    quarter of a cold render's email) are kept the same way, by the style's text and
    ``validate``, in ``inline-rules-<install>/declarations.json``. While dispatch's
    ``transform`` runs (:meth:`Inliner.cached_declarations`), premailer's two module-level
    ``csstext_to_pairs`` read them and its ``cssutils`` is :class:`_CssutilsInTransform`; all
    three are premailer's own again when it returns (a lock keeps two transforms from
    interleaving), and a style never seen is parsed by premailer's own function with real
    cssutils, which is then imported. With every style known, a render imports no cssutils
    at all. The cache holds what premailer computes with cssutils' default preferences,
    which dispatch never changes.
    """
    premailer = _premailer()
    pp, ms = sys.modules.get("premailer.premailer"), sys.modules.get("premailer.merge_style")
    # the names the cache stands in for, as premailer 3.x has them; another layout: no cache
    patchable = all(hasattr(m, n) for m, n in ((pp, "csstext_to_pairs"), (ms, "csstext_to_pairs"), (pp, "cssutils")))
    own_pairs = ms.csstext_to_pairs if patchable else None

    read: dict[tuple, tuple[list, list]] = {}
    # cssutils has no version attribute (only package metadata, which costs an import), and
    # is not imported yet: the installed files' paths and modification times tell one install
    # from another
    spec = importlib.util.find_spec("cssutils")
    files = [premailer.__file__, getattr(spec, "origin", None) or ""]
    installed = [(f, os.stat(f).st_mtime_ns if f else 0) for f in files]
    versions = hashlib.sha256(repr((premailer.__version__, installed)).encode()).hexdigest()[:16]
    folder = cache_dir() / f"inline-rules-{versions}"

    def load(path: Path) -> tuple[list, list] | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            rules = [(tuple(spec), selector, bulk) for spec, selector, bulk in data["rules"]]
            return rules, [None] * int(data["leftover"])
        except Exception:  # absent, unreadable or damaged: read the sheet again
            return None

    def store(path: Path, rules: list, leftover: list) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"rules": rules, "leftover": len(leftover)}), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:  # a full or read-only cache folder only means reading the sheet again
            pass

    declared: dict[tuple[str, bool], list] = {}
    fresh: dict[tuple[str, bool], list] = {}
    declarations_file = folder / "declarations.json"
    loaded = []

    def declarations(csstext, validate=True):
        """premailer's ``csstext_to_pairs(csstext, validate)``, from the cache."""
        if not loaded:
            loaded.append(True)
            try:
                for flag, text, pairs in json.loads(declarations_file.read_text(encoding="utf-8")):
                    declared[(text, bool(flag))] = [(k, v) for k, v in pairs]
            except Exception:  # absent, unreadable or damaged: parse each style again
                pass
        key = (csstext, bool(validate))
        found = declared.get(key)
        if found is None:
            _cssutils()
            found = declared[key] = fresh[key] = list(own_pairs(csstext, validate=validate))
        return found

    # premailer's own function reads its lock as ``csstext_to_pairs._lock`` from its module,
    # where ``declarations`` stands while a transform runs
    declarations._lock = getattr(own_pairs, "_lock", None) or threading.RLock()

    class Inliner(premailer.Premailer):
        @staticmethod
        @contextmanager
        def cached_declarations():
            """premailer's ``csstext_to_pairs`` and ``cssutils`` as :func:`_inliner` says,
            for the ``with`` block; then the declarations new to the cache are stored."""
            if not patchable:
                _cssutils()  # premailer parses every style itself: real cssutils, its log quieted
                yield
                return
            with _PATCH:
                saved = pp.csstext_to_pairs, ms.csstext_to_pairs, pp.cssutils
                pp.csstext_to_pairs = ms.csstext_to_pairs = declarations
                pp.cssutils = _CssutilsInTransform(declarations)
                try:
                    yield
                finally:
                    pp.csstext_to_pairs, ms.csstext_to_pairs, pp.cssutils = saved
                if fresh:
                    entries = declared if len(declared) <= 20_000 else fresh
                    try:
                        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                        tmp = declarations_file.with_name(f"{declarations_file.name}.{os.getpid()}.tmp")
                        tmp.write_text(json.dumps([[flag, text, pairs] for (text, flag), pairs in entries.items()]),
                                       encoding="utf-8")
                        os.replace(tmp, declarations_file)
                        fresh.clear()
                    except OSError:  # a full or read-only cache folder only means parsing again
                        pass

        def _parse_style_rules(self, css_body, ruleset_index):
            key = (css_body, ruleset_index, self.strip_important, self.disable_validation,
                   self.exclude_pseudoclasses, self.include_star_selectors, self.keep_style_tags)
            found = read.get(key)
            if found is None:
                path = folder / (hashlib.sha256(repr(key).encode()).hexdigest() + ".json")
                found = load(path) if self.keep_style_tags else None
                if found is None:
                    found = super()._parse_style_rules(css_body, ruleset_index)
                    if self.keep_style_tags:
                        store(path, found[0], found[1])
                if len(read) >= 32:
                    read.clear()
                read[key] = found
            rules, leftover = found
            return list(rules), list(leftover)

    return Inliner


#: Comments marking the content of each ``mj-text`` and ``mj-table`` from the MJML through
#: MRML (which keeps comments) to :func:`inline_document`.
FRAGMENT_OPEN, FRAGMENT_CLOSE = "<!--dispatch:f-->", "<!--dispatch:/f-->"
_MJ_CONTENT = re.compile(r"""(<mj-(text|table)\b(?:[^>"']|"[^"]*"|'[^']*')*(?<!/)>)(.*?)(</mj-\2\s*>)""", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_PLACE = re.compile(r"<!--dispatch:f:(\d+)-->")
_SHEET_TAG = re.compile(r"<style\b[^>]*>", re.I)


def _mark_fragments(mjml_source: str) -> str:
    """``mjml_source`` with the content of every ``mj-text``/``mj-table`` (not inside a
    comment, holding no marker of its own) between :data:`FRAGMENT_OPEN` and
    :data:`FRAGMENT_CLOSE`."""
    if "<!--dispatch:" in mjml_source:
        return mjml_source
    comments = [m.span() for m in _COMMENT.finditer(mjml_source)]

    def mark(m: re.Match[str]) -> str:
        if any(a < m.end() and m.start() < b for a, b in comments) or "<mj-" in m.group(3):
            return m.group(0)
        return f"{m.group(1)}{FRAGMENT_OPEN}{m.group(3)}{FRAGMENT_CLOSE}{m.group(4)}"

    return _MJ_CONTENT.sub(mark, mjml_source)


#: Documents inlined, by their skeleton (the document with each fragment a placeholder) and
#: the sheet: (the inlined skeleton, each placeholder's ancestors).
_SKELETONS = LRU(8, "email: inlined skeletons")
#: Skeletons seen once (inlined whole then), by the skeleton and the sheet.
_SEEN = LRU(16, "email: skeletons seen")
#: Fragments inlined, by their text, their ancestors and the sheet.
_FRAGMENTS = LRU(512, "email: inlined fragments")
#: Whether a sheet's rules depend on an element and its ancestors alone, by the sheet.
_LOCAL = LRU(16, "email: sheets inlined by fragment")


def inline_document(html: str, css: str) -> str:
    """:func:`inline` for a whole document whose fragments are marked (:func:`_mark_fragments`),
    the markers removed; byte for byte what :func:`inline` gives the unmarked document.

    premailer's work is kept per fragment: the skeleton (the document with each fragment
    replaced by a placeholder) and each fragment (inside its ancestors' start tags, which is
    all a selector can see) are inlined apart and kept by their text, so a re-render after an
    edit inlines only the fragments the edit changed; the first time a skeleton is seen, the
    document is inlined at once (a single render pays nothing for this). That holds when what an element gets
    depends on it and its ancestors alone: no rule premailer inlines has a sibling
    combinator (``+``, ``~``), a pseudo-class (``:first-child``) or an attribute selector
    (premailer's own ``style`` changes), the document holds no sheet premailer would read
    (every ``<style>`` is ``data-premailer="ignore"``), and each fragment is balanced (its
    elements close inside it). Otherwise the whole document is inlined at once."""
    pieces = _split_fragments(html)
    if pieces is None or not _LOCAL.compute(css, lambda: _local_rules(css)):
        return inline(html.replace(FRAGMENT_OPEN, "").replace(FRAGMENT_CLOSE, ""), css)
    fragments = pieces[1::2]
    if any('data-premailer="ignore"' not in tag for tag in _SHEET_TAG.findall(html)):
        # a sheet premailer would read from the document itself: its rules reach every fragment
        return inline(html.replace(FRAGMENT_OPEN, "").replace(FRAGMENT_CLOSE, ""), css)
    skeleton = "".join(piece if i % 2 == 0 else f"<!--dispatch:f:{i // 2}-->" for i, piece in enumerate(pieces))
    if _SKELETONS.get((skeleton, css)) is None and not _SEEN.get((skeleton, css)):
        # the first sight of a skeleton: one run costs less than one per fragment (a render
        # that is not followed by another, such as `dispatch render`, pays nothing more)
        _SEEN.put((skeleton, css), True)
        return inline(html.replace(FRAGMENT_OPEN, "").replace(FRAGMENT_CLOSE, ""), css)
    done, chains = _SKELETONS.compute((skeleton, css), lambda: _inline_skeleton(skeleton, css))
    if len(chains) != len(fragments):
        return inline(html.replace(FRAGMENT_OPEN, "").replace(FRAGMENT_CLOSE, ""), css)
    out = []
    for fragment, chain in zip(fragments, chains):
        found = _FRAGMENTS.compute((fragment, chain, css), lambda: _inline_fragment(fragment, chain, css))
        if found is None:  # not balanced
            return inline(html.replace(FRAGMENT_OPEN, "").replace(FRAGMENT_CLOSE, ""), css)
        out.append(found)
    return _PLACE.sub(lambda m: out[int(m.group(1))], done)


def _split_fragments(html: str) -> list[str] | None:
    """``html`` cut at the markers: text, fragment, text, fragment… text; ``None`` when it
    has no fragment or its markers do not pair up."""
    opened = html.split(FRAGMENT_OPEN)
    if len(opened) == 1:
        return None
    pieces = [opened[0]]
    for part in opened[1:]:
        inside = part.split(FRAGMENT_CLOSE)
        if len(inside) != 2:
            return None
        pieces += inside
    return pieces


def _local_rules(css: str) -> bool:
    """Whether every rule premailer would inline from ``css`` selects by an element and its
    ancestors alone (see :func:`inline_document`)."""
    transformer = _inliner()("<html></html>", css_text=css, **_OPTIONS)
    rules, _ = transformer._parse_style_rules(css, 0)
    return not any(set(selector) & set(":+~[") for _, selector, _ in rules)


def _inline_skeleton(skeleton: str, css: str) -> tuple[str, tuple]:
    """The inlined skeleton, and for each placeholder (in order) its ancestors as
    ``((tag, ((name, value), …)), …)``, outermost first."""
    import lxml.etree

    root = lxml.etree.fromstring(skeleton.strip(), lxml.etree.HTMLParser())
    chains = []
    for comment in root.iter(lxml.etree.Comment):
        if _PLACE.fullmatch(f"<!--{comment.text}-->"):
            chain = [(e.tag, tuple(e.attrib.items())) for e in comment.iterancestors()]
            chains.append(tuple(reversed(chain)))
    return inline(skeleton, css), tuple(chains)


def _inline_fragment(fragment: str, chain: tuple, css: str) -> str | None:
    """``fragment`` inlined inside the start tags of its ancestors ``chain``; ``None`` when it
    is not balanced (the closing marker does not end up beside the opening one)."""
    import lxml.etree

    start = "".join(f"<{tag}" + "".join(f' {k}="{htmllib.escape(v, quote=True)}"' for k, v in attrs) + ">"
                    for tag, attrs in chain)
    end = "".join(f"</{tag}>" for tag, _ in reversed(chain))
    doc = f"{start}{FRAGMENT_OPEN}{fragment}{FRAGMENT_CLOSE}{end}"
    root = lxml.etree.fromstring(doc, lxml.etree.HTMLParser())
    marks = [c for c in root.iter(lxml.etree.Comment) if c.text in ("dispatch:f", "dispatch:/f")]
    if len(marks) != 2 or marks[0].getparent() is not marks[1].getparent() or \
            [e.tag for e in reversed(list(marks[0].iterancestors()))] != [tag for tag, _ in chain]:
        return None
    out = inline(doc, css)
    a, b = out.find(FRAGMENT_OPEN), out.rfind(FRAGMENT_CLOSE)
    if a < 0 or b < a:
        return None
    return out[a + len(FRAGMENT_OPEN):b]


#: premailer's options (notes/email.md).
_OPTIONS = dict(
    keep_style_tags=True,
    strip_important=False,
    allow_network=False,
    remove_classes=False,
    disable_validation=True,
    exclude_pseudoclasses=True,
    disable_leftover_css=True,
    # "img { height: auto }" would become the invalid attribute height="auto"
    # and MJML's width:100% on mj-image would replace its width="600" (what Outlook reads)
    disable_basic_attributes=["height", "width"],
)


def inline(html: str, css: str, *, fragment: bool = False) -> str:
    """Inline ``css`` into ``html`` with premailer, configured as notes/email.md requires.
    ``fragment``: ``html`` is one element, not a document; the element is returned."""
    logging.getLogger("cssutils").setLevel(logging.CRITICAL)
    logging.getLogger("CSSUTILS").setLevel(logging.CRITICAL)
    inliner = _inliner()
    transformer = inliner(html, css_text=css, **_OPTIONS)
    with inliner.cached_declarations():
        out = transformer.transform(pretty_print=False)
    if fragment:
        m = re.search(r"<body[^>]*>(.*)</body>", out, re.S)
        return m.group(1) if m else out
    return out


def delivered_size(html: str, preset: Platform) -> int:
    """An estimate of the bytes of ``html`` as the platform delivers it, which is what Gmail's
    ≈102 KB clip measures: every web link (``href`` of http(s), not ``mailto:``, in-page
    anchors or merge tags) rewritten by click tracking to ``preset.click_url_chars``
    characters, every merge tag filled in with a URL of that length, and the open-tracking
    image added (``preset.open_pixel_bytes``). A link already longer is counted as written.

    Returns:
        bytes (UTF-8).
    """
    total = len(html.encode("utf-8")) + preset.open_pixel_bytes
    for m in _HREF.finditer(html):
        href = m.group(2)
        if MERGE_TAG.fullmatch(href.strip()) or re.match(r"https?://", href, re.I):
            total += max(0, preset.click_url_chars - len(href.encode("utf-8")))
    return total


def delivered_report(html: str, preset: Platform) -> str:
    """One line: the delivered-size estimate of ``html`` for ``preset`` against the clip, e.g.
    ``"≈ 44,120 bytes delivered by mailchimp with click tracking (42% of the clip)"``."""
    size = delivered_size(html, preset)
    return f"≈ {size:,} bytes delivered by {preset.name} with click tracking ({size * 100 // GMAIL_CLIP_BYTES}% of the clip)"


def delivered_by_platform(issue: Issue, settings: Settings) -> dict[str, int]:
    """The delivered-size estimate (:func:`delivered_size`, bytes) of ``issue``'s email on
    every platform, each in that platform's own HTML form: platform name → bytes."""
    out = {}
    for name, preset in PLATFORMS.items():
        out[name] = delivered_size(render_email(issue, settings, name, allow_clip=True).html, preset)
    return out


def clip_report(size: int) -> str:
    """The size line for the report: ``size`` bytes against Gmail's clip, e.g.
    ``"37,323 bytes (36% of Gmail's ~102 KB clip)"``."""
    return f"{size:,} bytes ({size * 100 // GMAIL_CLIP_BYTES}% of Gmail's ~102 KB clip)"


def write_hint(path: Path, size: int, delivered: int = 0, platform: str = "") -> str | None:
    """A warning line when an email of ``size`` bytes, or its ``delivered`` estimate for
    ``platform`` (:func:`delivered_size`: links rewritten by click tracking), is over
    :data:`WARN_BYTES` (90 KB) or over Gmail's clip (:data:`GMAIL_CLIP_BYTES`; ``size`` over it
    is only reached with ``--allow-clip``)."""
    kb = f"{size:,} bytes ({size / 1024:.1f} KB)"
    tracked = (f"{size:,} bytes here, ≈ {delivered:,} bytes ({delivered / 1024:.1f} KB) once "
               f"{platform or 'the platform'}'s click tracking rewrites its links,")
    if size > GMAIL_CLIP_BYTES:
        return (f"{path}: {kb} is over Gmail's ~102 KB clip ({GMAIL_CLIP_BYTES:,} bytes); "
                "Gmail readers will see '[Message clipped]'")
    if delivered > GMAIL_CLIP_BYTES:
        return (f"{path}: {tracked} is over Gmail's ~102 KB clip ({GMAIL_CLIP_BYTES:,} bytes): Gmail readers lose "
                "the end, the unsubscribe link with it; shorten the issue or turn click tracking off")
    if size > WARN_BYTES:
        return f"{path}: {kb} is close to Gmail's ~102 KB clip ({GMAIL_CLIP_BYTES:,} bytes); consider shortening"
    if delivered > WARN_BYTES:
        return (f"{path}: {tracked} close to Gmail's ~102 KB clip ({GMAIL_CLIP_BYTES:,} bytes); "
                "consider shortening")
    return None
