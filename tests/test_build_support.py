"""Helpers for the build, feed and web tests (no tests here): a small archive written into a
temporary folder, and the invariants every feed must hold."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html

BASE = "https://news.example.org/"

CONFIG = """site_name = "Test Weekly"
base_url = "{base}"
author = "Desk"
email = "desk@example.org"
timezone = "Pacific/Auckland"
language = "en-NZ"
{extra}
"""


def issue_text(title: str, date: str, *, id: str | None = None, slug: str | None = None, draft: bool = False,
               tags: tuple[str, ...] = ("news",), body: str = "", updated: str | None = None) -> str:
    """A small issue file (YAML front matter, a lead, a Bottom Line and an FAQ)."""
    lines = ["---", f'title: "{title}"', f"date: {date}"]
    if id:
        lines.append(f"id: {id}")
    if slug:
        lines.append(f"slug: {slug}")
    if draft:
        lines.append("draft: true")
    if updated:
        lines.append(f"updated: {updated}")
    lines.append("tags: [" + ", ".join(tags) + "]")
    lines.append("---")
    lines.append("")
    lines.append(body or f"The lead of {title}.")
    lines.append("")
    lines.append("## The Bottom Line")
    lines.append("")
    lines.append(f"Bottom line of {title}.")
    lines.append("")
    lines.append("## FAQ")
    lines.append("")
    lines.append(f"Q: What is {title}? It is a test issue.")
    lines.append("")
    return "\n".join(lines)


def write_archive(root: Path, issues: dict[str, str], *, base: str = BASE, extra: str = "") -> Path:
    """Write ``dispatch.toml`` and ``issues/<name>`` files under ``root``; return the issues folder."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "dispatch.toml").write_text(CONFIG.format(base=base, extra=extra), encoding="utf-8")
    folder = root / "issues"
    folder.mkdir(exist_ok=True)
    for name, text in issues.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def urls_in_html(html: str) -> list[str]:
    """Every href, src and srcset URL in an HTML fragment or document."""
    doc = lxml.html.fragment_fromstring(html, create_parent="div") if not html.lstrip().startswith("<!") \
        else lxml.html.document_fromstring(html)
    found = []
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for name in ("href", "src"):
            if el.get(name) is not None:
                found.append(el.get(name))
        if el.get("srcset"):
            found += [c.strip().split()[0] for c in el.get("srcset").split(",") if c.strip()]
    return found


def relative_urls(html: str) -> list[str]:
    """The URLs of ``html`` that are not absolute (no scheme): what a feed reader cannot resolve."""
    return [u for u in urls_in_html(html) if not urlsplit(u).scheme]


def xml_chars_ok(data: bytes) -> bool:
    """True when ``data`` (UTF-8) holds only XML 1.0 Chars."""
    text = data.decode("utf-8")
    return not re.search("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", text)


def feed_items(path: Path) -> list[dict[str, str]]:
    """The entries of an RSS/Atom feed (through feedparser) or a JSON Feed (json), in order,
    as dicts with ``id``, ``title``, ``link``, ``published`` and ``updated`` (as written)."""
    if path.suffix == ".json":
        doc = json.loads(path.read_text(encoding="utf-8"))
        return [{"id": i["id"], "title": i["title"], "link": i["url"], "published": i["date_published"],
                 "updated": i["date_modified"]} for i in doc["items"]]
    import feedparser

    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [{"id": e.id, "title": e.title, "link": e.link, "published": e.get("published", ""),
             "updated": e["updated"] if parsed.version.startswith("atom") else ""} for e in parsed.entries]


def cache_of(root: Path, out: Path) -> Path:
    """The build cache folder of output folder ``out`` for the newsletter in ``root``."""
    from dispatch.archive.cache import cache_folder

    return cache_folder(root, out)
