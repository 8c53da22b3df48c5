"""Lens: a regional take on the story ("🌏 NZ Lens: The Open-Source Opportunity")."""

from __future__ import annotations

from dataclasses import dataclass

import regex

from ..model import Block
from . import ComponentError, SectionDraft, strip_symbols

_LENS = regex.compile(r"^(?P<region>[\p{L}\p{N}][\p{L}\p{N} .&'’-]{0,40}?)\s+Lens\s*(?:[:—–-]\s*(?P<title>.*))?$", regex.I)


@dataclass(frozen=True)
class Lens:
    """Attributes: ``region`` as written ("NZ"), ``title`` (may be ``""``), ``blocks`` (body)."""

    region: str
    title: str
    blocks: tuple[Block, ...]


class LensComponent:
    """Headings "<Region> Lens" or "<Region> Lens: <title>"; explicitly
    ``{.lens region=NZ}`` (the heading is then the title)."""

    name = "lens"
    label = "Lens"
    aliases = ()

    def match(self, heading: str):
        m = _LENS.match(strip_symbols(heading))
        if not m:
            return None
        return {"region": m.group("region").strip(), "title": (m.group("title") or "").strip()}

    def parse(self, draft: SectionDraft) -> Lens:
        """Raises :class:`ComponentError` when no region is given or the body is empty."""
        region = draft.attrs.get("region") or draft.match.get("region", "")
        title = draft.attrs.get("title") or draft.match.get("title") or ("" if draft.match else strip_symbols(draft.heading))
        if not region:
            raise ComponentError(
                f"the Lens '{draft.heading}' has no region; write the heading as 'NZ Lens: title' "
                "or add one with {.lens region=NZ}"
            )
        if not draft.blocks:
            raise ComponentError(f"the Lens '{draft.heading}' is empty; write the regional take under the heading")
        return Lens(region, title, draft.blocks)
