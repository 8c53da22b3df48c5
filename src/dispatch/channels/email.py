"""The email channel: Issue → paste-ready HTML email.

Pipeline: layout ``email/issue.mjml`` (Jinja2) → MJML compiled by mjml-python (MRML) →
the layout's ``email/inline.css`` inlined by premailer. The traps of that pipeline are in
notes/email.md; each is handled here:

* ``fonts={}`` so MRML adds no Google Fonts ``<link>`` (no network at render or open time);
* MRML's own ``<style>`` blocks and the layout's ``head.css`` (media queries, dark mode,
  Outlook.com ``[data-ogsc]`` rules) are marked ``data-premailer="ignore"``: kept verbatim,
  never inlined (inlining MRML's reset onto every cell costs ~30 % in bytes);
* premailer runs with ``allow_network=False``, ``strip_important=False``,
  ``keep_style_tags=True`` and no ``base_url``; cssutils' logger is silenced;
* merge tags (``*|UNSUB|*``, ``{{ unsubscribe_url }}``, ``%%{unsubscribe_url}%%``…) are swapped
  for inert tokens around MRML and premailer and restored byte for byte;
* the lowercase ``<!doctype html>`` premailer drops is put back.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import mjml

from ..config import Settings
from ..errors import RenderError
from ..layout import environment, render, section_templates
from ..model import Issue
from .html import HtmlRenderer

#: Gmail clips a message body over about 102 KB (Google's documented threshold).
GMAIL_CLIP_BYTES = 102 * 1024
#: Above this the run warns that the email is getting close to the clip.
WARN_BYTES = 90 * 1024
#: Preheader length inboxes show, in characters.
PREHEADER_CHARS = 90

_MERGE_TAG = re.compile(r"\*\|[A-Z0-9_:]+\|\*|\{\{\s*[\w.]+\s*\}\}|%%\{?[\w.]+\}?%%|\{\$[\w]+\}|\[[A-Z_]+\]")
_STYLE_OPEN = re.compile(r"<style(?![^>]*data-premailer)([^>]*)>", re.I)


@dataclass(frozen=True)
class EmailResult:
    """The rendered email: ``html`` (str) and its UTF-8 size in ``bytes``."""

    html: str

    @property
    def bytes(self) -> int:
        """Size of the HTML in UTF-8 bytes (what Gmail's clip counts)."""
        return len(self.html.encode("utf-8"))


def preheader(issue: Issue) -> str:
    """The inbox preview text: front matter ``preheader``, else the Bottom Line, else the
    summary; cut at a word boundary to at most :data:`PREHEADER_CHARS` characters (with "…")."""
    text = issue.meta.preheader or issue.bottom_line or issue.summary
    text = " ".join(text.split())
    if len(text) <= PREHEADER_CHARS:
        return text
    cut = text[: PREHEADER_CHARS - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:—–-") + "…"


def render_email(issue: Issue, settings: Settings) -> EmailResult:
    """Render ``issue`` as a complete HTML email document.

    Returns:
        :class:`EmailResult`.

    Raises:
        RenderError: the layout is missing a template, a template is broken, or MJML
            rejects the compiled layout.
    """
    env = environment(settings.root, settings.layout)
    base = issue.permalink
    h = HtmlRenderer(url=lambda u: _absolute(u, base), classes={"table": "md-table"})
    h.url  # the templates call h.url(...) for component links
    mjml_source = render(
        env,
        "email/issue.mjml",
        issue=issue,
        settings=settings,
        preheader=preheader(issue),
        h=h,
        dir="rtl" if issue.meta.lang.split("-")[0] in ("ar", "he", "fa", "ur") else "ltr",
        dateline=f"{issue.meta.date:%-d %B %Y}",
        view_online=issue.permalink,
        unsubscribe="",
        section_templates=section_templates,
    )
    inline_css = env.loader.get_source(env, "email/inline.css")[0]  # type: ignore[union-attr]
    return EmailResult(compile_mjml(mjml_source, inline_css))


def compile_mjml(source: str, inline_css: str) -> str:
    """MJML → HTML with ``inline_css`` inlined; merge tags preserved byte for byte.

    Raises:
        RenderError: MRML cannot parse the MJML (its message has no position).
    """
    tags: list[str] = []

    def protect(m: re.Match[str]) -> str:
        tags.append(m.group(0))
        return f"dispatchmergetag{len(tags) - 1}x"

    source = _MERGE_TAG.sub(protect, source)
    try:
        html = mjml.mjml2html(source, fonts={}, disable_comments=False)
    except ValueError as exc:
        raise RenderError(f"MJML could not compile the email layout: {exc}") from None
    html = _STYLE_OPEN.sub(r'<style data-premailer="ignore"\1>', html)
    html = inline(html, inline_css)
    html = re.sub(r"dispatchmergetag(\d+)x", lambda m: tags[int(m.group(1))], html)
    if not html.lstrip().lower().startswith("<!doctype"):
        html = "<!doctype html>\n" + html
    return html


def inline(html: str, css: str) -> str:
    """Inline ``css`` into ``html`` with premailer, configured as notes/email.md requires."""
    import premailer

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
    )
    return transformer.transform(pretty_print=False)


def _absolute(url: str, base: str) -> str:
    if not url or url.startswith(("#", "mailto:", "tel:")) or _MERGE_TAG.fullmatch(url):
        return url
    return urljoin(base, url)


def write_hint(path: Path, size: int) -> str | None:
    """A warning line when an email of ``size`` bytes nears or passes Gmail's clip."""
    if size > GMAIL_CLIP_BYTES:
        return f"{path}: {size / 1024:.1f} KB is over Gmail's ~102 KB clip; readers will see '[Message clipped]'"
    if size > WARN_BYTES:
        return f"{path}: {size / 1024:.1f} KB is close to Gmail's ~102 KB clip; consider shortening"
    return None
