"""Language: text direction, dates and the layout's fixed words, per BCP 47 tag.

* :func:`text_direction` — ``"rtl"`` for right-to-left scripts (Arabic, Hebrew, Persian,
  Urdu…): the script subtag when there is one, else the language (CLDR's right-to-left
  languages);
* :func:`long_date` — the dateline in the issue's language (CLDR "long" date format via
  Babel: ``22 May 2026`` in en-NZ, ``2026年5月22日`` in zh, ``22 במאי 2026`` in he), never the
  process locale;
* :func:`labels` — the words a layout writes itself ("View online", "Unsubscribe", "Q",
  "Lens"…) from the layout's ``labels.toml`` (one table per language; a newsletter's own
  ``layouts/<name>/labels.toml`` overrides key by key) and ``[labels]`` in dispatch.toml.
"""

from __future__ import annotations

import os
import tomllib
from datetime import datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from .errors import RenderError

#: Languages written right to left (CLDR character order "right-to-left"; ISO 639 codes).
_RTL = frozenset(("ar", "he", "iw", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb", "syr"))


def _locale(lang: str):
    """The Babel locale for BCP 47 ``lang``, falling back to its language, then English."""
    from babel import Locale, UnknownLocaleError

    for candidate in (lang, lang.split("-")[0]):
        try:
            return Locale.parse(candidate.replace("_", "-"), sep="-")
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return Locale("en")


def text_direction(lang: str) -> str:
    """``"rtl"`` or ``"ltr"`` for BCP 47 ``lang`` (for ``dir`` attributes, WCAG 2.1 H56).

    A script subtag decides (``az-Arab`` is RTL, ``ku-Latn`` is not); otherwise the language
    (the languages CLDR gives a right-to-left character order)."""
    parts = [p.lower() for p in lang.replace("_", "-").split("-") if p]
    if not parts:
        return "ltr"
    scripts = [p for p in parts[1:] if len(p) == 4 and p.isalpha()]
    if scripts:
        return "rtl" if scripts[0] in ("arab", "hebr", "syrc", "thaa", "nkoo", "adlm", "rohg") else "ltr"
    if parts[0] in _RTL:
        return "rtl"
    return "ltr"


@lru_cache(maxsize=64)
def _date_format(lang: str):
    locale = _locale(lang)
    _prime_locale_data(str(locale))
    return locale


def long_date(when: datetime, tz: tzinfo, lang: str) -> str:
    """The day of ``when`` in time zone ``tz`` in ``lang``'s CLDR long date format
    (Babel ``format_date(..., "long")``): ``22 May 2026`` (en-NZ), ``May 22, 2026`` (en),
    ``2026年5月22日`` (zh, ja)."""
    from babel.dates import format_date

    return format_date(when.astimezone(tz).date(), "long", locale=_date_format(lang))


# --- Babel's locale data, the date part kept between runs -------------------------------------

#: The top-level keys of Babel's locale data a CLDR date pattern reads (``format_date``):
#: the patterns, month and day names, eras, quarters, day periods.
_DATE_KEYS = ("date_formats", "months", "days", "eras", "quarters", "day_periods")


class _DatePart(dict):
    """Babel's merged locale data for one locale (what ``babel.localedata.load(name)``
    returns), holding at first only :data:`_DATE_KEYS`, read from the user cache folder.

    Reading any other key, or using the whole mapping (length, iteration, keys, items,
    values, copy, comparison, ``in`` for a key it lacks, writing), first completes it: the
    whole data is loaded as Babel loads it (``global.dat``, ``root.dat``, the parents, the
    locale's own file) and put into this same dict, so every holder of it (Babel's caches, a
    ``Locale``) sees the whole data from then on."""

    def __init__(self, name: str, part: dict) -> None:
        super().__init__(part)
        self._name = name
        self._whole = False

    def complete(self) -> "_DatePart":
        """Load the whole data into this dict (once)."""
        if not self._whole:
            self._whole = True
            from babel import localedata

            if localedata._cache.get(self._name) is self:
                del localedata._cache[self._name]
            dict.update(self, localedata.load(self._name))
            localedata._cache[self._name] = self
        return self

    def __bool__(self) -> bool:  # not emptiness by length: that would complete it (Babel asks ``if not data``)
        return True

    def __missing__(self, key):
        if self._whole:
            raise KeyError(key)
        return self.complete()[key]

    def get(self, key, default=None):
        return dict.get(self, key, default) if key in self else default

    def __contains__(self, key) -> bool:
        return dict.__contains__(self, key) or dict.__contains__(self.complete(), key)


def _completing(name: str):
    method = getattr(dict, name)

    def whole(self, *args, **kwargs):
        return method(self.complete(), *args, **kwargs)

    whole.__name__ = name
    return whole


for _name in ("__len__", "__iter__", "__reversed__", "keys", "items", "values", "copy", "__eq__", "__ne__",
              "__repr__", "__or__", "__ror__", "__ior__", "__reduce__", "__reduce_ex__", "update", "setdefault",
              "pop", "popitem", "clear", "__setitem__", "__delitem__"):
    setattr(_DatePart, _name, _completing(_name))
del _name


def _date_data_file(name: str) -> Path | None:
    """The cache file for locale ``name``'s date part, keyed by the Babel install (its
    version and the modification times and sizes of its data files), or ``None``."""
    import hashlib

    import babel
    from babel import localedata

    from .usercache import cache_dir

    def data_file(locale: str) -> Path:
        resolve = getattr(localedata, "resolve_locale_filename", None)  # Babel 2.12+
        return Path(resolve(locale)) if resolve else Path(localedata._dirname) / f"{locale}.dat"

    try:
        files = [Path(localedata._dirname).parent / "global.dat", data_file(name), data_file("root")]
        stamp = [(f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files]
    except (OSError, AttributeError, ValueError):
        return None
    key = hashlib.sha256(repr((babel.__version__, name, stamp)).encode()).hexdigest()[:24]
    return cache_dir() / f"locale-dates-{babel.__version__}" / f"{key}.pickle"


def _prime_locale_data(name: str) -> None:
    """Give Babel the date part of locale ``name``'s data from the cache folder, so a
    ``format_date`` in a new process does not load and merge the whole of ``global.dat``,
    ``root.dat`` and the locale's files (≈ 13 ms for ``en``; the whole data is loaded as
    soon as anything else is read, see :class:`_DatePart`). The first process stores the
    part. A cache that cannot be read or written only means loading the whole data."""
    import pickle

    from babel import localedata

    if name in localedata._cache:
        return
    path = _date_data_file(name)
    if path is None:
        return
    try:
        part = pickle.loads(path.read_bytes())
        if isinstance(part, dict) and part:
            localedata._cache[name] = _DatePart(name, part)
            return
    except Exception:  # absent, unreadable or damaged: load the whole data, store the part
        pass
    try:
        whole = localedata.load(name)
    except OSError:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps({k: whole[k] for k in _DATE_KEYS if k in whole}))
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError):
        pass


#: Every key a layout's labels.toml may set, with its meaning (``dispatch config`` and the
#: README list them).
LABEL_KEYS = {
    "view_online": "the dateline's link to the web copy",
    "view_online_footer": "the footer's link to the web copy",
    "unsubscribe": "the footer's unsubscribe link",
    "faq_mark": "the marker before each FAQ question",
    "faq_answer": "the marker before each FAQ answer in the text part",
    "lens": "the Lens badge; {region} is replaced by the region",
    "answer_first": "the Answer-First Lead's heading when the issue names it by the component's name",
    "links": "the heading of the text part's link list",
    "notes": "the heading of the footnotes",
    "all_issues": "the web pages' link to the archive index",
    "subscribe": "the web pages' feed links, and the button of the subscribe form",
    "subscribe_email": "the web pages' invitation to subscribe by email",
    "email_address": "the label of the subscribe form's email field",
    "previous_issue": "an issue page's link to the issue published before it",
    "next_issue": "an issue page's link to the issue published after it",
    "tags": "the heading of the tags index page, and its links",
    "tag_page": "the heading of a tag's page; {tag} is replaced by the tag",
    "not_found": "the heading of the 404 page",
    "not_found_text": "what the 404 page says",
    "latest_issues": "the heading of the 404 page's list of the newest issues",
}


def _read_labels(path: Path) -> dict[str, dict[str, str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RenderError(f"cannot read the layout's labels: {exc}", path) from None
    return _parse_labels(path, raw)


@lru_cache(maxsize=32)
def _parse_labels(path: Path, raw: bytes) -> dict[str, dict[str, str]]:
    """The tables of a labels.toml holding ``raw`` (kept by its content: the file is read
    on every render, so an edited labels.toml is seen by ``watch`` and ``preview``)."""
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RenderError(f"cannot read the layout's labels: {exc}", path) from None
    out: dict[str, dict[str, str]] = {}
    for lang, table in data.items():
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise RenderError(f"[{lang}] must be a table of strings (label = \"text\")", path)
        unknown = set(table) - set(LABEL_KEYS)
        if unknown:
            raise RenderError(f"[{lang}] has unknown label {sorted(unknown)[0]!r}; known: {', '.join(LABEL_KEYS)}", path)
        out[lang.lower()] = dict(table)
    return out


def _tables(dirs: tuple[Path, ...]) -> tuple[dict[str, dict[str, str]], ...]:
    return tuple(_read_labels(d / "labels.toml") for d in dirs if (d / "labels.toml").is_file())


def labels(root: Path, layout: str, lang: str, overrides: Mapping[str, str] = {}) -> dict[str, str]:
    """The fixed words for an issue in ``lang``.

    Looked up per key: ``overrides`` (dispatch.toml ``[labels]``), then each ``labels.toml``
    of the layout's folders in their lookup order (the newsletter's own first), first in the
    table of the whole tag (``[pt-br]``), then of its language (``[pt]``), then ``[en]``.

    Returns:
        key → text for every key of :data:`LABEL_KEYS`.

    Raises:
        RenderError: a labels.toml is not valid TOML or has an unknown key.
    """
    from .layout import layout_dirs

    tables = _tables(tuple(layout_dirs(root, layout)))
    tags = [lang.lower(), lang.split("-")[0].lower(), "en"]
    out: dict[str, str] = {}
    for key in LABEL_KEYS:
        if key in overrides:
            out[key] = overrides[key]
            continue
        for tag in tags:
            found = next((t[tag][key] for t in tables if key in t.get(tag, {})), None)
            if found is not None:
                out[key] = found
                break
        else:
            out[key] = ""
    return out
