"""One parse: an issue file → :class:`dispatch.model.Issue`.

The body (with section headings marked by :mod:`dispatch.source`) goes through
Python-Markdown once, with the ``tables``, ``fenced_code`` and ``footnotes`` extensions.
A tree processor running last captures the finished ElementTree, which is walked into typed
blocks and inlines; raw HTML that Python-Markdown stashed is restored as
:class:`~dispatch.model.HtmlBlock`/:class:`~dispatch.model.RawHtml`. The marked headings
cut the top-level blocks into sections, and the component registry turns matching sections
into typed component data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import re
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import markdown
from markdown.extensions import Extension
from markdown.extensions.attr_list import AttrListTreeprocessor
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE, AtomicString

from .activehtml import Removed, clean_html, clean_inlines, unsafe_url
from .components import ComponentError, Registry, SectionDraft, default_registry
from .config import Settings
from .deferred import fenced_code_extension
from .errors import SourceError, SourceErrors
from .assets import site_path, unpublishable
from .images import COLUMN_PX
from .attachments import feature_key_warnings, read_attachments
from .frontmatter import read_front_matter
from .inlinehtml import KeptAsText, settle
from .markdown_inline import install as install_prefiltered_inline
from .limits import (MarkdownTooSlow, check_body, escape_unmatched_brackets, markdown_budget, read_issue_bytes,
                     slow_line)
from .mdlists import ListSyntaxExtension
from .memo import LRU
from .model import (
    Block, Code, CodeBlock, Emph, FootnoteRef, Footnotes, Heading, HtmlBlock, Image, Inline,
    FrontMatter, Issue, LineBreak, Link, ListBlock, Paragraph, Quote, RawHtml, Rule, Section, Strong, Table, Text,
)
from .source import MARK_CLOSE, MARK_OPEN, MARK_RE, RawSection, SourceFile, scan_lines, read_source
from .textutil import URL_RE, plain_text, slugify

#: fenced_code without codehilite's Pygments import (:func:`dispatch.deferred.fenced_code_extension`)
FencedCodeExtension = fenced_code_extension()
_STASH = re.compile("\x02wzxhzdk:(\\d+)\x03")
_NODE_PLACEHOLDER = re.compile("\x02klzzwxh:(\\d+)\x03")
_FOOTNOTE_JUNK = re.compile(r"\x02?(?:qq\d+zz|zz\d+qq)\x03?")
_FENCED = re.compile(r'^<pre(?: [^>]*)?><code(?: class="(?:language-)?([^"\s]*)[^"]*")?>(.*)</code></pre>\s*$', re.S)
_ONE_TAG = re.compile(r"<[^<>\n]*>")
_ENTITY = re.compile(r"^&(#\d+|#x[0-9a-fA-F]+|\w+);$")
_IMG_TAG = re.compile(r"""<img\b(?:[^<>"']|"[^"]*"|'[^']*')*>""", re.I)
_IMG_SRC = re.compile(r"""\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>]+))""", re.I)
_IMG_ALT = re.compile(r"""\salt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>]+))""", re.I)


class _Captured(Exception):
    """Raised by :class:`_Capture` once the tree is finished: what ``Markdown.convert`` does
    after it (serialising the tree to HTML, the postprocessors) is never used."""


class _Capture(Treeprocessor):
    def run(self, root: ET.Element) -> None:
        self.md.captured_root = root  # type: ignore[attr-defined]
        raise _Captured


class _ImageAttrs(AttrListTreeprocessor):
    """Python-Markdown's attr_list, for images only: ``![alt](src){width=300}`` sets the
    ``<img>``'s attributes (read by :meth:`_Walker.image`); a ``{…}`` after anything else
    stays text, as before, so prose with braces is never eaten."""

    #: The block right after the image, up to its first ``}`` (attr_list's own pattern runs to
    #: the line's last ``}`` and puts the text between back in the wrong order).
    BLOCK = re.compile(r"\{:?[ ]*([^}\n ][^}\n]*)\}")

    def run(self, doc: ET.Element) -> None:
        for elem in doc.iter("img"):
            m = self.BLOCK.match(elem.tail or "")
            if m:
                self.assign_attrs(elem, m.group(1))
                elem.set("data-attrs", m.group(0))
                elem.tail = elem.tail[m.end():]


class _ImageAttrsExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_ImageAttrs(md), "dispatch-image-attrs", 8)  # attr_list's own place


class _CaptureExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_Capture(md), "dispatch-capture", -1000)


