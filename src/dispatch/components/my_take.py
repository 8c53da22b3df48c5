"""My Take: the author's signed opinion, set apart from the reporting as a column
("🤔 My Take: The Narrative Is Shifting"). Signed with ``{.my_take by="Name"}``, else the
issue's author, else the newsletter's ``author`` (:func:`signer`); with none of them it goes
out unsigned, with a ``my-take-author`` warning (never signed with the site's name)."""

from __future__ import annotations

from dataclasses import dataclass

import regex

from ..model import Block
from . import ComponentError, SectionDraft, strip_symbols

_TAKE = regex.compile(
    r"^(?P<who>my|our|the editor[’']?s|editor[’']?s|the)\s+take\s*(?:[:—–-]\s*(?P<title>.*))?$", regex.I)


@dataclass(frozen=True)
class MyTake:
    """Attributes: ``title`` (after "My Take:", may be ``""``), ``blocks`` (the column),
    ``by`` (a signature given with ``by=``, else ``""``: templates sign with the author)."""

    title: str
    blocks: tuple[Block, ...]
    by: str = ""


def signer(issue, settings, by: str = "") -> str:
    """Who signs a My Take column: ``by`` (its ``by=`` attribute), else the issue's
    ``author``, else the newsletter's ``author`` setting; ``""`` when none is known. The
    layout's templates call it as ``signer(issue, settings, data.by)``."""
    return (by or issue.meta.author or settings.author or "").strip()


class MyTakeComponent:
    """Headings "My Take", "Our Take", "Editor's Take", each optionally followed by
    ": <title>"; explicitly ``{.my_take by="Name"}``."""

    name = "my_take"
    label = "My Take"
    aliases = ("opinion", "my view", "our view", "editor's note", "editors note")

    def match(self, heading: str):
        m = _TAKE.match(strip_symbols(heading))
        if not m:
            return None
        return {"title": (m.group("title") or "").strip()}

    def parse(self, draft: SectionDraft) -> MyTake:
        """Raises :class:`ComponentError` when the column is empty."""
        if not draft.blocks:
            raise ComponentError(f"the '{draft.heading}' column is empty; write your take under the heading")
        title = draft.attrs.get("title") or draft.match.get("title", "")
        return MyTake(title, draft.blocks, draft.attrs.get("by", ""))
