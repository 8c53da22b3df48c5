"""One set of diagnostics: every warning and error ``check``, ``render``, ``build`` and
``preview`` report about an issue comes from here.

:func:`issue_warnings` is the one function that computes an issue's warnings (images, alt
text, mentions, clip size, ``dispatch new`` placeholders left, sources without a URL, a missing
unsubscribe link, what parsing cleaned up). :func:`folder_diagnostics` adds what only a folder
of issues shows (two issues with one id or one slug, two scheduled for one instant).

A :class:`Diagnostic` is ``path:line: message`` with a severity and a stable code, so it prints
as one line for people and serialises to JSON for CI (``dispatch check --format json``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from .errors import DispatchError

if TYPE_CHECKING:  # pragma: no cover
    from .channels.email import EmailResult
    from .channels.thread import Thread
    from .config import Settings
    from .model import Issue

_LOCATED = re.compile(r"^(?P<path>.+?):(?P<line>\d+): (?P<message>.*)$", re.S)
_PATHED = re.compile(r"^(?P<path>[^\s:][^:]*?\.(?:md|markdown|txt|toml|html)): (?P<message>.*)$", re.S)


@dataclass(frozen=True)
class Diagnostic:
    """One finding about an issue.

    Attributes:
        severity: ``"error"`` (the issue cannot be rendered or published as it is) or
            ``"warning"`` (it can, but a reader would see something wrong).
        code: a stable kebab-case name of the rule (``image-missing``, ``alt-text``, ``mention``,
            ``clip-size``, ``placeholder``, ``source-url``, ``unsubscribe``, ``duplicate-id``,
            ``duplicate-slug``, ``schedule``, ``parse``, ``render``, ``base-url``, ``repeat``…), for filtering in CI.
        message: what is wrong and how to fix it (one line).
        path: the file it is about, or ``""``.
        line: 1-based line in ``path``, or ``0`` when the whole file is meant.
    """

    severity: str
    code: str
    message: str
    path: str = ""
    line: int = 0

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.path and self.line else self.path
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict:
        """The diagnostic as a JSON-ready dict: ``severity``, ``code``, ``message``, ``path``,
        ``line`` (``0``: no line)."""
        return asdict(self)

    @classmethod
    def from_line(cls, text: str, code: str, severity: str = "warning") -> "Diagnostic":
        """Parse a ``path:line: message`` (or ``path: message``) line as the channels write
        their warnings."""
        m = _LOCATED.match(text)
        if m:
            return cls(severity, code, m.group("message"), m.group("path"), int(m.group("line")))
        m = _PATHED.match(text)
        if m:
            return cls(severity, code, m.group("message"), m.group("path"))
        return cls(severity, code, text)

    @classmethod
    def from_errors(cls, exc: DispatchError, code: str = "") -> "list[Diagnostic]":
        """Every problem an error carries (a :class:`~dispatch.errors.SourceErrors` holds
        several) as error diagnostics."""
        return [cls.from_error(e, code) for e in getattr(exc, "errors", None) or [exc]]

    @classmethod
    def from_error(cls, exc: DispatchError, code: str = "") -> "Diagnostic":
        """A :class:`~dispatch.errors.DispatchError` as an error diagnostic (its ``path:line``
        kept); ``code`` defaults to the error's kind (``source``, ``config``, ``render``)."""
        kind = code or type(exc).__name__.replace("Error", "").lower() or "error"
        return cls("error", kind, exc.message, str(exc.path) if exc.path else "", exc.line or 0)


def placeholder_lines(issue: "Issue") -> list[tuple[int, str]]:
    """The lines of ``issue``'s source that still hold ``dispatch new``'s placeholder text
    (:data:`dispatch.scaffold.PLACEHOLDERS`), as ``(1-based line, text)``."""
    from .scaffold import PLACEHOLDERS

    wanted = set(PLACEHOLDERS)
    return [(n, line.strip()) for n, line in enumerate(issue.source_lines, 1) if line.strip() in wanted]


