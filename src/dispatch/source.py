"""Reading an issue file: front-matter dialects and splitting the body into sections.

Python-Markdown keeps no source positions, so the body is split into sections here, at the
source level, before Markdown sees it: every section keeps the line of its heading and every
error can name a line.

Front-matter dialects (detected from the first line):

* YAML between ``---`` lines (Jekyll, Hugo, Eleventy);
* TOML between ``+++`` lines (Hugo, Zola);
* Pelican-style ``Key: value`` lines at the top, ended by a blank line (only when every line of
  that first block has that shape and one of them is ``Title`` or ``Date``);
* none: the title comes from the first ``#`` heading.

A plain-text briefing (:mod:`dispatch.plaintext`) is first turned into this Markdown; its
sections and keys then carry the lines of the plain-text file.
"""

from __future__ import annotations

import copy
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .errors import SourceError
from .limits import FRONT_MATTER_VALUES, read_issue_bytes
from .memo import LRU
from .textutil import has_front_matter

if TYPE_CHECKING:
    from .plaintext import Conversion

#: File suffixes read as issues: Markdown, and the plain-text briefing.
ISSUE_SUFFIXES = (".md", ".markdown", ".txt")
#: ``[source] format`` values: decide by the file's shape, or always read it one way.
SOURCE_FORMATS = ("auto", "markdown", "plain")

#: Private-use characters that bracket a section number inside a marked heading.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"
MARK_RE = re.compile(f"{MARK_OPEN}(\\d+){MARK_CLOSE}")

#: C0/C1 controls other than tab and newline, and the noncharacters U+FFFE/U+FFFF: not
#: allowed in XML 1.0 (§2.2) and rejected by MRML.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_PELICAN = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*(?: [A-Za-z0-9_-]+)?):(?:[ \t]+(.*?))?[ \t]*$")


@dataclass
class RawFrontMatter:
    """Front matter as read, before normalisation.

    Attributes:
        dialect: ``"yaml" | "toml" | "pelican" | "none"``, or ``"plain"`` for a plain-text briefing.
        data: keys lower-cased, values as the dialect's parser gave them.
        lines: 1-based line of each key.
        end_line: last line of the front-matter block (0 when there is none).
        errors: per key whose value could not be read (``date: 2026-02-30``: YAML reads it
            as a timestamp and fails), the error naming its line; such a key is left out of
            ``data``, so the other keys are still read and checked.
    """

    dialect: str
    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    end_line: int = 0
    errors: dict[str, SourceError] = field(default_factory=dict)


@dataclass
class RawSection:
    """A section heading found at the source level.

    Attributes:
        index: position among the issue's sections (the number in its marker).
        level: 1 or 2.
        heading: the heading text as written (Markdown, emoji included).
        line: 1-based line of the heading in the file.
        component: a component named explicitly with a trailing ``{.name key=value}`` block
            (e.g. ``## Our take from home {.lens region=NZ}``), else ``""``.
        attrs: the ``key=value`` pairs of that block.
    """

    index: int
    level: int
    heading: str
    line: int
    component: str = ""
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class SourceFile:
    """An issue file split at the source level.

    Attributes:
        path: the file.
        text: the whole file, decoded as UTF-8 (a BOM is removed, newlines normalised).
        front: its front matter.
        title: the first ``#`` heading when the front matter has no title (else ``None``),
            with ``title_line``.
        body: the Markdown body with section headings marked (see :data:`MARK_RE`) and the
            title heading blanked; same line count as the file from ``body_line`` on.
        body_line: 1-based line of the body's first line in the file.
        sections: the section headings in order.
        warnings: ``path:line: message`` lines about what was cleaned (control characters) or
            guessed (metadata fallbacks).
        conversion: for a plain-text briefing, its conversion to Markdown (``text`` and
            ``body`` are then that Markdown); ``None`` for a Markdown file.
    """

    path: Path
    text: str
    front: RawFrontMatter
    title: str | None
    title_line: int | None
    body: str
    body_line: int
    sections: list[RawSection]
    warnings: list[str] = field(default_factory=list)
    conversion: Conversion | None = None

    def file_line(self, line: int) -> int:
        """The file's 1-based line for line ``line`` of :attr:`text` (they differ only for a
        plain-text briefing, whose Markdown has more lines)."""
        return self.conversion.file_line(line) if self.conversion else line


