"""Post-length counters, one per platform, each by that platform's own rule.

Every counter names its unit:

* *weighted characters* (X): code points weighted 1 or 2 by twitter-text's configuration;
* *graphemes* (Bluesky, Mastodon): extended grapheme clusters (UAX #29, ``regex`` ``\\X``);
* *characters* (Threads: graphemes, but an emoji counts its UTF-8 bytes; LinkedIn: UTF-16
  code units);
* *bytes*: UTF-8 bytes (Bluesky's second limit, and facet offsets).

URL recognition follows twitter-text's grammar (the facts, not its code): an optional
``http(s)://``; a host of labels of letters, digits, ``-`` and ``_`` (no label starts or ends
with ``-``; ``_`` only in sub-domains; at most 63 characters, measured in punycode for
non-ASCII labels), an IPv4 address or a bracketed IPv6 address; optional user info and port;
then a path, query and fragment whose trailing punctuation is not part of the URL. A URL
without a scheme needs a known top-level domain.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable, NamedTuple

import regex

from .textutil import grapheme_count, graphemes

# --- URLs ------------------------------------------------------------------------------

_LABEL_CHAR = r"(?:[a-z0-9_\-]|[^\x00-\x7f\s\p{P}\p{Z}\p{C}])"
#: A host never starts inside a run of label characters (the search would otherwise rescan
#: the run from each of its characters: quadratic on a grapheme of 100,000 combining marks).
_URL_CANDIDATE = regex.compile(
    r"""
    (?<![a-z0-9_@$\#＠＃])
    (?:(?P<scheme>https?://)|(?<!""" + _LABEL_CHAR + r"""))
    (?P<userinfo>[a-z0-9!$&'()*+,;=._~%\-]+(?::[a-z0-9!$&'()*+,;=._~%\-]*)?@)?
    (?P<host>\[[0-9a-f:.]+\]|""" + _LABEL_CHAR + r"""+(?:\.""" + _LABEL_CHAR + r"""+)+)
    (?P<port>:[0-9]{1,5})?
    (?P<rest>[/?\#][^\s\p{C}\p{Z}<>"{}\\^`\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\u3000-\u303F\uFF00-\uFFEF]*)?
    """,
    regex.I | regex.X,
)
#: Characters a URL may not end with (twitter-text: a path ends in a letter, digit or one of
#: ``= _ # / - + &``; a closing bracket only when it closes one opened in the URL).
_TRAILING = set(".,;:!?'\"*%$@|~[{<»”’…")
#: Preceding characters that make a match part of a bigger token (an e-mail address, a
#: ``$cashtag``, a hashtag, a path). An ASCII letter or digit before a URL does too; any
#: other letter (CJK text runs straight into a URL) does not (twitter-text).
_BAD_BEFORE_SCHEME = set("@$#＠＃")
_BAD_BEFORE_BARE = _BAD_BEFORE_SCHEME | set("./-_:%")

#: Top-level domains accepted for URLs written without a scheme: generic TLDs in common
#: use and the country-code TLDs (IANA root zone database). With a scheme, any alphabetic
#: or punycode TLD is accepted.
GENERIC_TLDS = frozenset(
    """com org net edu gov mil int info biz name pro aero coop museum mobi asia tel travel jobs
    cat app dev page blog news shop store online site tech cloud social xyz top club live art
    design""".split()
)
COUNTRY_TLDS = frozenset(
    """ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs
    bt bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg
    er es et eu fi fj fk fm fo fr ga gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr
    ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk
    lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf
    ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc
    sd se sg sh si sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv
    tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw""".split()
)


_LATIN_HOST = regex.compile(r"[a-z0-9_.\-\p{Latin}]+", regex.I)
_LATIN_LABEL_CHARS = regex.compile(r"[a-z0-9_\-\p{Latin}.]+", regex.I)


def _latin_domain_end(host: str) -> tuple[int, str] | None:
    """``(offset, domain)`` of the Latin-script domain that ends ``host`` (``详见example.com``
    → ``(2, "example.com")``: labels of letters, digits, ``_`` and ``-`` joined by single
    dots, at least two), or ``None``. Found by one scan back from the end (a regular
    expression anchored at the end was retried from every start: quadratic)."""
    m = _LATIN_LABEL_CHARS.match(host[::-1])  # the run of such characters ending the host
    if m is None:
        return None
    tail = m.group(0)[::-1]
    start = len(host) - len(tail)
    cut = tail.rfind("..")
    if cut >= 0:
        start, tail = start + cut + 2, tail[cut + 2:]
    stripped = tail.lstrip(".")
    start += len(tail) - len(stripped)
    if "." not in stripped or stripped.endswith("."):
        return None
    return start, stripped


def _tld_ok(tld: str, has_scheme: bool) -> bool:
    t = tld.lower()
    if t.startswith("xn--"):
        return True
    if has_scheme:
        return bool(regex.fullmatch(r"\p{L}{2,}", t))
    return t in GENERIC_TLDS or t in COUNTRY_TLDS


def _label_ok(label: str, subdomain: bool) -> bool:
    if not label or label[0] == "-" or label[-1] == "-":
        return False
    if "_" in label and not subdomain:
        return False
    if not label.isascii():
        try:
            encoded = "xn--" + label.lower().encode("punycode").decode("ascii")
        except UnicodeError:  # pragma: no cover - punycode encodes any str
            return False
        return len(encoded) <= 63
    return len(label) <= 63


def _host_ok(host: str, has_scheme: bool) -> bool:
    if host.startswith("["):
        return has_scheme and ":" in host
    labels = host.split(".")
    if all(l.isdigit() for l in labels):
        return has_scheme and len(labels) == 4 and all(int(l) <= 255 for l in labels)
    if not _tld_ok(labels[-1], has_scheme):
        return False
    return all(_label_ok(l, i < len(labels) - 2) for i, l in enumerate(labels))


def _trim(url: str) -> str:
    """Drop trailing punctuation and unbalanced closing brackets from a URL."""
    while url:
        last = url[-1]
        if last in _TRAILING:
            url = url[:-1]
        elif last in ")]" and url.count("(" if last == ")" else "[") < url.count(last):
            url = url[:-1]
        else:
            break
    return url


def find_urls(text: str, *, require_scheme: bool = False) -> list[tuple[int, int]]:
    """``(start, end)`` spans, in code points, of every URL in ``text``.

    Scheme URLs (``http``/``https``, any case) and bare domains with a known TLD
    (``example.com``, ``foo.co.jp``) are found, by the rules in the module docstring;
    ``require_scheme`` keeps only the former (Mastodon's rule). Trailing punctuation is not
    part of a URL.
    """
    spans: list[tuple[int, int]] = []
    if "." not in text and "[" not in text:  # every host has a dot or is a bracketed IPv6
        return spans
    # A URL holds no whitespace (nor any other \\p{Z} or \\p{C}), so only the words with a
    # dot or a bracket are searched; the search still sees the character before a word.
    for word in _WORD_WITH_DOT.finditer(text):
        _urls_in(text, word.start(), word.end(), require_scheme, spans)
    return spans


#: A whitespace-free word holding a dot or a bracket (matched from the word's start only,
#: so finding them all is linear).
_WORD_WITH_DOT = re.compile(r"(?<!\S)[^\s.\[]*[.\[]\S*")


def _urls_in(text: str, pos: int, endpos: int, require_scheme: bool, spans: list[tuple[int, int]]) -> None:
    """Append the URLs of ``text[pos:endpos]`` (one whitespace-free word) to ``spans``."""
    while True:
        m = _URL_CANDIDATE.search(text, pos, endpos)
        if m is None:
            return
        start = m.start()
        scheme = bool(m.group("scheme"))
        host = m.group("host")
        if not scheme and not _LATIN_HOST.fullmatch(host):
            # without a scheme only a Latin-script domain counts: "详见example.com" links
            # "example.com" (twitter-text scans the match for an ASCII/Latin domain)
            sub = _latin_domain_end(host)
            if sub is None or m.group("userinfo"):
                pos = m.end("host")  # a later start inside this host is a suffix of it: it fails too
                continue
            start, host = m.start("host") + sub[0], sub[1]
        before = text[start - 1] if start else " "
        bad_before = _BAD_BEFORE_SCHEME if scheme else _BAD_BEFORE_BARE
        ok = (
            (scheme or not require_scheme)
            and before not in bad_before
            and not (before.isascii() and before.isalnum())
            and (scheme or not m.group("userinfo"))
            and _host_ok(host, scheme)
        )
        if not ok:
            # a bare domain that fails cannot succeed from inside its host either (a start
            # there follows a label character, or a '.' that rules it out): skip the host, so
            # "ab.ab.ab…" is scanned once, not once per label
            pos = start + 1 if scheme else max(start + 1, m.end("host"))
            continue
        end = m.start() + len(_trim(m.group(0)))
        spans.append((start, end))
        pos = end


# --- X (twitter-text) ------------------------------------------------------------------

@dataclass(frozen=True)
class XConfig:
    """A twitter-text configuration (``config/v1.json``, ``v2.json``, ``v3.json``).

    Weights are in hundredths when ``scale`` is 100: a code point in one of ``ranges``
    weighs that range's weight, any other ``default_weight``; a URL weighs
    ``url_length * scale``; with ``emoji_parsing`` a whole emoji sequence weighs
    ``default_weight``. The weighted length is the sum divided by ``scale``.
    """

    version: int
    max_length: int
    scale: int
    default_weight: int
    ranges: tuple[tuple[int, int, int], ...]
    emoji_parsing: bool
    url_length: int = 23


X_V1 = XConfig(1, 140, 1, 1, (), False)
X_V2 = XConfig(2, 280, 100, 200,
               ((0x0000, 0x10FF, 100), (0x2000, 0x200D, 100), (0x2010, 0x201F, 100), (0x2032, 0x2037, 100)),
               False)
X_V3 = replace(X_V2, version=3, emoji_parsing=True)

_INVALID_X = set("\ufffe\ufeff\uffff")


def is_emoji(cluster: str) -> bool:
    """Whether one grapheme cluster is an emoji *sequence* as X counts it: a flag (two
    regional indicators), a tag-sequence flag (🏴 + tag characters), a keycap, a ZWJ
    sequence, an emoji with a skin tone or variation selector 16, or a single pictograph
    with emoji presentation (Unicode ``emoji-data.txt`` properties)."""
    if len(cluster) == 1:
        return bool(regex.match(r"\p{Emoji_Presentation}", cluster))
    if regex.search(r"\p{Regional_Indicator}{2}", cluster) or "\u20e3" in cluster:
        return True
    return bool(regex.search(r"\p{Extended_Pictographic}", cluster)) and (
        "\u200d" in cluster or "\ufe0f" in cluster or regex.search(r"[\U0001F3FB-\U0001F3FF\U000E0020-\U000E007F]", cluster)
        or bool(regex.match(r"\p{Emoji_Presentation}", cluster))
    )


def _cp_weight(cp: int, config: XConfig) -> int:
    for low, high, weight in config.ranges:
        if low <= cp <= high:
            return weight
    return config.default_weight


@lru_cache(maxsize=8)
def _range_classes(config: XConfig) -> tuple[tuple[regex.Pattern, int], ...]:
    """One compiled character class per weight of ``config.ranges`` (other code points
    weigh ``default_weight``)."""
    by_weight: dict[int, list[str]] = {}
    for low, high, weight in config.ranges:
        by_weight.setdefault(weight, []).append(f"\\U{low:08x}-\\U{high:08x}")
    return tuple((regex.compile("[" + "".join(parts) + "]"), weight) for weight, parts in by_weight.items())


def _cp_weights(text: str, config: XConfig) -> int:
    """Sum of the code point weights of ``text`` (no emoji parsing)."""
    total = len(text) * config.default_weight
    for pattern, weight in _range_classes(config):
        total += len(pattern.findall(text)) * (weight - config.default_weight)
    return total


#: A code point that can be part of an emoji sequence X counts as one (a pictograph, a
#: regional indicator, a keycap mark or a skin tone); text without one has none.
_EMOJI_PART = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}\u20e3\U0001F3FB-\U0001F3FF]")


def x_weight(text: str, config: XConfig = X_V3) -> int:
    """Weighted length on X, in *weighted characters* (limit 280 with config v3).

    Rules (twitter-text ``config/v3.json`` and its conformance cases): NFC-normalise; every
    URL, bare domains included, counts 23; with emoji parsing (v3) a whole emoji sequence
    (ZWJ sequence, flag, keycap, skin tone) counts 2; other code points in U+0000–U+10FF,
    U+2000–U+200D, U+2010–U+201F and U+2032–U+2037 weigh 1, all others 2. Config v1 counts
    code points (140).
    """
    text = unicodedata.normalize("NFC", text)
    total = 0
    pos = 0
    for start, end in find_urls(text):
        total += _x_plain(text[pos:start], config) + config.url_length * config.scale
        pos = end
    total += _x_plain(text[pos:], config)
    return total // config.scale


def _x_plain(text: str, config: XConfig) -> int:
    if text.isascii():  # fast path: ASCII weighs the first range's weight (or the default)
        return len(text) * _cp_weight(0x41, config)
    total = _cp_weights(text, config)
    if not config.emoji_parsing or not _EMOJI_PART.search(text):
        return total
    for cluster in graphemes(text):
        if (len(cluster) > 1 or ord(cluster) > 0x2000) and is_emoji(cluster):
            # the sequence weighs as X parses it instead of its code points
            total += _x_emoji_weight(cluster, config) - _cp_weights(cluster, config)
    return total


_ZWJ = "\u200d"


@lru_cache(maxsize=1)
def _zwj_sequences() -> tuple[frozenset[str], int]:
    """The emoji ZWJ sequences Unicode lists (``emoji-zwj-sequences.txt``, every
    qualification), from the ``emoji`` package's data, and the most elements one has."""
    from emoji.unicode_codes import EMOJI_DATA

    known = frozenset(k for k in EMOJI_DATA if _ZWJ in k)
    return known, max(k.count(_ZWJ) for k in known) + 1


def _x_emoji_weight(cluster: str, config: XConfig) -> int:
    """X's weight of one emoji grapheme cluster: ``default_weight`` for a sequence X knows as
    one emoji. A ZWJ chain that is not a listed ZWJ sequence (``👩‍👩‍👩…``) is what
    twitter-text's emoji parser makes of it: the longest listed sequences from the left,
    each lone element an emoji of its own (or its code points), and each ZWJ between them
    a code point (weight 1): 5,001 women joined by ZWJ weigh 5,001 × 2 + 5,000."""
    if _ZWJ not in cluster:
        return config.default_weight
    known, most = _zwj_sequences()
    if cluster in known:
        return config.default_weight
    parts = cluster.split(_ZWJ)
    total, i = 0, 0
    while i < len(parts):
        j = next((j for j in range(min(len(parts), i + most), i + 1, -1) if _ZWJ.join(parts[i:j]) in known), i + 1)
        piece = _ZWJ.join(parts[i:j])
        if j > i + 1 or (piece and is_emoji(piece)):
            total += config.default_weight
        else:
            total += _cp_weights(piece, config)
        if j < len(parts):
            total += _cp_weights(_ZWJ, config)
        i = j
    return total


def x_valid(text: str, config: XConfig = X_V3) -> bool:
    """Whether X accepts ``text`` as a post: not empty, no invalid characters
    (U+FFFE, U+FEFF, U+FFFF), weighted length within ``config.max_length``."""
    if not text or _INVALID_X & set(text):
        return False
    return x_weight(text, config) <= config.max_length


# --- Mastodon, Threads, LinkedIn -------------------------------------------------------

_MASTODON_MENTION = regex.compile(r"(?<![/\w])@([a-z0-9_]+(?:[a-z0-9_.\-]+[a-z0-9_]+)?)(?:@[\w.\-]+\w+)?", regex.I)


def mastodon_length(text: str) -> int:
    """Mastodon's count, in *graphemes* (limit 500 by default): every ``http(s)://`` URL
    counts 23 and a mention ``@user@domain`` counts only ``@user`` (Mastodon
    ``app/validators/status_length_validator.rb``; URLs without a scheme count in full)."""
    parts: list[str] = []
    pos = 0
    for start, end in find_urls(text, require_scheme=True):
        parts.append(text[pos:start])
        parts.append("x" * 23)
        pos = end
    parts.append(text[pos:])
    countable = _MASTODON_MENTION.sub(lambda m: "@" + m.group(1), "".join(parts))
    return grapheme_count(countable)


def threads_length(text: str) -> int:
    """Threads' count, in *characters* (limit 500): one per grapheme, except that an emoji
    counts its UTF-8 bytes (Threads API, "Posts": "Emojis are counted as the number of
    UTF-8 bytes")."""
    return sum(utf8_bytes(g) if is_emoji(g) else 1 for g in graphemes(text))


def unique_links(text: str) -> int:
    """Number of distinct URLs in ``text`` (Threads allows at most 5 a post)."""
    return len({text[s:e] for s, e in find_urls(text)})


def utf8_bytes(text: str) -> int:
    """Length of ``text`` in UTF-8 *bytes*."""
    return len(text.encode("utf-8"))


def utf16_units(text: str) -> int:
    """Length of ``text`` in UTF-16 *code units* (an astral code point is 2)."""
    return len(text.encode("utf-16-le")) // 2


LINKEDIN_RESERVED = regex.compile(r"([\\|{}@\[\]()<>#*_~])")


def linkedin_escape(text: str) -> str:
    """Backslash-escape the reserved characters of LinkedIn's "little" text format
    (``\\ | { } @ [ ] ( ) < > # * _ ~``; LinkedIn API docs, "Little Text Format"):
    unescaped, a post is cut at the first one silently."""
    return LINKEDIN_RESERVED.sub(r"\\\1", text)


def linkedin_length(text: str) -> int:
    """LinkedIn's count of ``text`` as sent, in *UTF-16 code units* after escaping
    (Posts API ``commentary``: 3000)."""
    return utf16_units(linkedin_escape(text))


# --- platforms -------------------------------------------------------------------------

class Tally(NamedTuple):
    """A text measured on one platform: ``length`` in the platform's unit, ``bytes`` in
    UTF-8 bytes, ``links`` the distinct URLs (only gathered for a platform with a link
    limit). Tallies add up with ``+``: see :meth:`Platform.tally`."""

    length: int = 0
    bytes: int = 0
    links: frozenset[str] = frozenset()

    def __add__(self, other: "Tally") -> "Tally":  # type: ignore[override]
        return Tally(self[0] + other[0], self[1] + other[1], self[2] | other[2] if other[2] else self[2])


@dataclass(frozen=True)
class Platform:
    """A platform's post rule.

    Attributes:
        name: ``x``, ``bluesky``, ``mastodon``, ``threads``, ``linkedin``.
        label: display name.
        limit: maximum length in ``unit`` (``[thread] limits`` in dispatch.toml overrides).
        unit: what ``count`` measures.
        count: the platform's counter.
        max_bytes: a second limit in UTF-8 bytes (Bluesky: 3000), or 0.
        max_links: most distinct links a post may carry (Threads: 5), or 0 for no limit.
        source: where the rule comes from.
    """

    name: str
    label: str
    limit: int
    unit: str
    count: Callable[[str], int]
    max_bytes: int = 0
    max_links: int = 0
    source: str = ""

    def tally(self, text: str) -> Tally:
        """``text`` measured by every limit of this platform.

        Additive at a space or line feed: ``tally(a + b) == tally(a) + tally(b)`` whenever
        ``b`` starts with ``" "`` or ``"\\n"`` (or ``a`` is empty). Every counter here has
        that property: such a character ends every URL, mention and grapheme cluster, composes
        with nothing under NFC, and weighs the same wherever it stands. The thread splitter
        relies on it to measure a growing post incrementally.
        """
        links = frozenset(text[s:e] for s, e in find_urls(text)) if self.max_links else frozenset()
        return Tally(self.count(text), utf8_bytes(text), links)

    def within(self, tally: Tally, limit: int | None = None) -> bool:
        """Whether a text of ``tally`` is within every limit of this platform (``limit``
        overrides the length limit)."""
        return (tally.length <= (limit or self.limit)
                and not (self.max_bytes and tally.bytes > self.max_bytes)
                and not (self.max_links and len(tally.links) > self.max_links))

    def problems(self, text: str, limit: int | None = None) -> list[str]:
        """Why ``text`` is not a valid post (empty list when it is)."""
        limit = limit or self.limit
        out = []
        n = self.count(text)
        if n > limit:
            out.append(f"{n} {self.unit} > {limit}")
        if self.max_bytes and utf8_bytes(text) > self.max_bytes:
            out.append(f"{utf8_bytes(text)} bytes > {self.max_bytes}")
        if self.max_links and unique_links(text) > self.max_links:
            out.append(f"{unique_links(text)} links > {self.max_links}")
        return out

    def fits(self, text: str, limit: int | None = None) -> bool:
        """Whether ``text`` is within every limit of this platform (``limit`` overrides the
        length limit)."""
        return self.within(self.tally(text), limit)


PLATFORMS: dict[str, Platform] = {
    "x": Platform("x", "X", 280, "weighted characters", x_weight,
                  source="twitter-text config v3 (github.com/twitter/twitter-text, config/v3.json)"),
    "bluesky": Platform("bluesky", "Bluesky", 300, "graphemes", grapheme_count, max_bytes=3000,
                        source="app.bsky.feed.post lexicon: text maxGraphemes 300, maxLength 3000 (UTF-8 bytes)"),
    "mastodon": Platform("mastodon", "Mastodon", 500, "graphemes", mastodon_length,
                         source="Mastodon StatusLengthValidator: 500 graphemes, http(s) URLs 23, mentions count the username"),
    "threads": Platform("threads", "Threads", 500, "characters", threads_length, max_links=5,
                        source="Threads API docs: 500 characters, emoji count UTF-8 bytes, at most 5 links a post"),
    "linkedin": Platform("linkedin", "LinkedIn", 3000, "UTF-16 units", linkedin_length,
                         source="LinkedIn Posts API: commentary up to 3000 characters, little text format escaped"),
}
