"""Which ``<…>`` in prose is HTML the writer meant, and which is text (``Vec<T>``, ``<angle>``).

Python-Markdown passes anything shaped like a tag through as raw HTML, so ``Use <T> here``
reaches the email as ``<t> here.</t>`` and vanishes from the plain-text part. dispatch keeps
a tag as HTML only when it names an element of HTML (the WHATWG HTML Living Standard's index
of elements, plus the obsolete ones of its §16 that mail clients and browsers still render,
plus ``svg`` and ``math``) and is balanced within its paragraph (a void element such as
``<br>`` needs no end tag). Anything else is text, in every channel, with a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: HTML Living Standard, "Index of elements" (https://html.spec.whatwg.org/multipage/indices.html).
HTML_ELEMENTS = frozenset("""
a abbr address area article aside audio b base bdi bdo blockquote body br button canvas caption
cite code col colgroup data datalist dd del details dfn dialog div dl dt em embed fieldset
figcaption figure footer form h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe img input ins
kbd label legend li link main map mark menu meta meter nav noscript object ol optgroup option
output p picture pre progress q rp rt ruby s samp script search section select slot small source
span strong style sub summary sup table tbody td template textarea tfoot th thead time title tr
track u ul var video wbr svg math
""".split())
#: HTML Living Standard §16.2 "Non-conforming features": obsolete, still rendered.
OBSOLETE_ELEMENTS = frozenset("""
acronym applet basefont bgsound big blink center dir font frame frameset image isindex keygen
listing marquee menuitem multicol nextid nobr noembed noframes param plaintext rb rtc spacer strike
tt xmp
""".split())
#: Void elements (§13.1.2): never have an end tag.
VOID_ELEMENTS = frozenset("area base br col embed hr img input link meta source track wbr basefont bgsound "
                          "frame image keygen param".split())

_TAG = re.compile(r"""^<(/?)([A-Za-z][A-Za-z0-9-]*)(?=[\s/>])(?:[^<>"']|"[^"]*"|'[^']*')*?(/?)>$""", re.S)


@dataclass(frozen=True)
class KeptAsText:
    """A ``<…>`` that is kept as text, and why (``"not an element"`` or ``"unbalanced"``)."""

    html: str
    reason: str

    def warning(self) -> str:
        """The message (without ``path:line``) for the writer."""
        shown = self.html if len(self.html) <= 40 else self.html[:39] + "…"
        if self.reason == "not an element":
            why = f"{shown!r} is not an HTML element"
        else:
            tag = _TAG.match(self.html)
            name = tag.group(2).lower() if tag else ""
            why = (f"{shown!r} has no opening <{name}> in its paragraph" if tag and tag.group(1)
                   else f"{shown!r} has no closing </{name}> in its paragraph")
        return (f"{why}, so it is kept as text; put it in a code span (`{shown}`) or write \\{shown} "
                "to say so and silence this warning")


def element_name(html: str) -> tuple[str, bool, bool] | None:
    """``(lower-case name, is end tag, is self-closed)`` of a single tag, or ``None`` when
    ``html`` is not one tag (a comment, a processing instruction…)."""
    m = _TAG.match(html.strip())
    if m is None:
        return None
    return m.group(2).lower(), bool(m.group(1)), bool(m.group(3))


def is_element(name: str) -> bool:
    """Whether ``name`` (lower case) is an HTML element, current or obsolete."""
    return name in HTML_ELEMENTS or name in OBSOLETE_ELEMENTS


def settle(tags: list[str]) -> dict[int, KeptAsText]:
    """Decide which of the raw tags of one paragraph (in order) stay HTML.

    Returns:
        index in ``tags`` → why that tag is kept as text. Comments, declarations and
        processing instructions (``<!…>``, ``<?…?>``) are left alone.
    """
    text: dict[int, KeptAsText] = {}
    open_at: list[tuple[str, int]] = []
    for i, html in enumerate(tags):
        parsed = element_name(html)
        if parsed is None:
            if not html.lstrip().startswith(("<!", "<?")):  # '<K, V>': no tag at all
                text[i] = KeptAsText(html, "not an element")
            continue
        name, closing, self_closed = parsed
        if not is_element(name):
            text[i] = KeptAsText(html, "not an element")
        elif name in VOID_ELEMENTS:
            if closing:
                text[i] = KeptAsText(html, "unbalanced")
        elif self_closed:
            continue  # <svg .../>: foreign elements self-close; the channels' balancing closes others
        elif not closing:
            open_at.append((name, i))
        elif any(n == name for n, _ in open_at):
            while open_at:
                n, j = open_at.pop()
                if n == name:
                    break
                text[j] = KeptAsText(tags[j], "unbalanced")
        else:
            text[i] = KeptAsText(html, "unbalanced")
    for _, j in open_at:
        text[j] = KeptAsText(tags[j], "unbalanced")
    return text
