"""Step 6c: ``sitemap.xml`` (the sitemaps.org protocol 0.9) and ``robots.txt``.

Sitemap (https://www.sitemaps.org/protocol.html): UTF-8, ``<urlset>`` in the
``http://www.sitemaps.org/schemas/sitemap/0.9`` namespace, one ``<url>`` per published page
with its absolute ``<loc>`` (entity-escaped) and ``<lastmod>`` in W3C Datetime (UTC, ``Z``);
at most 50,000 URLs and 50 MiB per file, so a larger archive gets ``sitemap-1.xml``… and
``sitemap.xml`` becomes a ``<sitemapindex>`` of them. Only published pages are listed (never
a draft, a scheduled issue or the 404 page), and an issue whose page names another canonical
URL (it first appeared elsewhere) is left out, as search engines ask of sitemaps.

robots.txt (RFC 9309): crawlers read it only at the root of a host, so dispatch writes one
only when ``base_url`` is a host's root, allowing everything and naming the sitemap
(``Sitemap:``, sitemaps.org "Informing search engine crawlers"). A ``robots.txt`` in the
output folder that dispatch did not write (or that was changed since) is the site owner's:
it is never replaced, even with ``--force``; the build only warns once per run when it does
not name the sitemap.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Iterable
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from .feeds import rfc3339
from .record import file_sha

#: The protocol's namespace.
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
#: At most this many URLs in one sitemap file (sitemaps.org).
MAX_URLS = 50_000
#: At most this many bytes in one (uncompressed) sitemap file (sitemaps.org: 50 MiB).
MAX_BYTES = 50 * 1024 * 1024
ROBOTS = "robots.txt"

_HEAD = f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n'.encode("utf-8")
_TAIL = b"</urlset>\n"


def _url(loc: str, lastmod: datetime | None) -> bytes:
    mod = f"<lastmod>{rfc3339(lastmod)}</lastmod>" if lastmod is not None else ""
    return f"<url><loc>{escape(loc)}</loc>{mod}</url>\n".encode("utf-8")


def sitemap_files(urls: Iterable[tuple[str, datetime | None]], base: str) -> dict[str, bytes]:
    """The sitemap of ``urls`` (``(absolute URL, last modification or None)`` in order):
    ``{"sitemap.xml": bytes}``, or, past :data:`MAX_URLS` URLs or :data:`MAX_BYTES` bytes,
    ``sitemap-1.xml``… and a ``sitemap.xml`` index of them (``base``: the site's absolute URL,
    ending in ``/``)."""
    files: list[tuple[list[bytes], datetime | None]] = [([], None)]
    size = len(_HEAD) + len(_TAIL)
    for loc, lastmod in urls:
        line = _url(loc, lastmod)
        lines, newest = files[-1]
        if lines and (len(lines) >= MAX_URLS or size + len(line) > MAX_BYTES):
            files.append(([], None))
            lines, newest, size = files[-1][0], None, len(_HEAD) + len(_TAIL)
        lines.append(line)
        size += len(line)
        if lastmod is not None and (newest is None or lastmod > newest):
            files[-1] = (lines, lastmod)
    if len(files) == 1:
        return {"sitemap.xml": _HEAD + b"".join(files[0][0]) + _TAIL}
    out = {f"sitemap-{n}.xml": _HEAD + b"".join(lines) + _TAIL for n, (lines, _) in enumerate(files, 1)}
    index = [f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n']
    for n, (_, newest) in enumerate(files, 1):
        mod = f"<lastmod>{rfc3339(newest)}</lastmod>" if newest is not None else ""
        index.append(f"<sitemap><loc>{escape(base)}sitemap-{n}.xml</loc>{mod}</sitemap>\n")
    index.append("</sitemapindex>\n")
    out["sitemap.xml"] = "".join(index).encode("utf-8")
    return out


def robots_txt(sitemap_url: str) -> bytes:
    """dispatch's ``robots.txt``: every crawler may fetch everything; the sitemap's URL."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {sitemap_url}\n".encode("utf-8")


def at_host_root(base_url: str) -> bool:
    """Whether ``base_url`` is the root of its host (``https://example.org/``), the only
    place crawlers look for ``robots.txt`` (RFC 9309 §2.3)."""
    return urlsplit(base_url).path in ("", "/")


def robots_is_ours(out: Path, old_manifest: dict[str, str]) -> bool:
    """Whether dispatch may write ``out/robots.txt``: there is none, or it is the one the last
    build wrote, unchanged since."""
    path = out / ROBOTS
    if not path.exists() and not path.is_symlink():
        return True
    if ROBOTS not in old_manifest or path.is_symlink() or not path.is_file():
        return False
    try:
        return file_sha(path.read_bytes()) == old_manifest[ROBOTS]
    except OSError:
        return False


def names_sitemap(out: Path) -> bool:
    """Whether the site owner's ``out/robots.txt`` has a ``Sitemap:`` line."""
    try:
        text = (out / ROBOTS).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True  # nothing to say about a file that cannot be read
    return any(line.strip().lower().startswith("sitemap:") for line in text.splitlines())