class _BareUrl(InlineProcessor):
    """A bare ``http(s)://`` URL in prose becomes a link to itself, as every sending platform
    does (Python-Markdown links only ``<https://…>``). The URL rule is :data:`URL_RE`
    (trailing punctuation stays outside). Runs after raw HTML and entities (priority 75 <
    80), so a URL inside a tag's attribute is left alone; never inside a link or code."""

    ANCESTOR_EXCLUDES = ("a",)
    NEEDS = ("://",)  # every match holds it: dispatch.markdown_inline skips a text without

    def handleMatch(self, m: re.Match[str], data: str):  # noqa: N802 - Python-Markdown's name
        opened = False  # inside raw <a …>…</a> HTML, the author made the link already
        nodes = getattr(self.md.treeprocessors["inline"], "stashed_nodes", {})
        for placeholder in _NODE_PLACEHOLDER.finditer(data, 0, m.start(0)):
            node = nodes.get(placeholder.group(1))
            raw = _STASH.sub(lambda s: str(self.md.htmlStash.rawHtmlBlocks[int(s.group(1))]),
                             node) if isinstance(node, str) else ""
            if re.match(r"<a[\s>]", raw, re.I):
                opened = True
            elif re.match(r"</a\s*>", raw, re.I):
                opened = False
        if opened:
            return None, None, None
        link = ET.Element("a")
        link.set("href", m.group(0))
        link.text = AtomicString(m.group(0))
        return link, m.start(0), m.end(0)


class _BareUrlExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802
        # placeholders (\x02…\x03) of stashed HTML and nodes are never part of a URL
        pattern = URL_RE.pattern.replace(r"[^\s", r"[^\x02\x03\s")
        md.inlinePatterns.register(_BareUrl(pattern, md), "dispatch-bare-url", 75)



def new_markdown() -> markdown.Markdown:
    """A Python-Markdown instance configured as dispatch reads Markdown: the ``tables``,
    ``fenced_code``, ``footnotes`` (``UNIQUE_IDS`` off) and ``sane_lists`` extensions, lists read by
    CommonMark's rules (:mod:`dispatch.mdlists`) and bare-URL links (:class:`_BareUrl`), given
    as instances so Python-Markdown does not scan every installed package's entry points
    for their names (≈ 20 ms a process); ``\\<`` is an escape (a literal ``<``)."""
    md = markdown.Markdown(
        extensions=[TableExtension(), FencedCodeExtension(), FootnoteExtension(UNIQUE_IDS=False),
                    SaneListExtension(), ListSyntaxExtension(), _BareUrlExtension(), _ImageAttrsExtension(),
                    _CaptureExtension()],
    )
    md.ESCAPED_CHARS = [*md.ESCAPED_CHARS, "<"]  # \<T> writes a literal '<', as in CommonMark
    install_prefiltered_inline(md)  # the same tree, a third faster (dispatch.markdown_inline)
    return md


def parse_issue(path: Path | str, settings: Settings, registry: Registry | None = None, *,
                data: bytes | None = None, md: markdown.Markdown | None = None,
                source: SourceFile | None = None) -> Issue:
    """Parse one issue file into the document model.

    Args:
        path: the Markdown file.
        settings: the newsletter's settings (time zone, base URL, component aliases).
        registry: components to recognise (default: the built-in ones plus configured aliases).
        data: the file's bytes, when already read (the archive build reads each source once).
        md: a Markdown instance from :func:`new_markdown` to reuse (it is reset first); by
            default a new one.
        source: the file as :func:`~dispatch.source.read_source` split it with these
            settings and ``registry`` (the archive build reads it once), else it is read.

    Raises:
        SourceError: unreadable file or front matter, bad key types or dates, an empty body, or
            a component section that cannot be parsed (naming the section's heading line).
            Every problem of the file is found in one pass: several raise one
            :class:`~dispatch.errors.SourceErrors` holding each, in line order (a bad ``draft``
            does not hide a bad date, nor front matter a component's problem).
    """
    path = Path(path)
    limits = settings.limits
    registry = registry or default_registry(settings.components.aliases)
    raw = data if data is not None else read_issue_bytes(path, settings.root, limits.issue_bytes)
    src = source or read_source(path, root=settings.root, max_bytes=limits.issue_bytes,
                                source_format=settings.source.format, registry=registry, data=raw)
    meta, errors = read_front_matter(src, settings)
    try:
        issue = _parse_body(path, src, meta, raw, registry, settings, md)
    except SourceErrors as exc:
        errors = [*errors, *exc.errors]
    except SourceError as exc:
        errors = [*errors, exc]
    if errors:
        raise errors[0] if len(errors) == 1 else SourceErrors(errors)
    return issue


