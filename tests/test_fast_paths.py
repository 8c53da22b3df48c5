"""The archive build's fast paths give exactly what the general code gives: the prefiltered
inline step the same tree as Python-Markdown's own, the URL shortcut the same URL as
``urljoin``."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from markdown.treeprocessors import InlineProcessor

from dispatch.channels.html import absolute_url
from dispatch.markdown_inline import PrefilteredInlineProcessor, _needs
from dispatch.parse import new_markdown

from conftest import EXAMPLE, ROOT, corpus_files

#: Texts that exercise every inline pattern, and the edges of the prefilter (a pattern's
#: literal only inside another's match, escapes before the literal, placeholders).
TRICKY = """\
A `code [span](x)` and ``two `ticks` `` and \\`not code\\` and \\\\`code after a backslash`.

An [inline](https://a.example/x "T") link, a [reference][r], a [short] one, ![img](i.png),
![ref img][r], ![short img], a footnote[^1], [^missing], <https://auto.example/x>,
<me@mail.example>, a hard  
break, <b>raw</b> <!-- comment --> <?pi ?>, &amp; &copy; &#169; &#xA9; & alone, *em*
**strong** ***both*** _under_ __double__ a_b_c 2 * 3 * 4, https://bare.example/path?q=1.
Escaped \\[not a link](x) \\*not em\\* \\<not html> and \\&amp;.

* item with [a link](y) and no other mark
* item with *nothing* but stars
* item with &nbsp;entity only

| a | [b](z) |
|---|---|
| `c` | *d* |

[r]: https://ref.example/
[short]: https://short.example/
[short img]: s.png
[^1]: The note, with a [link](https://note.example/) and `code`.
"""


def _pair():
    """Two Markdown instances as dispatch makes them, one with the prefilter and one with
    Python-Markdown's own inline processor; both without the capture step (so ``convert``
    returns HTML to compare)."""
    fast, stock = new_markdown(), new_markdown()
    for md in (fast, stock):
        md.treeprocessors.deregister("dispatch-capture")
    stock.treeprocessors.register(InlineProcessor(stock), "inline", 20)
    assert type(fast.treeprocessors["inline"]) is PrefilteredInlineProcessor
    return fast, stock


def _texts():
    texts = [("tricky", TRICKY)]
    for path in [EXAMPLE, *sorted((ROOT / "issues").glob("*.md")), *corpus_files()]:
        texts.append((path.name, path.read_text(encoding="utf-8")))
    return texts


@pytest.mark.parametrize("name,text", _texts(), ids=[n for n, _ in _texts()])
def test_prefiltered_inline_gives_python_markdowns_tree(name, text):
    fast, stock = _pair()
    expected = stock.convert(text)
    assert fast.reset().convert(text) == expected
    assert "<a " in expected or name != "tricky"  # the texts hold what the patterns match


def test_every_pattern_of_dispatchs_markdown_has_a_prefilter():
    """A pattern without one is tried on every text (correct, slower): today every pattern
    dispatch's Markdown registers is known, so a Python-Markdown release that changes one
    shows here, not as a silent slowdown."""
    md = new_markdown()
    unknown = [name for name, p in zip([i.name for i in md.inlinePatterns._priority], md.inlinePatterns)
               if _needs(p) is None]
    assert unknown == []


def test_prefilter_literals_are_in_every_match():
    """Each literal a pattern is skipped without is in every match of the pattern over the
    texts above (a wrong table would skip a real match)."""
    md = new_markdown()
    for pattern in md.inlinePatterns:
        needs = _needs(pattern)
        if needs is None:
            continue
        regex = pattern.getCompiledRegExp()
        for _, text in _texts():
            for m in regex.finditer(text):
                # (a backtick's run of backslashes has its backtick in a look-ahead)
                assert any(literal in text[m.start():m.end() + 1] for literal in needs), (regex.pattern, m.group(0))


BASES = ["https://twir.example.org/this-week-in-rust-1/", "http://localhost:8000/a/b", "https://x.example",
         "https://x.example/p?q=1#f", ""]
URLS = [
    "https://github.com/rust-lang/rust/pull/123", "https://a.example", "https://a.example/", "http://a.example/x",
    "https://a.example/p?q=1&r=2#frag", "https://a.example/p?", "https://a.example/p#", "https://a.example/p?#f",
    "https://a.example/p;", "https://a.example/p;x", "https://a.example/a;b/c", "HTTPS://A.example/x",
    "https:///no-host", "https://[::1]/x", "https://[::1/x", "https://a.example/a/../b", "https://a.example/ä",
    "https://a.example/%7Euser", "https://user:pw@a.example:8080/x", "https://a.example/x y", " https://a.example/ ",
    "https://a.example/\tx", "https:a", "https://a.example?x", "https://a.example#x", "https://a.example/p?q#",
    "/rooted", "rel/ative", "../up", "#frag", "?q", "", "mailto:a@b.example", "*|UNSUB|*", "//proto.example/x",
]


@pytest.mark.parametrize("base", BASES)
def test_absolute_url_is_urljoin(base):
    corpus_urls = set()
    for path in corpus_files():
        corpus_urls.update(re.findall(r"\]\(([^)\s]+)", path.read_text(encoding="utf-8")))
    for url in [*URLS, *sorted(corpus_urls)]:
        s = url.strip()
        special = (not base or s.lower().startswith(("mailto:", "tel:", "data:")) or s == "*|UNSUB|*")
        for in_page in (True, False):
            if special or (in_page and s.startswith("#")):
                expected = s
            else:
                try:
                    expected = urljoin(base, s)
                except ValueError:  # an invalid IPv6 host: urljoin's error stays the error
                    with pytest.raises(ValueError):
                        absolute_url(url, base, in_page=in_page)
                    continue
            assert absolute_url(url, base, in_page=in_page) == expected, (url, base)
