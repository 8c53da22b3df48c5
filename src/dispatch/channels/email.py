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

import html as htmllib
import importlib
import logging
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import mjml
from markupsafe import Markup

from ..config import Settings
from ..errors import RenderError
from ..layout import environment, render, section_templates
from ..model import HtmlBlock, Image, Issue, RawHtml
from ..platforms import MERGE_TAG, PLATFORMS, Platform
from ..textutil import human_date
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
    """

    html: str
    document: str = ""
    platform: Platform = PLATFORMS["generic"]
    warnings: tuple[str, ...] = ()
    unsubscribe: str = ""
    view_online: str = ""

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
    h = HtmlRenderer(url=lambda u: absolute_url(u, base), classes={"table": "md-table"})
    unsubscribe = preset.unsubscribe or (settings.unsubscribe_url if preset.name == "generic" else "")
    view_online = preset.view_online or issue.permalink
    mjml_source = render(
        env,
        "email/issue.mjml",
        issue=issue,
        # MRML copies the title into aria-label with Rust debug escaping (a ZWJ becomes the
        # text "\\u{200d}"); character references pass through it intact (notes/email.md)
        title_refs=Markup(attr(issue.meta.title)),
        settings=settings,
        preheader=preheader(issue),
        preheader_filler=Markup(PREHEADER_FILLER * PREHEADER_FILLER_UNITS),
        h=h,
        dir=text_direction(issue.meta.lang),
        dateline=human_date(issue.meta.date, settings.tz),
        view_online=view_online,
        unsubscribe=unsubscribe,
        platform=preset,
        section_templates=section_templates,
    )
    inline_css = env.loader.get_source(env, "email/inline.css")[0]  # type: ignore[union-attr]
    params = link_params(settings, issue)
    # no tracking parameters on the unsubscribe link (a configured URL, not a merge tag)
    document = compile_mjml(mjml_source, inline_css, params, keep=(unsubscribe,) if unsubscribe else ())
    if preset.form == "fragment":
        html = body_fragment(document)
    elif preset.form == "content":
        html = clean_content(issue, settings, params)
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
    return EmailResult(html, document, preset, tuple(warnings), unsubscribe, view_online)


def text_direction(lang: str) -> str:
    """``"rtl"`` for right-to-left scripts (Arabic, Hebrew, Persian, Urdu…), else ``"ltr"``
    (for ``<html dir>``, WCAG 2.1 H56)."""
    return "rtl" if lang.split("-")[0].lower() in _RTL else "ltr"


_RTL = ("ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb")


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


def body_fragment(document: str) -> str:
    """The inside of ``<body>`` of ``document`` without the hidden preheader: the form Ghost
    wants (it wraps the post in its own newsletter template and preview text). The body's own
    inline style (background) moves onto a wrapping ``<div>``."""
    m = re.search(r"<body([^>]*)>(.*)</body>", document, re.S | re.I)
    if m is None:  # pragma: no cover - compile_mjml always writes a body
        return document
    inner = re.sub(r'<div class="preheader".*?</div>', "", m.group(2), count=1, flags=re.S)
    style = re.search(r'style="([^"]*)"', m.group(1))
    return f'<div class="dispatch-email" style="{style.group(1) if style else ""}">{inner}</div>\n'


def clean_content(issue: Issue, settings: Settings, params: dict[str, str]) -> str:
    """Clean semantic HTML (headings, paragraphs, lists; no layout tables, no styles) for
    pasting into an editor that applies its own design (Substack): the layout's
    ``html/content.html`` with absolute links carrying ``params``."""
    env = environment(settings.root, settings.layout)
    base = issue.permalink
    h = HtmlRenderer(url=lambda u: absolute_url(u, base))
    html = render(env, "html/content.html", issue=issue, settings=settings, h=h,
                  section_templates=section_templates)
    return _add_params_to_hrefs(html.strip() + "\n", params)


def missing_alt_warnings(issue: Issue) -> list[str]:
    """One warning per image whose source has no ``alt`` at all (``Image.alt is None``, or a
    raw ``<img>`` without ``alt``), naming the file and the line that holds the image. Such
    images are rendered with ``alt=""`` (decorative), which is rarely what the author meant."""
    out: list[str] = []

    def warn(src: str) -> None:
        line = issue.source_line(src, 0) if src else 0
        where = f"{issue.path}:{line}" if line else str(issue.path)
        out.append(f"{where}: image {src!r} has no alt text; it is sent with alt=\"\" (decorative). "
                   "Describe it, or write alt=\"\" to mark it decorative")

    for node in issue.walk():
        if isinstance(node, Image) and node.alt is None:
            warn(node.src)
        elif isinstance(node, (RawHtml, HtmlBlock)) and not (isinstance(node, HtmlBlock) and node.is_comment):
            for tag in _IMG_TAG.findall(node.html):
                if not _HAS_ALT.search(tag):
                    src = re.search(r"""\ssrc\s*=\s*["']?([^"'\s>]*)""", tag, re.I)
                    warn(src.group(1) if src else "")
    for section in issue.sections:  # headings are not walked as blocks
        for node in section.heading:
            if isinstance(node, Image) and node.alt is None:
                warn(node.src)
    return list(dict.fromkeys(out))  # one warning per image and line


def compile_mjml(source: str, inline_css: str, params: dict[str, str] | None = None,
                 keep: tuple[str, ...] = ()) -> str:
    """MJML → HTML with ``inline_css`` inlined; merge tags preserved byte for byte.

    After inlining: ``params`` are added to web links (:func:`add_params`) except the URLs in
    ``keep`` (the unsubscribe link), every ``<img>``
    without ``alt`` gets ``alt=""`` (MRML omits it), the preheader filler is written back as
    ASCII character references, and the doctype premailer drops is put back.

    Raises:
        RenderError: MRML cannot parse the MJML (its message has no position).
    """
    tags: list[str] = []

    def protect(m: re.Match[str]) -> str:
        tags.append(m.group(0))
        return f"dispatchmergetag{len(tags) - 1}x"

    source = MERGE_TAG.sub(protect, source)
    try:
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
    html = inline(html, inline_css)
    if params:
        html = _add_params_to_hrefs(html, params, keep)
    html = _IMG_TAG.sub(lambda m: m.group(0) if _HAS_ALT.search(m.group(0)) else '<img alt=""' + m.group(0)[4:], html)
    html = html.replace(_FILLER_CHARS, PREHEADER_FILLER).replace(' data-premailer="ignore"', "")
    html = re.sub(r"dispatchmergetag(\d+)x", lambda m: tags[int(m.group(1))], html)
    if not html.lstrip().lower().startswith("<!doctype"):
        html = "<!doctype html>\n" + html
    return html


class _Deferred(types.ModuleType):
    """Stands in for a module that an import names but that may never be used: the first
    attribute read imports the real module (then in ``sys.modules``) and reads it there."""

    def __getattr__(self, name: str):
        return getattr(importlib.import_module(self.__name__), name)


def _premailer():
    """premailer, imported without importing ``requests``: premailer imports it at the top
    but uses it only to fetch external stylesheets, which dispatch never lets it do
    (``allow_network=False``). While premailer is imported, ``requests`` is a
    :class:`_Deferred` stand-in (premailer keeps it: used, it imports the real one); any
    later ``import requests`` gets the real module. Saves ≈ 60 ms a cold render
    (requests, urllib3, chardet, charset_normalizer, idna)."""
    if "premailer" in sys.modules or "requests" in sys.modules:
        import premailer

        return premailer
    stand_in = sys.modules["requests"] = _Deferred("requests")
    try:
        import premailer
    finally:
        if sys.modules.get("requests") is stand_in:
            del sys.modules["requests"]
    return premailer


def inline(html: str, css: str) -> str:
    """Inline ``css`` into ``html`` with premailer, configured as notes/email.md requires."""
    premailer = _premailer()
    logging.getLogger("cssutils").setLevel(logging.CRITICAL)
    logging.getLogger("CSSUTILS").setLevel(logging.CRITICAL)
    transformer = premailer.Premailer(
        html,
        css_text=css,
        keep_style_tags=True,
        strip_important=False,
        allow_network=False,
        remove_classes=False,
        disable_validation=True,
        cssutils_logging_level=logging.CRITICAL,
        exclude_pseudoclasses=True,
        disable_leftover_css=True,
        # "img { height: auto }" would become the invalid attribute height="auto"
        disable_basic_attributes=["height"],
    )
    return transformer.transform(pretty_print=False)


def clip_report(size: int) -> str:
    """The size line for the report: ``size`` bytes against Gmail's clip, e.g.
    ``"37,323 bytes (36% of Gmail's ~102 KB clip)"``."""
    return f"{size:,} bytes ({size * 100 // GMAIL_CLIP_BYTES}% of Gmail's ~102 KB clip)"


def write_hint(path: Path, size: int) -> str | None:
    """A warning line when an email of ``size`` bytes is over :data:`WARN_BYTES` (90 KB) or
    over Gmail's clip (:data:`GMAIL_CLIP_BYTES`, only reached with ``--allow-clip``)."""
    if size > GMAIL_CLIP_BYTES:
        return (f"{path}: {size:,} bytes ({size / 1024:.1f} KB) is over Gmail's ~102 KB clip ({GMAIL_CLIP_BYTES:,} bytes); "
                "Gmail readers will see '[Message clipped]'")
    if size > WARN_BYTES:
        return (f"{path}: {size:,} bytes ({size / 1024:.1f} KB) is close to Gmail's ~102 KB clip ({GMAIL_CLIP_BYTES:,} bytes); "
                "consider shortening")
    return None
