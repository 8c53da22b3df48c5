"""The plain-text briefing: a source format recognised and turned into dispatch's Markdown.

Writers get briefings from a document editor, an AI drafting tool or an old email: plain
text, one paragraph a line, heading lines without ``#`` (often led by an emoji), ``Q:``
lines, a pipe table, ``- `` bullets, a closing ``🔍 THE BOTTOM LINE: …`` recap. This module
reads such a file and writes the Markdown source the Markdown path already parses (front
matter, ``##`` headings, tables and lists), so there is still one parse into the model, and
what :func:`convert` returns is exactly what ``dispatch import`` writes.

The rules (documented for writers in ``docs/plain-text.md``):

* **Which files.** A ``.txt`` file without front matter or Markdown headings; any other file
  only when it has no front matter, no Markdown heading and at least two *strong* heading
  lines (below). ``[source] format`` in ``dispatch.toml`` can force either reading.
* **Title.** The first non-blank line, unless it is a list item, table row, ``Q:`` line or a
  long sentence (then the title falls back to the file name). A ``Title:``/``Subject:``
  prefix is dropped. A line right after it that is only a date (``22 May 2026``, ``Date:
  2026-05-22``) is the date;
  a ``By Name`` line is the author.
* **Headings** (each becomes ``## line``), never a list item, table row, ``Q:``/``A:`` line,
  quote or rule, and only when body text follows (a heading before another heading or at the
  end of the file stays a paragraph):

  - *strong*: a line naming a component (``Answer-First Lead``, ``📰 SOURCES``,
    ``NZ Lens: The Open-Source Opportunity``, ``My Take: …``), at most 12 words;
  - *strong*: a line led by an emoji, at most 12 words, not ending in ``.``, ``,``, ``;`` or
    ``:`` (two or more emoji-led lines in a row are a list of points, not headings);
  - *weak* (reported as a guess): a short line (at most 10 words; 25 characters without cased
    letters, as in CJK) in title case or capitals, not ending in ``.``, ``,``, ``;``, ``:``
    (or ``。``, ``，``, ``；``, ``：``), followed by a longer line of text.
  A heading keeps its words as written; ``**…**`` around it and a trailing ``:`` are dropped.
* **Label lines.** ``LABEL: text`` where LABEL names a component and the text is a sentence
  (``TL;DR: …``, ``🔍 THE BOTTOM LINE: …``) is a heading LABEL with the text as its paragraph.
  A Bottom Line after the first one is the issue's closing recap (``{.recap}``).
* **Blocks.** Each line is a paragraph, except in a hard-wrapped file (blank lines between
  paragraphs and no prose line longer than 80 characters), where consecutive lines join.
  ``-``, ``*``, ``+``, ``•``, ``◦``, ``▪``, ``‣``, ``–`` and ``1.``/``1)`` lines are list
  items; ``|`` rows a table (a missing ``|---|`` row is added); ``>`` lines a quote; a line of
  three or more ``-``, ``*``, ``_``, ``=`` a rule. Markdown syntax characters in the text are
  escaped, so every character reads as written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Sequence

import regex

from .components import Registry, default_registry
from .dates import read_date
from .textutil import find_urls, has_front_matter

#: Most words a strong (component or emoji-led) heading line has.
STRONG_WORDS = 12
#: Most words, and characters, of a weak (title-like) heading line.
WEAK_WORDS = 10
WEAK_CHARS = 80
#: Most characters of a weak heading line in a script without letter case (CJK…).
WEAK_UNCASED_CHARS = 25
#: Longest prose line of a hard-wrapped file.
WRAP_COLUMNS = 80

_ATX = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+\S|[ \t]*$)")
_SETEXT_UNDER = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_LIST = regex.compile(r"^\s*(?:(?P<bullet>[-*+•◦▪‣–])|(?P<num>\d{1,3})[.)])\s+(?P<text>\S.*)$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{1,}:?\s*(?:\|\s*:?-{1,}:?\s*)+\|?\s*$")
_RULE = re.compile(r"^\s*([-*_=~])(?:\s*\1){2,}\s*$")
_QUOTE = re.compile(r"^\s*>\s?(.*)$")
_QA = re.compile(r"^\s*(?:Q|A|Question|Answer)\s*[:.]\s", re.I)
_TITLE_PREFIX = re.compile(r"^(?:title|subject)\s*:\s*", re.I)
_DATE_PREFIX = re.compile(r"^(?:date|published|sent)\s*:\s*", re.I)
_BYLINE = regex.compile(r"^(?:[Bb]y|[Ff]rom)\s+(\p{Lu}[\p{L}.'’-]*(?:\s+\p{Lu}[\p{L}.'’-]*){0,4})$")
_LABEL_TEXT = regex.compile(r"^(?P<label>[^:：—–]{2,60}?)\s*(?:[:：]|\s[—–])\s*(?P<rest>\S.*)$")
_EMOJI_CHAR = regex.compile(r"[\p{Emoji_Presentation}\p{Regional_Indicator}\uFE0F\u20E3]")
_PICTO = regex.compile(r"\p{Extended_Pictographic}")
_FIRST = regex.compile(r"\X")
_CASED = regex.compile(r"[\p{Lu}\p{Ll}\p{Lt}]")
_WORD = regex.compile(r"[\p{L}\p{N}][\p{L}\p{N}'’.&-]*")
_MINOR = frozenset(
    "a an and as at but by for from in into is it of on or per the to vs via with".split()
)
_END_PUNCT = tuple(".,;:。，；：、")


@dataclass(frozen=True)
class Note:
    """A line the recogniser could not be sure of: ``line`` (1-based, in the plain-text
    file) and ``message`` (what it chose and why)."""

    line: int
    message: str


@dataclass(frozen=True)
class Conversion:
    """A plain-text briefing as Markdown.

    Attributes:
        markdown: the Markdown source (front matter, then the body), ending with a newline;
            what ``dispatch import`` writes.
        origin: for each line of ``markdown`` (index 0 = line 1), the 1-based line of the
            plain-text file it came from.
        notes: the lines it was unsure of, with what it chose.
        headings: ``(line, text)`` of every heading it found, in order.
        title: the title it found (``""`` when the first line is not one).
        text: the plain text it was made from.
    """

    markdown: str
    origin: tuple[int, ...]
    notes: tuple[Note, ...] = ()
    headings: tuple[tuple[int, str], ...] = ()
    title: str = ""
    text: str = ""

    def file_line(self, markdown_line: int) -> int:
        """The plain-text file's line for a 1-based line of :attr:`markdown`."""
        if not self.origin:
            return markdown_line
        index = min(max(markdown_line, 1), len(self.origin)) - 1
        return self.origin[index]


