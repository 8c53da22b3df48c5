"""What dispatch made of an issue's structure: ``dispatch import`` (a plain-text briefing
written out as the Markdown dispatch reads) and ``check``'s explanation when an issue has no
sections or no components."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .components import default_registry
from .config import Settings
from .errors import SourceError
from .model import Issue
from .output import write_file
from .plaintext import convert, front_matter_date, has_markdown_structure, heading_lines
from .source import read_source, scan_lines


@dataclass
class ImportResult:
    """What ``dispatch import`` did.

    Attributes:
        path: the Markdown file written (``None`` when written to standard output).
        markdown: its text.
        notes: ``path:line: message`` lines: what the recogniser was unsure of and chose.
        warnings: ``path:line: message`` lines: the metadata it had to guess.
        id: the permanent id written into the front matter (a ``urn:uuid:``).
    """

    path: Path | None
    markdown: str
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    id: str = ""


def import_briefing(path: Path, out: Path | None, settings: Settings) -> ImportResult:
    """Write the Markdown source of the plain-text briefing ``path``.

    The Markdown is :func:`dispatch.plaintext.convert`'s, with the title and date the
    fallbacks found written into its front matter (so the file keeps them: a modification
    time would change), and, as ``dispatch new`` writes them, ``draft: true`` (so the next
    build does not publish it before it is read) and a permanent ``id`` (a random
    ``urn:uuid:``, so correcting the date or the title later does not change the feed entry's
    id). Apart from the id (and being a draft), it renders to the same outputs as the plain text.

    Args:
        path: the plain-text briefing.
        out: the folder to write ``YYYY-MM-DD-<slug>.md`` into, a ``.md`` file path, or
            ``None`` for standard output.
        settings: the newsletter's settings (time zone, component aliases, strictness).

    Raises:
        SourceError: ``path`` cannot be read, is already Markdown, has metadata errors, or the
            target file exists (nothing is overwritten).
    """
    from .frontmatter import build_front_matter

    registry = default_registry(settings.components.aliases)
    src = read_source(path, root=settings.root, max_bytes=settings.limits.issue_bytes, registry=registry)
    if src.conversion is None:
        if has_markdown_structure(src.text):
            raise SourceError("is Markdown already (it has front matter or '#' headings); render it as it is", path)
        # asked to import it: plain text, though its shape alone did not say so
        src = read_source(path, root=settings.root, max_bytes=settings.limits.issue_bytes, source_format="plain",
                          registry=registry)
    meta = build_front_matter(src, settings)
    conversion = convert(src.conversion.text, date=front_matter_date(meta.date), title=meta.title,
                         registry=registry)
    notes = [f"{path}:{n.line}: {n.message}" for n in conversion.notes]
    issue_id = uuid.uuid4().urn
    markdown = _add_keys(conversion.markdown, [f"id: {issue_id}", "draft: true"])
    if out is None:
        return ImportResult(None, markdown, notes, list(src.warnings), issue_id)
    target = out if out.suffix.lower() in (".md", ".markdown") else out / f"{meta.date:%Y-%m-%d}-{meta.slug}.md"
    if target.exists():
        raise SourceError("already exists; move it away or pass another -o", target)
    try:
        write_file(target, markdown.encode("utf-8"))
    except OSError as exc:
        raise SourceError(f"cannot write the imported issue: {exc.strerror}", target) from None
    return ImportResult(target, markdown, notes, list(src.warnings), issue_id)


def _add_keys(markdown: str, keys: list[str]) -> str:
    """``markdown`` (as :func:`~dispatch.plaintext.convert` writes it: YAML front matter
    between ``---`` lines, or none) with ``keys`` (``key: value`` lines) added at the end of
    its front matter."""
    if markdown.startswith("---\n"):
        end = markdown.index("\n---\n", 3)
        return markdown[:end + 1] + "".join(f"{k}\n" for k in keys) + markdown[end + 1:]
    return "---\n" + "".join(f"{k}\n" for k in keys) + "---\n\n" + markdown


def explain_structure(issue: Issue, settings: Settings) -> list[str]:
    """``path:line: message`` lines for ``check``: for a plain-text briefing, the lines the
    recogniser was unsure of and what it chose; for an issue with no sections, the lines that
    look like headings but are not marked as such; for one with sections but no component,
    its headings and the ones components answer to."""
    path = issue.path
    registry = default_registry(settings.components.aliases)
    try:
        src = read_source(path, root=settings.root, max_bytes=settings.limits.issue_bytes,
                          source_format=settings.source.format, registry=registry)
    except SourceError:  # pragma: no cover - the issue was just parsed from this file
        return []
    out = [f"{path}:{n.line}: {n.message}" for n in src.conversion.notes] if src.conversion else []
    if any(s.is_component for s in issue.sections):
        return out
    if issue.sections:
        first = issue.sections[0]
        names = ", ".join(f"'{c.label}'" for c in list(registry)[:4])
        return out + [f"{path}:{first.line}: {len(issue.sections)} section(s), none a component (the first is "
                      f"'{first.heading_text[:40]}'); a heading such as {names} makes one (emoji and case do not "
                      "matter), or name it: '## Heading {.faq}'"]
    if src.conversion is not None:
        return out + [f"{path}: read as a plain-text briefing, but no line looks like a heading: everything is the "
                      "lead. Put a short heading line (e.g. '📊 By the Numbers') above each part"]
    body = [("" if in_code else line) for _, line, in_code in scan_lines(src.body.split("\n"))]
    found = heading_lines(body, src.body_line, registry)
    if not found:
        return out + [f"{path}: no sections: everything is the lead. Start each part with a '## Heading' line"]
    shown = ", ".join(f"line {line} '{text[:40]}'" for line, text in found[:4])
    more = f" and {len(found) - 4} more" if len(found) > 4 else ""
    return out + [f"{path}:{found[0][0]}: {len(found)} line(s) look like headings but have no '##' ({shown}{more}); "
                  "start each with '## ', or run 'dispatch import' on the plain-text original to have them found"]
