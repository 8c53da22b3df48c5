"""Reading the date forms writers and archives use (front matter, file names, plain-text
date lines).

Accepted, besides ISO 8601 (``2026-05-22``, ``2026-05-22T07:00:00+12:00``):

* ``YYYY-MM-DD HH:MM[:SS] [±HHMM]`` and ``YYYY/MM/DD [HH:MM]``; a one-digit month or day
  (``2020-12-2``, which Pelican accepts);
* RFC 2822 / RFC 5322 §3.3 dates as in mail and RSS (``Mon, 11 Dec 2023 10:00:00 +0000``);
* month names in English (``Dec 11, 2023``, ``11 December 2023``, ``December 11 2023 9:30``),
  read by python-dateutil, accepted only when the year (four digits), month and day are all
  written (``May 2026`` is not a date).
"""

from __future__ import annotations

import re
from datetime import datetime

_FORMATS = (
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M %z",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y-%m-%d",
    "%d %B %Y",
    "%B %d, %Y",
)
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
_MONTH_NAME = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(?![a-z])", re.I)
_NUMERIC = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?$")
#: Two far-apart defaults: a field dateutil filled in differs between them (it was not written).
_DEFAULT_A = datetime(2001, 1, 1, 0, 0, 0)
_DEFAULT_B = datetime(2002, 2, 2, 0, 0, 0)


def read_date(text: str) -> datetime | None:
    """A date or date-time written as text, or ``None`` when ``text`` is not one.

    Returns a naive datetime when no time zone is written (the caller applies the site's),
    an aware one otherwise; a date alone is midnight. Never raises.
    """
    s = " ".join(text.split())
    if not s or len(s) > 64 or not _YEAR.search(s):
        return None
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        pass
    for fmt in _FORMATS:
        try:
            return datetime.strptime(s, fmt)
        except ValueError:
            continue
    if _NUMERIC.match(s) or _MONTH_NAME.search(s):
        import email.utils  # only here: the email package costs ≈ 5 ms a start, and most dates are ISO

        try:
            parsed = email.utils.parsedate_to_datetime(s)
        except (TypeError, ValueError, IndexError):
            parsed = None
        if parsed is not None:
            return parsed
        return _named(s.replace("/", "-") if _NUMERIC.match(s) else s)
    return None


def _named(s: str) -> datetime | None:
    from dateutil import parser as _dateutil  # only for month names (a cold start pays it then)

    try:
        a = _dateutil.parse(s, default=_DEFAULT_A)
        b = _dateutil.parse(s, default=_DEFAULT_B)
    except (ValueError, OverflowError, TypeError):
        return None
    if (a.year, a.month, a.day) != (b.year, b.month, b.day):
        return None  # a part of the date was not written
    return a