def _parse_body(path: Path, src: SourceFile, meta: FrontMatter, raw: bytes, registry: Registry,
                settings: Settings, md: markdown.Markdown | None) -> Issue:
    """The body of :func:`parse_issue`: Markdown, then the sections and components."""
    limits = settings.limits
    body_lines = src.body.split("\n")
    in_code = [True] * (src.body_line - 1) + [code for _, _, code in scan_lines(body_lines)]
    try:
        check_body(src.text.split("\n"), 1, path, limits.nesting, limits.grapheme_chars, in_code)
    except SourceError as exc:  # a plain-text briefing's Markdown has lines of its own
        exc.line = src.file_line(exc.line or 1)
        raise
    md = md.reset() if md is not None else _thread_markdown()
    walker = dict(folder=path.parent, root=settings.root, base_url=settings.base_url)
    try:
        with markdown_budget(md, limits.markdown_seconds):
            body = _read_body(md, escape_unmatched_brackets(_protect_merge_tags(src.body)), len(src.sections),
                              limits.nesting, walker)
        issue = _assemble(path, src, meta, registry, body, settings)
        issue.__dict__["_source_lines"] = raw.decode("utf-8", "replace").splitlines()  # not read again
        return issue
    except MarkdownTooSlow as exc:
        raise SourceError(f"reading this paragraph's Markdown took more than {limits.markdown_seconds:g} s "
                          "([limits] markdown_seconds); it is likely a long run of '[', '![' or '[^' - escape "
                          "them as \\[ or put them in a code span", path,
                          src.file_line(slow_line(exc.text, body_lines, src.body_line))) from None
    except (RecursionError, _TooDeep):
        depth = limits.nesting
        deep = re.compile(r"^(?:\s*>){%d}|^\s{%d}" % (depth, depth * 2))
        line = src.file_line(next((src.body_line + i for i, text in enumerate(body_lines) if deep.match(text)),
                                  src.body_line))
        raise SourceError(f"quotes or lists are nested too deeply (more than {depth} levels, [limits] nesting); "
                          "flatten them", path, line) from None


_MAILCHIMP_TAG = re.compile(r"(?<!\\)\*\|([A-Z0-9_:]+)\|\*")


_PERSONAL_TAG = re.compile(r"\*\|[A-Z0-9_:]+\|\*|\{\{\s*[\w.]+\s*\}\}|%%\{?[\w.]+\}?%%")


def _merge_tag_warnings(src: SourceFile) -> list[str]:
    """Warn where the body uses a merge tag: only the sending platform fills it in, so the
    feeds, the web page and the threads show it as written."""
    out = []
    for i, line, in_code in scan_lines(src.body.split("\n")):
        if in_code:
            continue
        for m in _PERSONAL_TAG.finditer(line):
            out.append(f"{src.path}:{src.file_line(src.body_line + i)}: merge tag {m.group(0)} is filled in only by the email "
                       "platform; feeds, the web page and threads show it as written")
    title = str(src.front.data.get("title") or src.title or "")
    if _PERSONAL_TAG.search(title):
        out.insert(0, f"{src.path}:{src.front.lines.get('title', src.title_line or 1)}: the title has a merge tag; "
                      "subjects, feeds and threads show it as written")
    return out


def _image_notes(path: Path, src: SourceFile, notes: list[tuple[str, str, str, bool]]
                 ) -> tuple[list[SourceError], list[str]]:
    """The walker's image attribute notes as errors and ``path:line`` warnings, each at the
    line that holds the image's ``(src){…}``."""
    lines = src.text.split("\n")
    errors, warnings = [], []
    for image_src, block, message, is_error in notes:
        number = next((n for n, text in enumerate(lines, 1) if image_src in text and block in text),
                      next((n for n, text in enumerate(lines, 1) if image_src and image_src in text), 1))
        line = src.file_line(number)
        if is_error:
            errors.append(SourceError(message, path, line))
        else:
            warnings.append(f"{path}:{line}: {message}")
    return errors, warnings


def _protect_merge_tags(body: str) -> str:
    """Escape Mailchimp merge tags (``*|FNAME|*``) so Markdown does not read their stars as
    emphasis; other platforms' tags (``{{ x }}``, ``%%{x}%%``) need no protection."""
    return _MAILCHIMP_TAG.sub(r"\\*|\1|\\*", body)


_local = threading.local()


def _thread_markdown() -> markdown.Markdown:
    """This thread's Markdown instance (:func:`new_markdown`, made once per thread and reset
    before each use): the preview server renders in several threads."""
    md = getattr(_local, "md", None)
    if md is None:
        md = _local.md = new_markdown()
        return md
    return md.reset()


@dataclass
class _Body:
    """An issue body read into model blocks: ``lead``, ``drafts`` (section index, heading
    inlines, body blocks), ``footnotes``, and what the walk noted, in order: ``kept``
    (``<…>`` kept as text), ``removed`` (active HTML), ``images`` (``(src, message)``)."""

    lead: list[Block] = field(default_factory=list)
    drafts: list[tuple[int, tuple[Inline, ...], list[Block]]] = field(default_factory=list)
    footnotes: Footnotes | None = None
    kept: list[KeptAsText] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)
    images: list[tuple[str, str]] = field(default_factory=list)
    image_notes: list[tuple[str, str, str, bool]] = field(default_factory=list)