@dataclass
class _Line:
    number: int
    text: str
    kind: str = "text"          # text | blank | item | table | quote | rule | qa
    heading: str = ""           # "" | strong | emoji | weak | label-text
    label: str = ""             # for label-text: the label part
    rest: str = ""              # for label-text: the sentence after it
    component: str = ""         # component the heading names, if any


def has_markdown_structure(text: str) -> bool:
    """True when ``text`` has front matter or a Markdown heading (ATX ``#`` or Setext
    underline): then it is read as Markdown, never as a plain-text briefing."""
    if has_front_matter(text):
        return True
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if _ATX.match(line) and line.strip("# \t"):
            return True
        if i and "=" in line and _SETEXT_UNDER.match(line) and _classify_kind(lines[i - 1])[0] == "text":
            return True
    return False


def is_plain_text(text: str, suffix: str, registry: Registry | None = None) -> bool:
    """Whether a file's text is a plain-text briefing (see the module rules).

    Args:
        text: the decoded file, newlines normalised to ``\\n``.
        suffix: the file name's suffix, e.g. ``".txt"``.
    """
    if has_markdown_structure(text):
        return False
    if suffix.lower() == ".txt":
        return True
    return is_briefing(text, registry)


def is_briefing(text: str, registry: Registry | None = None) -> bool:
    """Whether ``text`` (no Markdown structure) reads as a plain-text briefing by its shape
    alone: at least two *strong* heading lines (a component's name, an emoji-led heading, a
    ``LABEL: sentence`` line). Decides which ``.txt`` files of an issues folder are issues
    (:func:`dispatch.source.not_an_issue`) and which other files are read as briefings."""
    lines = _classify(text.split("\n"), registry or default_registry())
    return sum(1 for line in lines if line.heading in ("strong", "emoji", "label-text")) >= 2