_DRAFT_LINE = re.compile(r"""[ \t]*(?:draft[ \t]*[:=][ \t]*(["']?)(?:true|yes|on)\1"""
                         r"""|status[ \t]*[:=][ \t]*(["']?)draft\2)[ \t]*(?:#.*)?""", re.IGNORECASE)


def draft_line(raw: bytes) -> int | None:
    """The line (1-based) of a ``draft: true`` (``draft = true``, ``status: draft``; YAML's
    ``yes``/``on`` too) line in the front matter of issue bytes ``raw``, read line by line so
    that it is found even when the front matter as a whole is not valid; ``None`` when there
    is none. Used to withdraw, never to publish: the safe direction for a file that does not
    parse (see :mod:`dispatch.archive.sources`)."""
    text = raw.decode("utf-8-sig", "replace").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n", 500)[:500]
    fenced = bool(lines) and lines[0].rstrip() in ("---", "+++")
    for number, line in enumerate(lines[1:] if fenced else lines, 2 if fenced else 1):
        if (fenced and line.rstrip() in ("---", "...", "+++")) or (not fenced and not line.strip()):
            return None
        if _DRAFT_LINE.fullmatch(line.rstrip()):
            return number
    return None


#: Names never read as issues in a folder (case-insensitive stems).
_NOT_ISSUE_STEMS = ("readme",)


@dataclass(frozen=True)
class IssueFiles:
    """The files of an issues folder, sorted by path.

    Attributes:
        files: the issue files (what ``build``, ``check``, ``preview`` and ``publish`` read).
        skipped: ``(path, reason)`` for each file with an issue suffix that is not read as an
            issue (a ``.txt`` that is not a briefing, see :func:`not_an_issue`); hidden files and
            folders, ``_``-prefixed names and ``README`` are left out silently, as documented.
    """

    files: list[Path]
    skipped: list[tuple[Path, str]]

    def skipped_lines(self) -> list[str]:
        """One ``path: skipped: reason`` line per skipped file."""
        return [f"{path}: skipped: {reason}" for path, reason in self.skipped]


def not_an_issue(path: Path, data: bytes | None = None, *, source_format: str = "auto",
                 max_bytes: int = 1_048_576) -> str | None:
    """Why ``path`` is not an issue file, or ``None`` when it is one: the one rule that
    ``build``, ``check FOLDER``, ``preview``'s index and ``publish`` share.

    A ``.md``/``.markdown`` file is an issue. A ``.txt`` file is one only when it is a briefing:
    it has front matter (YAML ``---``, TOML ``+++``, Pelican ``Title:``/``Date:`` lines) or a
    Markdown heading, or the plain-text rules (:func:`dispatch.plaintext.is_briefing`) find at
    least two heading lines naming a component or led by an emoji, the same test a file of any
    other name passes to be read as a briefing. ``[source] format = "plain"`` makes every
    ``.txt`` an issue; ``"markdown"`` only one with front matter or a heading. A writer's
    ``notes.txt`` or ``todo.txt`` is therefore never built or published.

    Args:
        path: the file; its bytes are read (up to ``max_bytes``) only for a ``.txt``.
        data: its bytes when already read.
        source_format: ``[source] format``.

    Returns:
        ``None`` (an issue), or a reason in words, ending with how to make it one. A file that
        cannot be read or decoded counts as an issue, so its error is reported, not dropped.
    """
    suffix = path.suffix.lower()
    if suffix not in ISSUE_SUFFIXES:
        return f"not an issue file (issues end in {', '.join(ISSUE_SUFFIXES)})"
    if suffix != ".txt" or source_format == "plain" or path.is_symlink():
        return None  # a link is judged when it is read (one out of the newsletter folder is refused)
    try:
        raw = data if data is not None else read_issue_bytes(path, None, max_bytes)
        text = raw.decode("utf-8-sig")
    except (SourceError, UnicodeDecodeError):
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if has_front_matter(text) or _pelican(text.split("\n")).dialect == "pelican":
        return None
    from .plaintext import has_markdown_structure, is_briefing

    if has_markdown_structure(text) or (source_format != "markdown" and is_briefing(text)):
        return None
    return ("a .txt file that is not a briefing (no front matter, no heading, not two heading lines naming a "
            "component or led by an emoji), so it is not built or published; add front matter "
            "('---', 'title: …', '---') to make it an issue, or start its name with '_' to keep it here unread")