#: The words every placeholder diagnostic carries (``build`` finds them in a cached record's warnings).
PLACEHOLDER_NOTE = "from 'dispatch new'"


def placeholder_diagnostics(issue: "Issue", severity: str = "warning") -> list[Diagnostic]:
    """One diagnostic per line still holding ``dispatch new``'s placeholder text."""
    return [Diagnostic(severity, "placeholder",
                       f"still holds the placeholder text {text!r} {PLACEHOLDER_NOTE}; write your own or delete the line",
                       str(issue.path), n)
            for n, text in placeholder_lines(issue)]


def holds_placeholders(warnings: Iterable[str]) -> bool:
    """Whether warning lines (as ``build`` caches them) include a placeholder diagnostic."""
    return any(PLACEHOLDER_NOTE in w and "placeholder text" in w for w in warnings)


def refuse_placeholders(issue: "Issue") -> None:
    """What ``build`` does before publishing an issue: refuse one still holding
    ``dispatch new``'s placeholder text (a subscriber would read "The lead: what happened…").

    Raises:
        RefusedError: at the first placeholder line, saying how many lines hold one.
    """
    from .errors import RefusedError

    found = placeholder_lines(issue)
    if found:
        more = f" (and {len(found) - 1} more line(s))" if len(found) > 1 else ""
        raise RefusedError(f"still holds the placeholder text {found[0][1]!r} {PLACEHOLDER_NOTE}{more}; "
                          "write the issue, or mark it 'draft: true' to keep it out of the archive",
                          issue.path, found[0][0])


def issue_warnings(issue: "Issue", settings: "Settings", *, email: "EmailResult | None" = None,
                   threads: "Sequence[Thread] | None" = None,
                   asset_warnings: Iterable[str] | None = None) -> list[Diagnostic]:
    """Every warning about ``issue``, in a stable order, without repeats.

    Args:
        issue: the parsed issue (its parse warnings are included).
        settings: the newsletter's settings.
        email: the rendered email, when the caller rendered one: adds alt-text, clip-size and
            missing-unsubscribe warnings (``build`` renders none, so it gets none of them).
        threads: the rendered threads: adds one warning per ``@handle`` they would mention.
        asset_warnings: the local-image warnings from :func:`dispatch.assets.local_assets`
            when the caller already has them (computed here otherwise).

    Returns:
        warning :class:`Diagnostic` objects. Rules: Gmail clips bodies over ~102 KB (Google's
        documented threshold); an unsubscribe link is required by CAN-SPAM (15 U.S.C. 7704)
        and by Gmail's and Yahoo's 2024 bulk-sender rules.
    """
    from .assets import local_assets
    from .channels.email import write_hint

    out: list[Diagnostic] = [Diagnostic.from_line(w, "parse") for w in issue.warnings]
    out += settings_diagnostics(settings)
    if asset_warnings is None:
        asset_warnings = local_assets(issue, settings)[1]
    out += [Diagnostic.from_line(w, code) for code, w in issue.coded_warnings]
    out += [Diagnostic.from_line(w, "image") for w in asset_warnings]
    out += _value_warnings(issue)
    out += placeholder_diagnostics(issue)
    out += _source_url_warnings(issue)
    out += _repeat_warnings(issue)
    if email is not None:
        if not issue.bottom_line:
            out.append(Diagnostic("warning", "bottom-line",
                                  "no Bottom Line section; the preheader and thread hook fall back to the summary",
                                  str(issue.path)))
        out += [Diagnostic.from_line(w, "alt-text") for w in email.warnings]
        hint = write_hint(Path("email.html"), email.bytes, email.delivered, email.platform.name)
        if hint:
            out.append(Diagnostic("warning", "clip-size", hint, str(issue.path)))
        if not email.unsubscribe and email.platform.form != "content":
            out.append(Diagnostic(
                "warning", "unsubscribe",
                f"the email has no unsubscribe link (platform '{email.platform.name}'); set unsubscribe_url in "
                "dispatch.toml or the platform your list is sent from (platform = \"buttondown\"…)",
                str(settings.path or issue.path), _config_line(settings, "unsubscribe_url")))
        if not settings.postal_address.strip() and email.platform.form != "content":
            out.append(_postal_warning(settings, email.platform.name))
    out += _signature_warnings(issue, settings)
    if threads is not None:
        from .channels.thread import mention_warnings

        out += [Diagnostic.from_line(w, "mention") for w in mention_warnings(list(threads), issue)]
    return list(dict.fromkeys(out))