def heading_lines(text_lines: Sequence[str], first_line: int = 1,
                  registry: Registry | None = None) -> list[tuple[int, str]]:
    """The lines of a body the plain-text rules would read as headings, as ``(line, text)``;
    for ``dispatch check`` to explain a Markdown issue with no ``##`` sections."""
    lines = _classify(list(text_lines), registry or default_registry(), first_line=first_line)
    return [(line.number, _heading_text(line.label or line.text)) for line in lines if line.heading]


def convert(text: str, *, date: str = "", title: str = "", registry: Registry | None = None) -> Conversion:
    """Turn a plain-text briefing into dispatch Markdown.

    Args:
        text: the file's text (newlines normalised to ``\\n``).
        date: a date to write into the front matter when the text has none (``dispatch
            import`` passes the one the fallbacks found, so the written file keeps it).
        title: likewise, a title for a text whose first line is not one.
        registry: the components whose names mark headings (default: the built-in ones).

    Returns:
        the :class:`Conversion`; it never raises (every line becomes some block).
    """
    registry = registry or default_registry()
    raw = text.split("\n")
    lines = _classify(raw, registry)
    notes: list[Note] = []
    out: list[tuple[str, int]] = []
    front: list[tuple[str, int]] = []

    # -- title, date, byline ------------------------------------------------------------
    body_start = 0
    given_title, title = title, ""
    nonblank = [i for i, line in enumerate(lines) if line.kind != "blank"]
    if nonblank:
        first = lines[nonblank[0]]
        candidate = _TITLE_PREFIX.sub("", first.text.strip())
        if first.kind == "text" and not first.component and _is_title(candidate):
            title = candidate
            front.append((f"title: {_yaml_str(title)}", first.number))
            body_start = nonblank[0] + 1
            first.heading = ""
        else:
            notes.append(Note(first.number, "the first line does not look like a title (a sentence, list or "
                                            "table); the title falls back to the file name"))
    found_date = ""
    for _ in range(2):
        nxt = next((i for i in range(body_start, len(lines)) if lines[i].kind != "blank"), None)
        if nxt is None or lines[nxt].kind != "text":
            break
        line = lines[nxt].text.strip()
        when = read_date(_DATE_PREFIX.sub("", line)) if not found_date else None
        if when is not None:
            found_date = line
            front.append((f"date: {front_matter_date(when)}", lines[nxt].number))
        elif (m := _BYLINE.match(line)) and not registry.recognise(line):
            front.append((f"author: {_yaml_str(m.group(1))}", lines[nxt].number))
        else:
            break
        lines[nxt].heading = ""
        body_start = nxt + 1
    if not title and given_title:  # the title the caller's fallbacks found (the file name)
        front.insert(0, (f"title: {_yaml_str(given_title)}", 1))
    if date and not found_date:
        front.append((f"date: {date}", front[0][1] if front else 1))

    # -- headings: decide -----------------------------------------------------------------
    body = lines[body_start:]
    _decide_headings(body, notes)
    wrapped = _hard_wrapped(body)

    # -- blocks -----------------------------------------------------------------------------
    headings: list[tuple[int, str]] = []
    seen_bottom_line = False
    last_kind = "blank"

    def blank(number: int) -> None:
        if out and out[-1][0] != "":
            out.append(("", number))

    def table_block(start: int) -> int:
        rows = []
        j = start
        while j < len(body) and body[j].kind == "table":
            rows.append(body[j])
            j += 1
        blank(rows[0].number)
        for k, row in enumerate(rows):
            out.append((_table_row(row.text), row.number))
            if k == 0 and not (len(rows) > 1 and _TABLE_SEP.match(rows[1].text)) and not _TABLE_SEP.match(row.text):
                cells = max(1, _cells(row.text))
                out.append(("|" + "---|" * cells, row.number))
        out.append(("", rows[-1].number))
        return j

    i = 0
    while i < len(body):
        line = body[i]
        if line.kind == "blank":
            if wrapped:
                blank(line.number)
            last_kind = "blank"
            i += 1
            continue
        if line.heading:
            label = _heading_text(line.label if line.heading == "label-text" else line.text)
            attrs = ""
            if line.component == "bottom_line":
                if seen_bottom_line:
                    attrs = " {.recap}"
                seen_bottom_line = True
            blank(line.number)
            out.append((f"## {_escape_heading(label)}{attrs}", line.number))
            out.append(("", line.number))
            headings.append((line.number, label))
            if line.heading == "label-text":
                out.append((_escape_line(line.rest), line.number))
                out.append(("", line.number))
            last_kind = "heading"
            i += 1
            continue
        if line.kind == "table":
            i = table_block(i)
            last_kind = "table"
            continue
        if line.kind == "item":
            m = _LIST.match(line.text)
            kind = "ordered" if m.group("num") else "item"
            if last_kind != kind:  # bullets after numbered points are a list of their own
                blank(line.number)
            marker = f"{m.group('num')}." if m.group("num") else "-"
            out.append((f"{marker} {_escape_text(m.group('text').strip())}", line.number))
            last_kind = kind
            i += 1
            continue
        if line.kind == "quote":
            if last_kind != "quote":
                blank(line.number)
            quoted = _QUOTE.match(line.text).group(1).strip()
            out.append((f"> {_escape_line(quoted)}" if quoted else ">", line.number))
            last_kind = "quote"
            i += 1
            continue
        if line.kind == "rule":
            blank(line.number)
            out.append(("---" if line.text.strip()[0] != "*" else "***", line.number))
            out.append(("", line.number))
            last_kind = "rule"
            i += 1
            continue
        # a paragraph line (text or Q:/A:)
        joins = wrapped and last_kind == "text" and line.kind == "text"
        if wrapped and last_kind in ("item", "ordered") and line.text[:1].isspace():
            # the continuation of a wrapped list item
            out.append(("  " + _escape_text(line.text.strip()), line.number))
            i += 1
            continue
        if not joins:
            blank(line.number)
        out.append((_escape_line(line.text.strip()), line.number))
        if not wrapped:
            out.append(("", line.number))
        last_kind = "text" if line.kind == "text" else "qa"
        i += 1

    while out and out[-1][0] == "":
        out.pop()
    md_lines: list[tuple[str, int]] = []
    if front:
        md_lines.append(("---", front[0][1]))
        md_lines.extend(front)
        md_lines.append(("---", front[-1][1]))
        md_lines.append(("", front[-1][1]))
    md_lines.extend(out)
    if not out and not front:
        md_lines.append(("", 1))
    markdown = "\n".join(t for t, _ in md_lines) + "\n"
    origin = tuple(n for _, n in md_lines) + ((md_lines[-1][1],) if md_lines else ())
    return Conversion(markdown, origin, tuple(sorted(notes, key=lambda n: n.line)), tuple(headings), title, text)