#: What makes a part of a body read differently alone than inside the whole body: a
#: footnote (numbered across the issue, its notes collected at the end), a link reference
#: definition (``[id]: url``, usable from any section), or a line opening with ``<`` (a raw
#: HTML block may run on over a heading).
_NOT_ALONE = re.compile(r"\[\^|^[ \t]*\[[^\]\n]*\]:|^[ \t]*<", re.M)
#: Section-sized parts of bodies, read (Python-Markdown, then the walk into the model):
#: (text, nesting limit, the walk's folder, root and base URL) → (heading inlines or None,
#: blocks, kept, removed, images, image notes). Whole sections are model values, so a re-render after an
#: edit reads only the section the edit is in. A part with an image is not kept: whether
#: the image can be published is read from the file system.
_PIECES = LRU(512, "parse: body parts")


def _read_body(md: markdown.Markdown, body: str, sections: int, nesting: int, where: dict) -> _Body:
    """Read ``body`` (headings marked, :mod:`dispatch.source`) into model blocks; ``where``
    holds the :class:`_Walker`'s ``folder``, ``root`` and ``base_url``.

    The body is cut before each section heading and each part is read on its own (and kept,
    by its text, in :data:`_PIECES`) when that reads exactly as the whole body does: no part
    uses what another defines (:data:`_NOT_ALONE`), every heading opens a block (a blank
    line before it), and every part turns out to be its heading and its blocks. Otherwise
    the whole body is read at once."""
    parts = _parts(body, sections)
    if parts is not None:
        out = _Body()
        place = (nesting, str(where["folder"]), str(where["root"]), where["base_url"])
        for index, text in enumerate(parts):
            key = (MARK_RE.sub(f"{MARK_OPEN}0{MARK_CLOSE}", text, 1) if index else text, place)
            found = _PIECES.get(key)
            if found is None:
                found = _read_part(md, key[0], index > 0, nesting, where)
                if found is None:
                    break
                if not found[-1]:
                    _PIECES.put(key, found[:-1])
            heading, blocks, kept, removed, images, notes = found[:6]
            if index:
                out.drafts.append((index - 1, heading, list(blocks)))
            else:
                out.lead = list(blocks)
            out.kept.extend(kept)
            out.removed.extend(removed)
            out.images.extend(images)
            out.image_notes.extend(notes)
        else:
            return out
        md.reset()
    root = _convert(md, body)
    walker = _Walker(md, nesting, **where)
    out = _Body(kept=walker.kept, removed=walker.removed, images=walker.images, image_notes=walker.image_notes)
    current = out.lead
    for elem in root:
        index = _section_index(elem)
        if index is not None and index < sections:
            heading = tuple(walker.inlines(elem))
            current = []
            out.drafts.append((index, heading, current))
            continue
        if elem.tag == "div" and "footnote" in (elem.get("class") or "").split():
            out.footnotes = walker.footnotes(elem)
            continue
        current.extend(walker.blocks([elem]))
    return out


def _convert(md: markdown.Markdown, text: str) -> ET.Element:
    """The finished tree of ``text`` (an empty ``div`` for a blank text), without the
    serialising that ``Markdown.convert`` would do after it (:class:`_Captured`)."""
    md.captured_root = ET.Element("div")  # type: ignore[attr-defined]  # what an empty text converts to
    try:
        md.convert(text)
    except _Captured:
        pass
    return md.captured_root  # type: ignore[attr-defined]


def _parts(body: str, sections: int) -> list[str] | None:
    """``body`` cut before each of its ``sections`` marked headings (the text before the first
    one first), or ``None`` when its parts may not be read alone (see :func:`_read_body`)."""
    if not sections or _NOT_ALONE.search(body):
        return None
    lines = body.split("\n")
    cuts = []
    for i, line in enumerate(lines):
        if MARK_OPEN in line:
            m = MARK_RE.search(line)
            if (not m or int(m.group(1)) != len(cuts) or not line.startswith("#")
                    or (i and lines[i - 1].strip())):
                return None
            cuts.append(i)
    if len(cuts) != sections:
        return None
    bounds = [0, *cuts, len(lines)]
    return ["\n".join(lines[a:b]) for a, b in zip(bounds, bounds[1:])]


def _read_part(md: markdown.Markdown, text: str, section: bool, nesting: int, where: dict):
    """One part of a body read alone: ``(heading inlines or None, blocks, kept, removed,
    images, image notes, whether the walk read the file system)``, or ``None`` when it is not what a part
    must be (a section part: its heading, then blocks)."""
    md.reset()
    if not text.strip():
        return None if section else (None, (), (), (), (), (), False)
    root = _convert(md, text)
    walker = _Walker(md, nesting, **where)
    elems = list(root)
    heading = None
    if section:
        if not elems or _section_index(elems[0]) != 0:
            return None
        heading = tuple(walker.inlines(elems.pop(0)))
    blocks: list[Block] = []
    for elem in elems:
        if _section_index(elem) is not None or (elem.tag == "div" and "footnote" in (elem.get("class") or "").split()):
            return None
        blocks.extend(walker.blocks([elem]))
    return (heading, tuple(blocks), tuple(walker.kept), tuple(walker.removed), tuple(walker.images),
            tuple(walker.image_notes), walker.read_files)


