"""Components: section blocks with a meaning (Bottom Line, Answer-First Lead, FAQ, By the
Numbers, Lens, My Take, Sources, Recap).

A component is recognised from an ordinary section heading, so an issue file still reads as
plain Markdown anywhere. Recognition compares a *key* made from the heading: emoji, symbols
and punctuation removed, case folded, a leading "the" dropped ("🔍 THE BOTTOM LINE" →
``bottom line``). An author can also name the component explicitly with a trailing
attribute block: ``## What it means here {.lens region=NZ}``.

Each component lives in one module of this package and has:

* ``name`` — the id used in templates (``layouts/<layout>/<channel>/<name>.*``) and config;
* ``aliases`` — heading keys it answers to (more come from ``[components.aliases]``);
* ``match(heading)`` — optional, for headings that carry data (the Lens's region);
* ``parse(draft)`` — the section's blocks → the component's typed dataclass, raising
  :class:`ComponentError` when the section cannot be read as that component.

Adding a component: write a module here with a class like the others, register it in
:func:`default_registry`, and add its templates to the layout (``email/<name>.mjml``,
``html/<name>.html``, ``text/<name>.txt``, optionally ``thread/<name>.txt``). No channel code
changes: channels fall back to the ordinary-section template for a component without one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Protocol

import regex

from ..model import Block


class ComponentError(Exception):
    """A section named as a component cannot be parsed as one.

    Attributes:
        message: what is wrong and how to fix it.
        line: 1-based file line, or ``None`` for the section's heading line.
    """

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class SectionDraft:
    """What a component parser gets: a section before it is typed.

    Attributes:
        heading: the heading as plain text (emoji included).
        level: 1 or 2.
        line: 1-based file line of the heading.
        blocks: the section's body.
        explicit: a component name given with ``{.name}``, else ``""``.
        attrs: ``key=value`` pairs of that block (e.g. ``region``).
        match: what :meth:`Component.match` returned for the heading.
    """

    heading: str
    level: int
    line: int
    blocks: tuple[Block, ...]
    explicit: str = ""
    attrs: dict[str, str] = field(default_factory=dict)
    match: Mapping[str, str] = field(default_factory=dict)


class Component(Protocol):
    """What every component module provides (see the package docstring)."""

    name: str
    label: str
    aliases: tuple[str, ...]

    def match(self, heading: str) -> Mapping[str, str] | None: ...

    def parse(self, draft: SectionDraft) -> Any: ...


_SYMBOLS = regex.compile(r"[\p{So}\p{Sk}\p{Cf}\p{Mn}\p{Me}\p{Cs}\p{Co}\uFE0F\u20E3]+")
_PUNCT = regex.compile(r"[^\p{L}\p{N}&\s]+")


def strip_symbols(heading: str) -> str:
    """Remove emoji, symbols and format characters (ZWJ, variation selectors, keycaps,
    flags' regional indicators) from a heading, collapsing spaces."""
    return " ".join(_SYMBOLS.sub(" ", heading).split())


def paragraph_text(blocks) -> str:
    """The plain text of the paragraphs among ``blocks``, joined by a space, whitespace
    collapsed (what Bottom Line, Answer-First Lead and Recap hold); ``""`` when there are none."""
    from ..model import Paragraph
    from ..textutil import plain_text

    return " ".join(" ".join(plain_text(b.children) for b in blocks if isinstance(b, Paragraph)).split())


def heading_key(heading: str) -> str:
    """The key a heading is recognised by: no emoji or punctuation, case-folded, a leading
    "the " dropped. ``"🔍 THE BOTTOM LINE"`` → ``"bottom line"``; ``"Q&A"`` → ``"q&a"``."""
    key = " ".join(_PUNCT.sub(" ", strip_symbols(heading)).casefold().split())
    return key.removeprefix("the ")


class Registry:
    """Components in priority order (like Python-Markdown's ``util.Registry``).

    ``parse(draft)`` returns ``(kind, data)``: the first component whose explicit name,
    alias or ``match`` fits the heading parses it; an ordinary section gives
    ``("section", None)``.
    """

    def __init__(self) -> None:
        self._items: list[tuple[float, Component]] = []
        self._aliases: dict[str, set[str]] = {}

    def register(self, component: Component, priority: float = 50, aliases: tuple[str, ...] = ()) -> None:
        """Add ``component`` (replacing one of the same name); higher priority is tried first."""
        self._items = [(p, c) for p, c in self._items if c.name != component.name]
        self._items.append((priority, component))
        self._items.sort(key=lambda item: -item[0])
        keys = {heading_key(a) for a in (*component.aliases, *aliases)}
        self._aliases[component.name] = keys

    def add_aliases(self, name: str, aliases: tuple[str, ...]) -> None:
        """Recognise more headings as component ``name``."""
        self._aliases.setdefault(name, set()).update(heading_key(a) for a in aliases)

    def names(self) -> list[str]:
        """Component names in priority order."""
        return [c.name for _, c in self._items]

    def __iter__(self) -> Iterator[Component]:
        return (c for _, c in self._items)

    def get(self, name: str) -> Component | None:
        """The component called ``name``, or ``None``."""
        return next((c for c in self if c.name == name), None)

    def recognise(self, heading: str, explicit: str = "") -> tuple[Component, Mapping[str, str]] | None:
        """Which component a heading names, and what its ``match`` found, or ``None``.

        Raises:
            ComponentError: ``explicit`` names no known component.
        """
        if explicit:
            component = self.get(explicit)
            if component is None:
                raise ComponentError(
                    f"unknown component '{{.{explicit}}}'; known: {', '.join('.' + n for n in self.names())}"
                )
            return component, (component.match(heading) or {})
        key = heading_key(heading)
        for component in self:
            if key in self._aliases.get(component.name, ()):
                return component, {}
            found = component.match(heading)
            if found is not None:
                return component, found
        return None

    def parse(self, draft: SectionDraft) -> tuple[str, Any]:
        """Type a section: ``(component name, data)`` or ``("section", None)``.

        Raises:
            ComponentError: the section names a component but cannot be parsed as it.
        """
        found = self.recognise(draft.heading, draft.explicit)
        if found is None:
            return "section", None
        component, match = found
        draft = SectionDraft(draft.heading, draft.level, draft.line, draft.blocks, draft.explicit, draft.attrs, match)
        return component.name, component.parse(draft)


def default_registry(aliases: Mapping[str, tuple[str, ...]] | None = None) -> Registry:
    """The built-in components, plus extra ``aliases`` from ``[components.aliases]``."""
    from .answer_first import AnswerFirstComponent
    from .bottom_line import BottomLineComponent
    from .faq import FAQComponent
    from .lens import LensComponent
    from .my_take import MyTakeComponent
    from .numbers import NumbersComponent
    from .recap import RecapComponent
    from .sources import SourcesComponent

    registry = Registry()
    registry.register(BottomLineComponent(), 50)
    registry.register(AnswerFirstComponent(), 45)
    registry.register(FAQComponent(), 40)
    registry.register(NumbersComponent(), 30)
    registry.register(LensComponent(), 20)
    registry.register(MyTakeComponent(), 15)
    registry.register(SourcesComponent(), 10)
    registry.register(RecapComponent(), 5)
    for name, extra in (aliases or {}).items():
        registry.add_aliases(name, tuple(extra))
    return registry