# --- classifying lines ------------------------------------------------------------------------

def _classify_kind(text: str) -> tuple[str, str]:
    """``(kind, payload)`` of one line by its shape alone."""
    stripped = text.strip()
    if not stripped:
        return "blank", ""
    if _RULE.match(text):
        return "rule", ""
    if stripped.startswith("|") and stripped.count("|") >= 2:
        return "table", ""
    if _LIST.match(text):
        return "item", ""
    if _QUOTE.match(text):
        return "quote", ""
    if _QA.match(text):
        return "qa", ""
    return "text", ""


def _classify(raw: list[str], registry: Registry, first_line: int = 1) -> list[_Line]:
    lines = [_Line(first_line + i, text.rstrip(), _classify_kind(text)[0]) for i, text in enumerate(raw)]
    # a table without leading pipes: "a | b" lines directly above a separator row
    for i, line in enumerate(lines):
        if line.kind == "text" and "|" in line.text and i + 1 < len(lines) and _TABLE_SEP.match(lines[i + 1].text) \
                and "-" in lines[i + 1].text:
            j = i
            while j < len(lines) and lines[j].kind in ("text", "table", "rule") and "|" in lines[j].text:
                lines[j].kind = "table"
                j += 1
    for line in lines:
        if line.kind != "text":
            continue
        _heading_candidate(line, registry)
    return lines


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _emoji_led(text: str) -> bool:
    m = _FIRST.match(text)
    if not m:
        return False
    cluster = m.group(0)
    if _EMOJI_CHAR.search(cluster):
        return True
    return any(_PICTO.match(c) and ord(c) >= 0x2190 for c in cluster)