def _assemble(path: Path, src: SourceFile, meta: FrontMatter, registry: Registry, read: _Body,
              settings: Settings) -> Issue:
    """Type the components of the sections read and put the issue together; every component
    that cannot be parsed is one error, all raised together."""
    lead = read.lead
    footnotes = read.footnotes
    drafts = [(src.sections[index], heading, body) for index, heading, body in read.drafts]

    sections: list[Section] = []
    anchors: set[str] = set()
    found: list[SourceError] = []
    for raw, heading, body in drafts:
        heading_text = plain_text(heading)
        draft = SectionDraft(heading_text, raw.level, raw.line, tuple(body), raw.component, dict(raw.attrs))
        try:
            kind, data = registry.parse(draft)
        except ComponentError as exc:
            found.append(SourceError(exc.message, path, exc.line or raw.line))
            continue
        anchor = _unique(slugify(heading_text) or f"section-{raw.index + 1}", anchors)
        sections.append(Section(kind, heading, heading_text, raw.level, raw.line, tuple(body), data, anchor))

    if not lead and not drafts:
        found.append(SourceError("the issue has no body; write the briefing below the front matter", path,
                                 src.body_line))
    image_errors, image_notes = _image_notes(path, src, read.image_notes)
    found.extend(image_errors)
    if found:
        raise found[0] if len(found) == 1 else SourceErrors(found)

    meta, cover_warnings = _cover_image(meta, path, settings)
    attachments, attachment_warnings = read_attachments(meta, path, settings.permalink(meta.slug), settings.root)
    return Issue(
        attachments=attachments,
        path=path,
        meta=meta,
        lead=tuple(lead),
        sections=tuple(sections),
        footnotes=footnotes,
        permalink=settings.permalink(meta.slug),
        source_hash=hashlib.sha256(src.text.encode("utf-8")).hexdigest(),
        warnings=tuple(src.warnings) + tuple(_merge_tag_warnings(src))
        + tuple(_located_warnings(src, [(k.html, k.warning()) for k in read.kept]))
        + tuple(image_notes)
        + tuple(attachment_warnings) + tuple(feature_key_warnings(meta, path)),
        coded_warnings=tuple(("image", w) for w in [*cover_warnings, *_located_warnings(src, read.images)])
        + tuple(("active-html", w) for w in _located_warnings(src, [(r.needle, r.warning()) for r in read.removed])),
    )


def _cover_image(meta: FrontMatter, path: Path, settings: Settings) -> tuple[FrontMatter, list[str]]:
    """``meta`` without its cover ``image`` when no reader could see it (the rule of
    :func:`dispatch.assets.unpublishable`: outside the newsletter folder, an absolute path on
    this computer…), so neither the email's header nor the page's Open Graph image links a URL
    that cannot exist; with the ``path:line`` warning saying so."""
    cover = meta.extra.get("image")
    refused = unpublishable(cover, path.parent, settings.root) if isinstance(cover, str) and cover.strip() else None
    if refused is None:
        return meta, []
    why, fix = refused
    extra = {k: v for k, v in meta.extra.items() if k != "image"}
    return dataclasses.replace(meta, extra=extra), [
        f"{path}:{meta.lines.get('image', 1)}: {cover.strip()!r} {why}; it is not published, and no reader could see "
        f"it, so the issue has no cover image; {fix}"]


def _located_warnings(src: SourceFile, found_in_order: list[tuple[str, str]]) -> list[str]:
    """One ``path:line`` warning per ``(needle, message)`` (a ``<…>`` kept as text, active HTML
    removed…), at the first line (outside code, not before the previous one's) that holds the
    needle; the body's first line when none does."""
    if not found_in_order:
        return []
    lines = src.body.split("\n")
    code = [in_code for _, _, in_code in scan_lines(lines)]
    out, cursor = [], 0
    for needle, message in found_in_order:
        found = next((i for i in range(cursor, len(lines)) if not code[i] and needle in lines[i]), None)
        if found is None:
            found = next((i for i in range(len(lines)) if not code[i] and needle in lines[i]), 0)
        else:
            cursor = found
        out.append(f"{src.path}:{src.file_line(src.body_line + found)}: {message}")
    return list(dict.fromkeys(out))


def _section_index(elem: ET.Element) -> int | None:
    if elem.tag not in ("h1", "h2"):
        return None
    text = elem.text or ""
    m = MARK_RE.match(text)
    if not m:
        return None
    elem.text = text[m.end():]
    return int(m.group(1))