def find_issue_files(folder: Path, source_format: str = "auto", max_bytes: int = 1_048_576) -> IssueFiles:
    """Every issue file under ``folder`` (recursively), by :func:`not_an_issue`: ``*.md``,
    ``*.markdown``, and ``*.txt`` briefings; hidden files and folders, names starting with
    ``_`` and ``README.*`` are never read. Not only regular files are listed: a FIFO or
    device named like an issue is refused when it is read, not skipped.

    Raises:
        SourceError: ``folder`` is not a folder.
    """
    if not folder.is_dir():
        raise SourceError("is not a folder of issues; pass the folder holding your .md files", folder)
    files, skipped = [], []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if (any(part.startswith((".", "_")) for part in rel.parts) or path.suffix.lower() not in ISSUE_SUFFIXES
                or path.stem.lower() in _NOT_ISSUE_STEMS or path.is_dir()):
            continue
        reason = not_an_issue(path, source_format=source_format, max_bytes=max_bytes) \
            if path.suffix.lower() == ".txt" and _regular(path) else None
        if reason:
            skipped.append((path, reason))
        else:
            files.append(path)
    return IssueFiles(files, skipped)


def _regular(path: Path) -> bool:
    """A regular file itself (not a symbolic link): only those are opened to be judged, so a
    FIFO named ``x.txt`` is never blocked on and a link out of the newsletter folder never
    read here (reading the issue refuses either with its own error)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def read_source(path: Path, *, root: Path | None = None, max_bytes: int = 1_048_576, source_format: str = "auto",
                registry=None, data: bytes | None = None) -> SourceFile:
    """Read and split an issue file.

    Args:
        path: the issue file.
        root: the newsletter folder a symlinked issue must stay inside
            (:func:`dispatch.limits.read_issue_bytes`).
        max_bytes: the largest file read (``[limits] issue_bytes``).
        source_format: ``"auto"`` (a plain-text briefing is recognised by its shape, see
            :func:`dispatch.plaintext.is_plain_text`), ``"markdown"`` (never) or ``"plain"``
            (every file without YAML/TOML front matter).
        registry: the components whose names mark plain-text headings (default: built-in).
        data: the file's bytes when the caller has read them already (the file is then not
            read again; ``root`` and ``max_bytes`` were the caller's to apply).

    Raises:
        SourceError: the file is missing, unreadable, not a regular file (FIFO, device), a
            symlink out of the folder, too large, not UTF-8, its front matter is not valid
            YAML/TOML or not a table of keys, or it has no body.
    """
    raw = data if data is not None else read_issue_bytes(path, root, max_bytes)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SourceError(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8", path, line) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    warnings = []
    if _CONTROL.search(text):
        for number, line in enumerate(text.split("\n"), 1):
            found = sorted({f"U+{ord(c):04X}" for c in _CONTROL.findall(line)})
            if found:
                warnings.append(f"{path}:{number}: removed control character(s) {', '.join(found)}; "
                                "they cannot appear in email or XML")
        text = _CONTROL.sub("", text)
    conversion = None
    # a file with front matter is Markdown: the plain-text recogniser (a module of its own) is
    # imported only for a file that may be a plain-text briefing
    if source_format != "markdown" and not has_front_matter(text):
        from .plaintext import convert, is_plain_text

        if (source_format == "plain" or is_plain_text(text, path.suffix, registry)) and text.strip():
            conversion = convert(text, registry=registry)
            text = conversion.markdown
    lines = text.split("\n")
    front = _front_matter(lines, path)
    warnings.extend(_clean_values(front, path))
    body_lines = lines[front.end_line :]
    body_line = front.end_line + 1
    title = title_line = None
    if "title" not in front.data:
        title, title_line = _take_title(body_lines, body_line)
    if not "".join(body_lines).strip():
        if conversion is not None:
            raise SourceError("the briefing has a title line but no text under it; write the briefing below it",
                              path, conversion.file_line(front.end_line or 1))
        raise SourceError(
            "the issue has no body; write the briefing below the front matter",
            path,
            front.end_line or 1,
        )
    sections = _mark_sections(body_lines, body_line)
    if conversion is not None:
        for section in sections:
            section.line = conversion.file_line(section.line)
        front.lines = {k: conversion.file_line(v) for k, v in front.lines.items()}
        front.dialect = "plain"
        if title_line:
            title_line = conversion.file_line(title_line)
    return SourceFile(
        path=path,
        text=text,
        front=front,
        title=title,
        title_line=title_line,
        body="\n".join(body_lines),
        body_line=body_line,
        sections=sections,
        warnings=warnings,
        conversion=conversion,
    )


def _clean_values(front: RawFrontMatter, path: Path) -> list[str]:
    """Remove control characters that front-matter escapes produced (YAML ``"\\x1b"``, TOML
    ``"\\u001b"``) from every text value, with one warning per key naming its line."""
    out = []

    def clean(value: Any, found: set[str]) -> Any:
        if isinstance(value, str):
            found.update(f"U+{ord(c):04X}" for c in _CONTROL.findall(value))
            return _CONTROL.sub("", value)
        if isinstance(value, list):
            return [clean(v, found) for v in value]
        if isinstance(value, dict):
            return {k: clean(v, found) for k, v in value.items()}
        return value

    for key, value in front.data.items():
        found: set[str] = set()
        front.data[key] = clean(value, found)
        if found:
            out.append(f"{path}:{front.lines.get(key, 1)}: removed control character(s) {', '.join(sorted(found))} "
                       f"from '{key}' (written as escapes); they cannot appear in email or XML")
    return out


def _front_matter(lines: list[str], path: Path) -> RawFrontMatter:
    first = lines[0].rstrip() if lines else ""
    if first in ("---", "+++"):
        closers = ("---", "...") if first == "---" else ("+++",)
        for end in range(1, len(lines)):
            if lines[end].rstrip() in closers:
                break
        else:
            raise SourceError(
                f"front matter opened with '{first}' on line 1 is never closed; add a '{first}' line after it",
                path,
                1,
            )
        block = "\n".join(lines[1:end])
        errors: dict[str, SourceError] = {}
        if first == "---":
            data, key_lines = _yaml(block, path, errors)
            dialect = "yaml"
        else:
            data, key_lines = _toml(block, path)
            dialect = "toml"
        # key lines are relative to the block, which starts on file line 2
        return RawFrontMatter(dialect, data, {k: v + 1 for k, v in key_lines.items()}, end + 1, errors)
    front = _pelican(lines)
    if front.dialect == "pelican-duplicate":
        raise SourceError(
            f"key '{front.data['key']}' appears twice in the front matter (first on line {front.lines['first']}); keep one",
            path, front.lines["key"])
    return front


def _yaml(block: str, path: Path, errors: dict[str, SourceError]) -> tuple[dict[str, Any], dict[str, int]]:
    """``(values, key lines)`` of a YAML front-matter block; a key whose value cannot be
    constructed goes into ``errors`` instead (its line kept), so the others are still read.

    A block read without an error is kept by its text (PyYAML's composer is pure Python);
    the caller gets copies (the values are cleaned in place)."""
    found = _YAML.get((block, str(path)))
    if found is None:
        found = _read_yaml(block, path, errors)
        if errors:
            return found
        _YAML.put((block, str(path)), found)
    return copy.deepcopy(found[0]), dict(found[1])


#: YAML front matter read without an error, by its text (see :func:`_yaml`).
_YAML = LRU(64, "front matter")


def _read_yaml(block: str, path: Path, errors: dict[str, SourceError]) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        node = yaml.compose(block, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SourceError(f"front matter is not valid YAML: {problem}", path, line) from None
    except RecursionError:
        raise SourceError("front matter is nested too deeply to read", path, 2) from None
    if node is None:
        return {}, {}
    if not isinstance(node, yaml.MappingNode):
        raise SourceError("front matter must be 'key: value' lines, not a single value or a list", path, 2)
    _check_size(node, path)
    data: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    loader = yaml.SafeLoader("")
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        name = str(key_node.value).lower()
        if name in key_lines:
            raise SourceError(
                f"key '{key_node.value}' appears twice in the front matter (first on line {key_lines[name] + 1}); keep one",
                path, line + 1)
        key_lines[name] = line
        try:
            data[name] = loader.construct_object(value_node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            if "constructor for the tag" not in str(exc.problem):
                errors[name] = SourceError(f"'{key_node.value}' has a value YAML cannot read ({exc.problem}); quote "
                                           "it or fix it", path, value_node.start_mark.line + 2)
                continue
            bad = next((n for n in _nodes(value_node) if n.tag in str(exc.problem)), value_node)
            tag = bad.tag.replace("tag:yaml.org,2002:", "!!")
            errors[name] = SourceError(f"'{key_node.value}' has the tag {tag}, which front matter does not run; "
                                       "remove the tag and write a plain value", path, bad.start_mark.line + 2)
        except (ValueError, TypeError, OverflowError, yaml.YAMLError) as exc:
            errors[name] = SourceError(f"'{key_node.value}' has a value YAML cannot read ({str(exc).splitlines()[0]}); "
                                       "quote it or fix it (dates are YYYY-MM-DD)", path, value_node.start_mark.line + 2)
        except RecursionError:
            raise SourceError(f"'{key_node.value}' is nested too deeply to read", path, line + 1) from None
    return data, key_lines


def _check_size(node: yaml.MappingNode, path: Path) -> None:
    """Refuse front matter ``node`` when it stands for more than
    :data:`~dispatch.limits.FRONT_MATTER_VALUES` values once its aliases are expanded (the
    "billion laughs" of YAML); the walk stops at that many, so the work is bounded whatever
    the input.

    Raises:
        SourceError: at the line of the key whose value passes the limit.
    """
    budget = FRONT_MATTER_VALUES
    seen: set[int] = set()
    for key_node, value_node in node.value:
        aliased = False
        stack = [key_node, value_node]
        while stack:
            current = stack.pop()
            budget -= 1
            if id(current) in seen:
                aliased = True
            seen.add(id(current))
            if budget < 0:
                how = " through YAML aliases (*name)" if aliased else ""
                raise SourceError(f"'{key_node.value}' makes the front matter stand for more than "
                                  f"{FRONT_MATTER_VALUES} values{how}; write the values out plainly",
                                  path, key_node.start_mark.line + 2)
            if isinstance(current, yaml.SequenceNode):
                stack.extend(current.value)
            elif isinstance(current, yaml.MappingNode):
                for pair in current.value:
                    stack.extend(pair)


def _nodes(node):
    """``node`` and every node under it (YAML composition tree), depth first."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, yaml.SequenceNode):
            stack.extend(reversed(current.value))
        elif isinstance(current, yaml.MappingNode):
            for k, v in reversed(current.value):
                stack.extend((v, k))


def _toml(block: str, path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        data = tomllib.loads(block)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+)", str(exc))
        line = int(m.group(1)) + 1 if m else 1
        message = str(exc).split(" (at line")[0]
        raise SourceError(f"front matter is not valid TOML: {message}", path, line) from None
    key_lines: dict[str, int] = {}
    for number, text in enumerate(block.split("\n"), 1):
        m = re.match(r"^\s*[\"']?([A-Za-z0-9_-]+)[\"']?\s*=", text)
        if m and m.group(1).lower() not in key_lines:
            key_lines[m.group(1).lower()] = number
    return _lower(data, path, key_lines), key_lines


def _lower(data: dict[Any, Any], path: Path, key_lines: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key).lower()
        if name in out:
            raise SourceError(f"key '{name}' appears twice in the front matter; keep one", path, key_lines.get(name, 0) + 1)
        out[name] = value
    return out


def _pelican(lines: list[str]) -> RawFrontMatter:
    data: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    end = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            end = number
            break
        m = _PELICAN.match(line)
        if not m:
            return RawFrontMatter("none")
        key = m.group(1).lower()
        if key in data:
            return RawFrontMatter("pelican-duplicate", {"key": m.group(1)}, {"key": number, "first": key_lines[key]}, 0)
        data[key] = (m.group(2) or "").strip()
        key_lines[key] = number
    else:
        return RawFrontMatter("none")
    if not data or not ({"title", "date"} & data.keys()):
        return RawFrontMatter("none")
    return RawFrontMatter("pelican", data, key_lines, end)


def scan_lines(lines: list[str]):
    """Yield ``(index, line, in_code)`` for each line, tracking fenced code and HTML comments.

    As in Python-Markdown, a fence or a ``<!--`` that is never closed opens nothing: the
    lines after it stay ordinary Markdown (and their headings stay sections)."""
    fence: str | None = None
    in_comment = False
    for i, line in enumerate(lines):
        if fence is not None:
            yield i, line, True
            if _closes_fence(line, fence):
                fence = None
            continue
        if in_comment:
            yield i, line, True
            if "-->" in line:
                in_comment = False
            continue
        m = _FENCE.match(line)
        if m and any(_closes_fence(later, m.group(1)) for later in lines[i + 1:]):
            fence = m.group(1)
            yield i, line, True
            continue
        if line.lstrip().startswith("<!--") and "-->" not in line and any("-->" in later for later in lines[i + 1:]):
            in_comment = True
            yield i, line, True
            continue
        yield i, line, False


def _closes_fence(line: str, fence: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(fence) and set(stripped) == {fence[0]}


_SETEXT = re.compile(r"^(=+|-+)[ ]*$")


def _setext_level(body: list[str], i: int) -> int:
    """1 or 2 when ``body[i]`` is a Setext heading's text (``=`` or ``-`` underline on the next
    line), else 0. As Python-Markdown reads them: the text must open a block (first line or
    after a blank line) and the underline follow it directly."""
    if i + 1 >= len(body) or not body[i].strip() or body[i][:1].isspace() or (i and body[i - 1].strip()):
        return 0
    m = _SETEXT.match(body[i + 1])
    if not m or _ATX.match(body[i]):
        return 0
    return 1 if m.group(1)[0] == "=" else 2


def _take_title(body: list[str], body_line: int) -> tuple[str | None, int | None]:
    for i, line, in_code in scan_lines(body):
        if in_code:
            continue
        m = _ATX.match(line)
        if m and len(m.group(1)) == 1:
            body[i] = ""
            return (m.group(2) or "").strip(), body_line + i
        if _setext_level(body, i) == 1:
            body[i] = body[i + 1] = ""
            return line.strip(), body_line + i
        if line.strip():
            # only a heading before any other text counts as the title
            if not line.lstrip().startswith("<!--"):
                return None, None
    return None, None


_EXPLICIT = re.compile(r"\s*\{:?\s*(\.[A-Za-z_][\w-]*(?:\s+[A-Za-z_][\w-]*=(?:\"[^\"]*\"|'[^']*'|[^\s}]+))*)\s*\}\s*$")
_ATTR = re.compile(r"([A-Za-z_][\w-]*)=(?:\"([^\"]*)\"|'([^']*)'|([^\s}]+))")


def _parse_attrs(block: str) -> tuple[str, dict[str, str]]:
    """Parse ``.name key=value key="two words"`` into ``("name", {key: value})``."""
    name, _, rest = block.partition(" ")
    attrs = {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None) for m in _ATTR.finditer(rest)}
    return name[1:].lower().replace("-", "_"), attrs


def _mark_sections(body: list[str], body_line: int) -> list[RawSection]:
    """Mark every ``#``/``##`` heading, ATX or Setext (``Heading`` over ``===`` or ``---``),
    with its section number; a Setext heading is rewritten as the ATX one (its underline
    blanked) so Python-Markdown reads both alike."""
    sections: list[RawSection] = []
    skip = -1
    for i, line, in_code in scan_lines(body):
        if in_code or i == skip:
            continue
        level = _setext_level(body, i)
        if level:
            m = _ATX.match(f"{'#' * level} {line.strip()}")
            body[i + 1] = ""
            skip = i + 1
        else:
            m = _ATX.match(line)
        if not m or len(m.group(1)) > 2 or not (m.group(2) or "").strip():
            continue
        index = len(sections)
        heading = m.group(2).strip()
        component, attrs = "", {}
        explicit = _EXPLICIT.search(heading)
        if explicit:
            component, attrs = _parse_attrs(explicit.group(1))
            heading = heading[: explicit.start()].rstrip()
        sections.append(RawSection(index, len(m.group(1)), heading, body_line + i, component, attrs))
        body[i] = f"{m.group(1)} {MARK_OPEN}{index}{MARK_CLOSE}{heading}"
    return sections