def _heading_candidate(line: _Line, registry: Registry) -> None:
    text = line.text.strip()
    words = _words(text)
    found = registry.recognise(text) if len(words) <= STRONG_WORDS else None
    if found is not None:
        line.heading, line.component = "strong", found[0].name
        return
    m = _LABEL_TEXT.match(text)
    if m:
        label_found = registry.recognise(m.group("label"))
        rest = m.group("rest").strip()
        if label_found is not None and _is_sentence(rest):
            line.heading, line.component = "label-text", label_found[0].name
            line.label, line.rest = m.group("label").strip(), rest
            return
    if _emoji_led(text) and 0 < len(words) <= STRONG_WORDS and not text.endswith(_END_PUNCT):
        line.heading = "emoji"
        return
    if _title_like(text):
        line.heading = "weak"


def _is_sentence(text: str) -> bool:
    """A run of prose rather than a heading's title: more than 10 words, or a sentence end
    after more than 6."""
    words = _words(text)
    return len(words) > WEAK_WORDS or (len(words) > 6 and text.rstrip("\"'”’)").endswith((".", "!", "?", "。", "！", "？")))


def _title_like(text: str) -> bool:
    if not text or text.endswith(_END_PUNCT) or text.endswith(("…", "...")):
        return False
    if not _CASED.search(text):
        letters = [c for c in text if c.isalpha()]
        return bool(letters) and len(text) <= WEAK_UNCASED_CHARS
    words = _words(text)
    if not words or len(words) > WEAK_WORDS or len(text) > WEAK_CHARS:
        return False
    if not (words[0][0].isupper() or words[0][0].isdigit()):
        return False
    letters = [c for c in text if c.isalpha()]
    if letters and all(not c.islower() for c in letters):
        return len(letters) >= 2
    significant = [w for w in words[1:] if w.casefold() not in _MINOR]
    if not significant:
        return len(words) <= 3
    capital = sum(1 for w in significant if w[0].isupper() or w[0].isdigit())
    return capital / len(significant) >= 0.75


def _is_title(text: str) -> bool:
    words = _words(text)
    if not words or len(text) > 200:
        return False
    return not (len(words) > 15 and text.endswith((".", "。")))


def _decide_headings(body: list[_Line], notes: list[Note]) -> None:
    """Keep a candidate only when body text follows; emoji-led runs are points, not headings."""
    def next_line(i: int) -> _Line | None:
        for j in range(i + 1, len(body)):
            if body[j].kind != "blank":
                return body[j]
        return None

    for i, line in enumerate(body):
        if line.heading != "emoji":
            continue
        prev = body[i - 1] if i else None
        nxt = body[i + 1] if i + 1 < len(body) else None
        if (prev and prev.heading in ("emoji", "emoji-run")) or (nxt and nxt.heading == "emoji"):
            for other in (x for x in (prev, line, nxt) if x is not None and x.heading in ("emoji", "emoji-run")):
                other.heading = "emoji-run"
    for line in body:
        if line.heading == "emoji-run":
            line.heading = ""
            notes.append(Note(line.number, f"read {_quote(line.text)} as a paragraph: emoji-led lines in a row "
                                           "are points, not headings"))
    for i, line in enumerate(body):
        if not line.heading or line.heading == "label-text":
            continue
        nxt = next_line(i)
        follows = nxt is not None and (nxt.kind != "text" or not nxt.heading or
                                       (nxt.heading == "weak" and line.heading != "weak"))
        if nxt is not None and nxt.heading == "label-text":
            follows = False
        if not follows:
            if line.heading != "weak":
                notes.append(Note(line.number, f"read {_quote(line.text)} as a paragraph: it looks like a heading "
                                               "but no text follows it"))
            elif nxt is not None:
                notes.append(Note(line.number, f"read {_quote(line.text)} as a paragraph: a short title-like line, "
                                               "but another heading-like line follows it"))
            line.heading, line.component = "", ""
            continue
        if nxt is not None and nxt.heading == "weak" and line.heading != "weak":
            nxt.heading = ""
        if line.heading == "weak":
            if nxt.kind == "text" and len(nxt.text.strip()) <= len(line.text.strip()):
                line.heading = ""
                notes.append(Note(line.number, f"read {_quote(line.text)} as a paragraph: a short title-like line, "
                                               "but the next line is no longer"))
                continue
            notes.append(Note(line.number, f"read {_quote(line.text)} as a heading: a short title-like line "
                                           "before body text (write it as a sentence to keep it a paragraph)"))
    # short lines that are neither: worth a word when they end without punctuation
    noted = {n.line for n in notes}
    for i, line in enumerate(body):
        text = line.text.strip()
        if line.kind == "text" and not line.heading and text and len(_words(text)) <= 6 \
                and not text.endswith(_END_PUNCT + ("?", "!", "？", "！", "…")) and i + 1 < len(body):
            if line.number not in noted:
                notes.append(Note(line.number, f"read {_quote(text)} as a paragraph: short, but not in title case; "
                                               "start it with '## ' if it is a heading"))