def _unique(anchor: str, seen: set[str]) -> str:
    candidate, n = anchor, 2
    while candidate in seen:
        candidate = f"{anchor}-{n}"
        n += 1
    seen.add(candidate)
    return candidate


_BLOCK_TAGS = frozenset({"p", "ul", "ol", "blockquote", "pre", "table", "hr", "div", "h3", "h4", "h5", "h6"})


class _TooDeep(Exception):
    pass


class _Walker:
    """Turns Python-Markdown's finished ElementTree into model blocks and inlines."""

    def __init__(self, md: markdown.Markdown, max_depth: int = 40, *, folder: Path | None = None,
                 root: Path | None = None, base_url: str = ""):
        self.max_depth = max_depth
        self.folder, self.root, self.base_url = folder, root, base_url
        self.images: list[tuple[str, str]] = []  # (src, message): images left out, or on a path of the site
        self.stash = md.htmlStash.rawHtmlBlocks
        self.footnote_numbers: dict[str, int] = {}
        self.kept: list[KeptAsText] = []  # '<…>' kept as text (inlinehtml), in order
        self.image_notes: list[tuple[str, str, str, bool]] = []  # (src, attrs block, message, is error)
        self.removed: list[Removed] = []  # active HTML removed (activehtml), in order
        self.read_files = False  # whether the walk looked at the file system (images)
        self.depth = 0

    def image(self, elem: ET.Element) -> Image:
        """An ``<img>`` as an :class:`Image`, with the ``width`` of its ``{…}`` attribute
        block (:class:`_ImageAttrs`): a whole number of CSS px from 1 to the email column
        (:data:`~dispatch.images.COLUMN_PX`), ``px`` allowed. A bad width is noted as an error,
        any other attribute as a warning (they are not used), in :attr:`image_notes`."""
        src, block = elem.get("src", ""), elem.get("data-attrs")
        width = None
        if block is not None:
            given = elem.get("width")
            for name in sorted(set(elem.keys()) - {"src", "alt", "title", "width", "data-attrs"}):
                shown = "." + elem.get(name) if name == "class" else name
                self.image_notes.append((src, block, f"image {src!r}: {{{shown}}} has no effect; dispatch reads "
                                         "only {width=…} on images", False))
            if given is not None:
                m = re.fullmatch(r"\s*(\d{1,6})\s*(?:px)?\s*", given)
                if not m or int(m.group(1)) == 0:
                    self.image_notes.append((src, block, f"image {src!r}: width={given!r} is not a number of px; "
                                             f"write a whole number from 1 to {COLUMN_PX}, e.g. {{width=300}}", True))
                elif int(m.group(1)) > COLUMN_PX:
                    self.image_notes.append((src, block, f"image {src!r}: width={m.group(1)} is wider than the "
                                             f"layout's {COLUMN_PX} px content column; give at most {COLUMN_PX}, or "
                                             "leave width out to show it at the column's width", True))
                else:
                    width = int(m.group(1))
        return Image(src, elem.get("alt"), elem.get("title", ""), width)

    # -- blocks --------------------------------------------------------------------
    def blocks(self, elems) -> list[Block]:
        self.depth += 1
        if self.depth > self.max_depth:
            raise _TooDeep()
        out: list[Block] = []
        for elem in elems:
            block = self.block(elem)
            if block is not None:
                out.append(block)
        self.depth -= 1
        return out

    def block(self, elem: ET.Element) -> Block | None:
        tag = elem.tag
        if tag == "p":
            only = self._only_stash(elem)
            if only is not None:
                code = _FENCED.match(only)
                if code:  # fenced_code stashes its output as raw HTML
                    return CodeBlock(html.unescape(code.group(2)).rstrip("\n"), code.group(1) or "")
                verdict = settle([only.strip()]) if _ONE_TAG.fullmatch(only.strip()) else {}
                if verdict and verdict[0].reason == "not an element":  # '<angle>' alone on a line
                    self.kept.append(verdict[0])
                    return Paragraph((Text(_strip_marks(only).strip()),))
                return self._html_block(_strip_marks(only).strip("\n"))
            children = tuple(self.inlines(elem))
            return Paragraph(children) if children else None
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            _strip_elem_marks(elem)
            return Heading(int(tag[1]), tuple(self.inlines(elem)))
        if tag in ("ul", "ol"):
            items = tuple(tuple(self.item(li)) for li in elem if li.tag == "li")
            start = int(elem.get("start", "1")) if tag == "ol" else 1
            return ListBlock(tag == "ol", items, start)
        if tag == "blockquote":
            return Quote(tuple(self.blocks(elem)))
        if tag == "pre":
            code = elem.find("code")
            text = (code.text if code is not None else elem.text) or ""
            text = html.unescape(self._unstash_text(text))  # stored HTML-escaped, like code spans
            lang = ""
            if code is not None:
                m = re.search(r"language-(\S+)", code.get("class") or "")
                lang = m.group(1) if m else ""
            return CodeBlock(text.rstrip("\n"), lang)
        if tag == "table":
            return self.table(elem)
        if tag == "hr":
            return Rule()
        if tag == "div" and "footnote" in (elem.get("class") or "").split():
            return self.footnotes(elem)
        return self._html_block(self._unstash_text(ET.tostring(elem, encoding="unicode", method="html")))

    def _html_block(self, raw: str) -> HtmlBlock | None:
        """A raw HTML block without its active content (:mod:`dispatch.activehtml`) and its
        images that can never be shown (:meth:`_publishable`); ``None`` when nothing is left."""
        clean, removed = clean_html(raw)
        self.removed.extend(removed)
        clean = self._raw_images(clean)
        return HtmlBlock(clean) if clean.strip() else None

    def _publishable(self, src: str) -> bool:
        """Whether the image ``src`` can be shown to readers (:func:`dispatch.assets.unpublishable`);
        when not, the removal is recorded (a ``path:line`` warning) and the caller leaves the
        image out, so no channel links a URL that cannot exist. An image on a path of the site
        (``/logo.png``) is kept, with a warning that dispatch does not publish it."""
        if self.folder is None or self.root is None:
            return True
        self.read_files = True  # what follows looks at the file system
        refused = unpublishable(src, self.folder, self.root)
        if refused is not None:
            why, fix = refused
            self.images.append((src, f"{src!r} {why}; it is not published, and no reader could see it, so it is left "
                                     f"out of every channel (its alt text stands in); {fix}"))
            return False
        if site_path(src):
            self.images.append((src, f"image {src!r} is a path on the site ({urljoin(self.base_url, src)}); dispatch "
                                    "publishes only the files an issue links relative to itself, so make sure the "
                                    "site serves it, or put it next to the issue and write img/…"))
        return True

    def _raw_images(self, raw: str) -> str:
        """``raw`` HTML without the ``<img>`` tags whose ``src`` cannot be shown."""
        if "<img" not in raw.lower():
            return raw

        def keep(m: re.Match[str]) -> str:
            found = _IMG_SRC.search(m.group(0))
            src = next((g for g in found.groups() if g is not None), "") if found else ""
            if not src or self._publishable(src):
                return m.group(0)
            alt = _IMG_ALT.search(m.group(0))
            return html.escape(html.unescape(next(g for g in alt.groups() if g is not None))) if alt else ""
        return _IMG_TAG.sub(keep, raw)

    def item(self, li: ET.Element) -> list[Block]:
        block_tags = _BLOCK_TAGS
        if not any(child.tag in block_tags for child in li):
            children = tuple(self.inlines(li))
            return [Paragraph(children)] if children else []
        out: list[Block] = []
        # leading inline content before the first block child
        lead = ET.Element("span")
        lead.text = li.text
        rest = []
        for child in li:
            if rest or child.tag in block_tags:
                rest.append(child)
            else:
                lead.append(child)
        if (lead.text or "").strip() or len(lead):
            out.append(Paragraph(tuple(self.inlines(lead))))
        out.extend(self.blocks(rest))
        return out

    def table(self, elem: ET.Element) -> Table:
        head: tuple[tuple[Inline, ...], ...] = ()
        rows: list[tuple[tuple[Inline, ...], ...]] = []
        align: list[str] = []
        for tr in elem.iter("tr"):
            cells = [c for c in tr if c.tag in ("th", "td")]
            row = tuple(tuple(self.inlines(c)) for c in cells)
            if all(c.tag == "th" for c in cells) and not head and not rows:
                head = row
                for c in cells:
                    m = re.search(r"text-align:\s*(\w+)", c.get("style") or "")
                    align.append(m.group(1) if m else "")
            else:
                rows.append(row)
        return Table(head, tuple(rows), tuple(align))

    def footnotes(self, elem: ET.Element) -> Footnotes:
        items: list[tuple[str, tuple[Block, ...]]] = []
        ol = elem.find("ol")
        for li in (ol if ol is not None else []):
            label = (li.get("id") or "").removeprefix("fn:")
            for a in list(li.iter("a")):
                if "footnote-backref" in (a.get("class") or ""):
                    a.clear()
                    a.tag = "span"
            items.append((label, tuple(self.item(li))))
        return Footnotes(tuple(items))

    # -- inlines -------------------------------------------------------------------
    def inlines(self, elem: ET.Element) -> list[Inline]:
        out: list[Inline] = []
        self._text(elem.text, out)
        for child in elem:
            node = self.inline(child)
            if node is not None:
                if isinstance(node, list):
                    out.extend(node)
                else:
                    out.append(node)
            self._text(child.tail, out)
        return _merge(self._settle(out))

    def _settle(self, nodes: list[Inline]) -> list[Inline]:
        """Raw tags of one run of inlines that are not HTML the writer meant (not an element,
        or unbalanced: :func:`dispatch.inlinehtml.settle`) become text."""
        raws = [(i, n) for i, n in enumerate(nodes) if isinstance(n, RawHtml)]
        if not raws:
            return nodes
        for k, kept in sorted(settle([n.html for _, n in raws]).items()):
            nodes[raws[k][0]] = Text(raws[k][1].html)
            self.kept.append(kept)
        nodes, removed = clean_inlines(nodes)  # active HTML (activehtml): removed, each one said
        self.removed.extend(removed)
        return [n for n in nodes if not isinstance(n, RawHtml) or self._raw_images(n.html) == n.html]

    def inline(self, elem: ET.Element) -> Inline | list[Inline] | None:
        tag = elem.tag
        if tag == "em":
            return Emph(tuple(self.inlines(elem)))
        if tag == "strong":
            return Strong(tuple(self.inlines(elem)))
        if tag == "code":  # Python-Markdown stores code spans HTML-escaped (util.code_escape)
            return Code(html.unescape(self._unstash_text(elem.text or "")))
        if tag == "a":
            href = _amp(self._unstash_text(elem.get("href", "")))
            if unsafe_url(href):
                self.removed.append(Removed(f"the link to {href[:40]!r} (its text is kept)",
                                            "it runs code when clicked, and email clients drop it", href))
                return self.inlines(elem)
            return Link(tuple(self.inlines(elem)), html.unescape(href), elem.get("title", ""))
        if tag == "img":
            if not self._publishable(elem.get("src", "")):
                return Text(elem.get("alt") or "")
            if unsafe_url(elem.get("src", ""), "src"):
                self.removed.append(Removed(f"the image {elem.get('src', '')[:40]!r}", "a script or document URL is "
                                            "not a picture; email clients drop it", elem.get("src", "")))
                return Text(elem.get("alt") or "")
            return self.image(elem)
        if tag == "br":
            return LineBreak()
        if tag == "sup" and (elem.get("id") or "").startswith("fnref"):
            a = elem.find("a")
            label = (a.get("href", "") if a is not None else "").removeprefix("#fn:")
            number = int((a.text or "0")) if a is not None and (a.text or "").isdigit() else len(self.footnote_numbers) + 1
            self.footnote_numbers[label] = number
            return FootnoteRef(label, number)
        if tag == "span":
            return self.inlines(elem)
        # any other element Python-Markdown produced: keep it as raw HTML
        return RawHtml(ET.tostring(elem, encoding="unicode", method="html").removesuffix(elem.tail or ""))

    def _text(self, text: str | None, out: list[Inline]) -> None:
        if not text:
            return
        text = _amp(_FOOTNOTE_JUNK.sub("", _strip_marks(text)))
        pos = 0
        for m in _STASH.finditer(text):
            if m.start() > pos:
                out.append(Text(text[pos:m.start()]))
            raw = self._raw(int(m.group(1)))
            if _ENTITY.match(raw.strip()):
                out.append(Text(html.unescape(raw.strip())))
            elif raw.strip():
                out.append(RawHtml(_strip_marks(raw)))
            pos = m.end()
        if pos < len(text):
            out.append(Text(text[pos:]))

    def _raw(self, index: int) -> str:
        raw = self.stash[index] if index < len(self.stash) else ""
        return raw if isinstance(raw, str) else ET.tostring(raw, encoding="unicode")

    def _only_stash(self, elem: ET.Element) -> str | None:
        if len(elem) == 0:
            m = _STASH.fullmatch((elem.text or "").strip())
            if m:
                raw = self._raw(int(m.group(1)))
                if not _ENTITY.match(raw.strip()):
                    return raw
        return None

    def _unstash_text(self, text: str) -> str:
        return _STASH.sub(lambda m: self._raw(int(m.group(1))), text)


def _amp(text: str) -> str:
    """Undo Python-Markdown's ``&`` placeholder (its e-mail autolinks are entity-encoded)."""
    if AMP_SUBSTITUTE in text:
        return html.unescape(text.replace(AMP_SUBSTITUTE, "&"))
    return text


def _strip_marks(text: str) -> str:
    return MARK_RE.sub("", text)


def _strip_elem_marks(elem: ET.Element) -> None:
    if elem.text:
        elem.text = _strip_marks(elem.text)


def _merge(nodes: list[Inline]) -> list[Inline]:
    out: list[Inline] = []
    for node in nodes:
        if isinstance(node, Text) and out and isinstance(out[-1], Text):
            out[-1] = Text(out[-1].text + node.text)
        elif isinstance(node, Text) and not node.text:
            continue
        else:
            out.append(node)
    return out