def settings_diagnostics(settings: "Settings") -> list[Diagnostic]:
    """What the settings alone show, the same for every issue (so a run over a folder reports
    it once: ``check`` and ``build`` drop repeats): ``base_url`` still the placeholder
    ``https://example.com/`` that ``dispatch init`` writes and that applies without a
    ``dispatch.toml`` (the email's images, View online link, canonical URL and feeds would
    all point there)."""
    from .config import CONFIG_NAME, DEFAULT_BASE_URL

    if settings.base_url.rstrip("/") != DEFAULT_BASE_URL.rstrip("/"):
        return []
    where = str(settings.path) if settings.path else CONFIG_NAME
    why = "" if settings.path else " (the built-in default: there is no settings file)"
    return [Diagnostic("warning", "base-url",
                       f"base_url is still the placeholder {DEFAULT_BASE_URL}{why}: the email's images, "
                       "'View online' link, canonical URL and feeds point there; set it to your site's address",
                       where, _config_line(settings, "base_url"))]


def _postal_warning(settings: "Settings", platform: str) -> Diagnostic:
    """``postal-address``: bulk email must show the sender's valid physical postal address
    (CAN-SPAM, 15 U.S.C. 7704(a)(5)(A)(iii)); every platform but Substack (which adds its own
    footer, address included) sends what dispatch writes. Told once a run (same path and line)."""
    from .config import CONFIG_NAME

    return Diagnostic("warning", "postal-address",
                      f"no postal_address: email sent in bulk through '{platform}' must show the sender's postal "
                      "address (CAN-SPAM); set postal_address = \"PO Box 1234, Wellington 6140, New Zealand\" in "
                      "dispatch.toml (a PO box will do)", str(settings.path or CONFIG_NAME))


def _signature_warnings(issue: "Issue", settings: "Settings") -> list[Diagnostic]:
    """``my-take-author``: a My Take column with nobody to sign it
    (:func:`dispatch.components.my_take.signer`)."""
    from .components.my_take import signer

    return [Diagnostic("warning", "my-take-author",
                       "the My Take column has no author to sign it, so it goes out unsigned; set author = \"Name\" "
                       "in dispatch.toml, 'author: Name' in the front matter, or {.my_take by=\"Name\"} on its heading",
                       str(issue.path), section.line)
            for section in issue.components("my_take") if not signer(issue, settings, section.data.by)]


def _config_line(settings: "Settings", key: str) -> int:
    if settings.path is None:
        return 0
    try:
        for n, line in enumerate(settings.path.read_text(encoding="utf-8").splitlines(), 1):
            if re.match(rf"\s*{key}\s*=", line):
                return n
    except OSError:
        pass
    return 0


def _value_warnings(issue: "Issue") -> list[Diagnostic]:
    """Front-matter values (written with YAML/TOML escapes such as ``"\\a"``) holding
    characters XML cannot carry; they are removed from every output."""
    from .channels.entry import _NOT_XML_CHAR as NOT_XML_CHAR

    meta = issue.meta
    out = []
    values = {"id": [meta.id], "title": [meta.title], "tags": list(meta.tags), "author": [meta.author or ""],
              "lang": [meta.lang]}
    for key, texts in values.items():
        bad = sorted({f"U+{ord(c):04X}" for text in texts for c in NOT_XML_CHAR.findall(text or "")})
        if bad:
            out.append(Diagnostic("warning", "control-character",
                                  f"removed {', '.join(bad)} (not allowed in XML) from {key}",
                                  str(issue.path), meta.lines.get(key, 1)))
    return out


