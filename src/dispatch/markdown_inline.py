"""Python-Markdown's inline step, with the patterns that cannot match a text skipped.

Python-Markdown's :class:`~markdown.treeprocessors.InlineProcessor` tries every inline pattern
(16 with dispatch's extensions) on every text of the tree, in priority order, one regular
expression scan and a few Python calls each, even where the text holds none of the
characters the pattern starts with (a list item without a ``[`` is still offered to the seven
link and image patterns). On a This-Week-in-Rust-sized issue that is ≈ 8,000 tries, a third
of the whole Markdown pass.

:class:`PrefilteredInlineProcessor` runs the same patterns, in the same order, through
Python-Markdown's own code; before each try it checks that the text holds one of the
literal strings every match of that pattern contains (``[`` for a link, ``&`` for an
entity…) and skips the try when it does not, which is exactly what the try would have done
(no match: the text is unchanged and the next pattern starts at the text's beginning). The
tree, and so every output, is the same as Python-Markdown's own (``tests/test_parse.py``
compares them on the corpus).

A pattern gets a prefilter only when its regular expression is, character for character, one
listed in :data:`NEEDS` (or a delimiter processor's alternation of its tokens, or the
bare-URL pattern): a Python-Markdown release that changes a pattern leaves that pattern
without a prefilter, tried on every text as before. Without the private methods this relies
on (``_InlineProcessor__applyPattern``), :func:`install` leaves Python-Markdown's processor
in place.
"""

from __future__ import annotations

import re

import markdown
from markdown import util
from markdown.treeprocessors import InlineProcessor

#: Regular expression (as written in Python-Markdown 3.6–3.11 and its footnotes extension)
#: → literal strings one of which every match contains.
NEEDS: dict[str, tuple[str, ...]] = {
    # backtick: a run of backslashes before a backtick, or a backtick
    r'(?:(?<!\\)((?:\\{2})+)(?=`+)|(?<!\\)`)': ("`",),
    r'(?:(?<!\\)((?:\\{2})+)(?=`+)|(?<!\\)(`+)(.+?)(?<!`)\2(?!`))': ("`",),
    r'\\(.)': ("\\",),  # escape
    r'(?<!\!)\[': ("[",),  # link, reference, short reference
    r'\!\[': ("![",),  # image, image reference, short image reference
    r'\[\^([^\]]*)\]': ("[^",),  # footnote reference
    r'<([A-Za-z][A-Za-z0-9+.-]*://[^<>]*)>': ("<",),  # autolink
    r'<((?:[Ff]|[Hh][Tt])[Tt][Pp][Ss]?://[^<>]*)>': ("<",),  # autolink (older releases)
    r'<([^<> !]+@[^@<> ]+)>': ("<",),  # automail
    r'<([^<> !]*@[^@<> ]*)>': ("<",),  # automail (older releases)
    r'  \n': ("  \n",),  # line break
    # raw HTML: a tag, comment, processing instruction or CDATA section
    r'''(<(\/?+[a-zA-Z][^\s"'<>@]*+(?:\s+[^\s"'=<>]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s"'=<>]++))?+)*+\s*+/?|'''
    r'!--(?:(?!<!--|-->).)*--|[?](?:(?!<[?]|[?]>).)*[?]|!\[CDATA\[(?:(?!<!\[CDATA\[|\]\]>).)*\]\])>)': ("<",),
    r'(<(\/?[a-zA-Z][^<>@ ]*( [^<>]*)?|!--(?:(?!<!--|-->).)*--)>)': ("<",),
    r'(&(?:\#[0-9]+|\#x[0-9a-fA-F]+|[a-zA-Z0-9]+);)': ("&",),  # entity
    r'((^|(?<=\s))(\*{1,3}|_{1,3})(?=\s|$))': ("*", "_"),  # not strong (older releases)
    r'\*': ("*",),  # emphasis processors (older releases)
    r'_': ("_",),
}


def _needs(pattern) -> tuple[str, ...] | None:
    """The literal strings one of which every match of ``pattern`` contains, or ``None``
    when that is not known (the pattern is then tried on every text)."""
    regex = pattern.getCompiledRegExp().pattern
    if regex in NEEDS:
        return NEEDS[regex]
    tokens = getattr(pattern, "tokens", None)  # a delimiter processor: an alternation of its tokens
    if tokens and all(isinstance(t, str) and t for t in tokens) and regex == "|".join(re.escape(t) for t in tokens):
        return tuple(tokens)
    if getattr(pattern, "NEEDS", None):  # dispatch's own patterns say what they need
        return tuple(pattern.NEEDS)
    return None


class PrefilteredInlineProcessor(InlineProcessor):
    """Python-Markdown's inline processor that skips a pattern when the text holds none of
    the strings every match of it contains (see the module's docstring). Its patterns are
    the Markdown instance's, fixed when it is made: make it after every extension has
    registered its own (:func:`install` does)."""

    def __init__(self, md: markdown.Markdown):
        super().__init__(md)
        self.inlinePatterns = list(md.inlinePatterns)  # priority order; a list indexes faster than the registry
        self.needs = [_needs(p) for p in self.inlinePatterns]

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802, N803
        # Python-Markdown's __handleInline, with the prefilter: a skipped pattern is what
        # __applyPattern returns without a match, (data, False, 0).
        if isinstance(data, util.AtomicString):
            return data
        patterns, needs = self.inlinePatterns, self.needs
        apply = self._InlineProcessor__applyPattern
        count = len(patterns)
        start = 0
        while patternIndex < count:
            need = needs[patternIndex]
            if need is not None:
                for literal in need:
                    if literal in data:
                        break
                else:
                    patternIndex += 1
                    start = 0
                    continue
            data, matched, start = apply(patterns[patternIndex], data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


def install(md: markdown.Markdown) -> None:
    """Replace ``md``'s inline processor by a :class:`PrefilteredInlineProcessor` (same name
    and priority); call it once every extension is loaded. Leaves ``md`` as it is when this
    Python-Markdown's inline processor does not have the methods it builds on."""
    if not (hasattr(InlineProcessor, "_InlineProcessor__applyPattern")
            and hasattr(InlineProcessor, "_InlineProcessor__handleInline")):
        return
    if "inline" not in md.treeprocessors or type(md.treeprocessors["inline"]) is not InlineProcessor:
        return
    priority = next((item.priority for item in getattr(md.treeprocessors, "_priority", ()) if item.name == "inline"),
                    20)  # Python-Markdown registers it at 20
    md.treeprocessors.register(PrefilteredInlineProcessor(md), "inline", priority)