def _hard_wrapped(body: list[_Line]) -> bool:
    prose = [line for line in body if line.kind == "text" and not line.heading]
    filled = [i for i, line in enumerate(body) if line.kind != "blank"]
    if not prose or not filled or not any(body[i].kind == "blank" for i in range(filled[0], filled[-1])):
        return False
    if any(len(line.text.strip()) > WRAP_COLUMNS for line in prose):
        return False
    return any(a.kind == "text" and b.kind == "text" and not a.heading and not b.heading
               for a, b in zip(body, body[1:]))


# --- writing Markdown -------------------------------------------------------------------------

#: What Markdown would read as syntax inside a line: backslash, backtick, star, brackets, an
#: underscore at a word's edge (inside a word it is literal), ``<`` opening a tag, ``&`` an entity.
_INLINE_SPECIAL = regex.compile(r"[\\`*\[\]]|(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])|<(?=[A-Za-z/!?])|&(?=#?\w+;)")


def _escape_text(text: str) -> str:
    """Escape what Markdown would read as syntax inside a line of text; URLs stay as written
    (they become links)."""
    out, pos = [], 0
    for m in find_urls(text):
        out.append(_escape_plain(text[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_escape_plain(text[pos:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        c = m.group(0)
        if c == "<":
            return "&lt;"
        if c == "&":
            return "&amp;"
        return "\\" + c
    return _INLINE_SPECIAL.sub(sub, text)


def _escape_line(text: str) -> str:
    """A paragraph line: inline escapes plus what would start a block (``#``, ``>``, ``1.``…)."""
    text = _escape_text(text)
    m = re.match(r"^(\d+)([.)])(\s)", text)
    if m:
        return f"{m.group(1)}\\{m.group(2)}{text[m.end(2):]}"
    if text[:1] in ("#", ">", "+", "-", "=", "|") or re.match(r"^\*\s", text):
        return "\\" + text
    return text


_WRAPPED = re.compile(r"^(\*\*|__|\*|_)(?P<inner>\S(?:.*\S)?)\1$")


def _heading_text(text: str) -> str:
    """A heading line as its heading: Markdown-style ``**…**`` around it (as drafting tools
    write them) and a trailing ``:`` removed."""
    text = text.strip()
    m = _WRAPPED.match(text)
    if m:
        text = m.group("inner").strip()
    return text[:-1].rstrip() if text.endswith((":", "：")) and len(text) > 1 else text


def _escape_heading(text: str) -> str:
    text = _escape_text(text).replace("{", "\\{")
    if text.endswith("#"):
        text = text[:-1] + "\\#"
    return text


def _cells(row: str) -> int:
    inner = row.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return len(re.split(r"(?<!\\)\|", inner))


def _table_row(row: str) -> str:
    if _TABLE_SEP.match(row):
        return row.strip()
    inner = row.strip()
    lead = inner.startswith("|")
    trail = inner.endswith("|") and not inner.endswith("\\|")
    inner = inner[1 if lead else 0: len(inner) - 1 if trail else len(inner)]
    cells = [_escape_text(c.strip()) for c in re.split(r"(?<!\\)\|", inner)]
    return "| " + " | ".join(cells) + " |"


def front_matter_date(when) -> str:
    """A date as front matter writes it, losing nothing: ``2026-03-12``,
    ``2026-03-12 07:00``, ``2026-03-12 07:00:05 +1300``."""
    if (when.hour, when.minute, when.second) == (0, 0, 0) and when.tzinfo is None:
        return f"{when:%Y-%m-%d}"
    text = f"{when:%Y-%m-%d %H:%M}" + (f":{when:%S}" if when.second else "")
    return text + (f" {when:%z}" if when.tzinfo is not None else "")


def _yaml_str(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is a subset of YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def _quote(text: str) -> str:
    text = text.strip()
    return repr(text if len(text) <= 60 else text[:57] + "...")