def _source_url_warnings(issue: "Issue") -> list[Diagnostic]:
    """One warning per Sources section listing sources without a URL (named, with their lines)."""
    out = []
    for section in issue.components("sources"):
        missing = [(issue.source_line(item.name, section.line) if item.name else section.line, item.name)
                   for item in section.data.items if not item.url]
        if missing:
            names = ", ".join(f"{name!r} (line {line})" for line, name in missing)
            noun, them = ("a source has", "it") if len(missing) == 1 else (f"{len(missing)} sources have", "them")
            out.append(Diagnostic("warning", "source-url",
                                  f"{noun} no URL, so readers cannot check {them}: {names}; "
                                  "write '- [Name](https://…)'", str(issue.path), missing[0][0]))
    return out


#: Fewer words than this in common is not "repeating the opening paragraphs".
_REPEAT_MIN_WORDS = 8


def _repeat_warnings(issue: "Issue") -> list[Diagnostic]:
    """A warning when the Answer-First Lead repeats the opening paragraphs (the lead) word for
    word, or they repeat it: readers read the same text twice. Both are kept as written; the
    writer decides which to delete. Compared as plain text, whitespace collapsed."""
    from .components import paragraph_text

    section = issue.component("answer_first")
    if section is None:
        return []
    answer, lead = section.data.text, paragraph_text(issue.lead)
    shorter, longer = sorted((answer, lead), key=len)
    if len(shorter.split()) < _REPEAT_MIN_WORDS or shorter not in longer:
        return []
    return [Diagnostic("warning", "repeat",
                       "the Answer-First Lead repeats the opening paragraphs; readers read it twice — delete one",
                       str(issue.path), section.line)]


def folder_diagnostics(issues: Sequence["Issue"], now) -> list[Diagnostic]:
    """What a folder of parsed issues shows that one issue does not: two issues with one id
    (the later, in path order, is named) or one slug (their pages would share a folder),
    and two issues due at the same instant (subscribers would get both at once).

    Args:
        issues: parsed issues, in path order.
        now: an aware datetime to judge the schedule at.
    """
    out: list[Diagnostic] = []
    by_id: dict[str, "Issue"] = {}
    by_slug: dict[str, "Issue"] = {}
    by_when: dict[object, "Issue"] = {}
    for issue in issues:
        meta = issue.meta
        first = by_id.setdefault(meta.id, issue)
        if first is not issue:
            out.append(Diagnostic("error", "duplicate-id",
                                  f"id {meta.id!r} is already used by {first.path}; every issue needs its own id",
                                  str(issue.path), meta.lines.get("id", 1)))
        first = by_slug.setdefault(meta.slug, issue)
        if first is not issue and not (meta.draft or first.meta.draft):
            out.append(Diagnostic("error", "duplicate-slug",
                                  f"slug {meta.slug!r} is already used by {first.path}; give this issue its own slug",
                                  str(issue.path), meta.lines.get("slug", meta.lines.get("title", 1))))
        if not meta.draft and meta.date > now:
            first = by_when.setdefault(meta.date, issue)
            if first is not issue:
                out.append(Diagnostic("warning", "schedule",
                                      f"scheduled for {meta.date.isoformat()}, the same instant as {first.path}; "
                                      "subscribers would get both at once", str(issue.path),
                                      meta.lines.get("date", 1)))
    return out


def status(issue: "Issue", now) -> str:
    """``"draft"``, ``"scheduled"`` (dated after ``now``) or ``"published"`` — the rule
    ``dispatch build`` publishes by."""
    if issue.meta.draft:
        return "draft"
    return "scheduled" if issue.meta.date > now else "published"
