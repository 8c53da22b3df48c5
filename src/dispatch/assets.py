"""Local files an issue refers to (images next to the Markdown), found so that ``render``
and ``build`` can publish them beside the outputs that link to them.

A reference is *local* when it has no scheme and is not site-absolute (``img/chart.png``,
``../images/logo.svg``, not ``https://…``, ``/logo.svg``, ``data:…`` or ``#x``). Its file is
resolved against the issue file's folder; its published URL against the issue's permalink
(the same rule the channels use to make every URL absolute).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from .config import Settings
from .model import HtmlBlock, Image, Issue, RawHtml

_SRC = re.compile(r"""\b(?:src|srcset)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)


@dataclass(frozen=True)
class Asset:
    """A local file the issue refers to.

    Attributes:
        src: the reference as written (``img/chart.png``).
        file: the file on disk.
        url_path: where it is published, relative to ``base_url`` (``moonshot-moment/img/chart.png``).
        line: 1-based line of the issue file that refers to it.
    """

    src: str
    file: Path
    url_path: str
    line: int


def is_local(src: str) -> bool:
    """Whether ``src`` names a file relative to the issue (no scheme, not ``/``-rooted)."""
    s = src.strip()
    return bool(s) and not re.match(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|/|#|\?)", s)


def references(issue: Issue) -> list[str]:
    """Every local file reference in the issue, in order, without repeats (Markdown images,
    ``src``/``srcset`` of raw HTML, then the front matter's cover ``image`` and attachments)."""
    found: list[str] = []
    for node in issue.walk():
        if isinstance(node, Image):
            candidates = [node.src]
        elif isinstance(node, (HtmlBlock, RawHtml)):
            candidates = []
            for m in _SRC.finditer(node.html):
                value = m.group(1) if m.group(1) is not None else m.group(2)
                candidates.extend(part.strip().split()[0] for part in value.split(",") if part.strip())
        else:
            continue
        found.extend(c for c in candidates if is_local(c) and c not in found)
    cover = issue.meta.extra.get("image")  # the cover image (front matter)
    extra = [cover.strip()] if isinstance(cover, str) and cover.strip() else []
    extra += [a.src for a in issue.attachments]  # audio and video files
    found.extend(c for c in extra if is_local(c) and c not in found)
    return found


def unpublishable(src: str, folder: Path, root: Path) -> tuple[str, str] | None:
    """Why the image reference ``src`` of an issue in ``folder`` can never be shown to readers,
    and how to fix it, as two phrases for a warning, or ``None``.

    * a ``file:`` URL, or an absolute path naming a file on this computer
      (``/tmp/sec/chart.png``: only this computer can open it; as a URL it would be a path on
      the site that nothing publishes);
    * a local reference whose file :func:`refusal` refuses (outside the newsletter folder
      ``root``, hidden, dispatch's own or a source, a symbolic link leading out).

    A missing file is not refused here (it is "not found", and may yet be added), nor is a
    ``/``-rooted path with no such file on this computer (a path on the site: :func:`site_path`).
    """
    s = src.strip()
    fix = "put the file in the newsletter folder (e.g. img/ next to the issue) and write its path relative to the issue"
    if s[:5].lower() == "file:":
        return "is a file: URL, which only this computer can open", fix
    if site_path(s):
        path = Path(unquote(urlsplit(s).path))
        try:
            on_disk = path.is_file()
        except OSError:
            on_disk = False
        if not on_disk:
            return None
        why = refusal(path, root)
        if why is None:
            relative = Path(os.path.relpath(path.resolve(), folder.resolve())).as_posix()
            return "is an absolute path on this computer", f"write it relative to the issue: {relative!r}"
        return f"is an absolute path on this computer and {why}", fix
    if not is_local(s):
        return None
    why = refusal(folder / unquote(urlsplit(s).path), root)
    return (why, fix) if why else None


def site_path(src: str) -> bool:
    """Whether ``src`` is a path on the site (``/brand/logo.png``): it is published only if the
    site serves it by other means, since dispatch publishes an issue's own files only."""
    s = src.strip()
    return s.startswith("/") and not s.startswith("//")


#: Files never published as an issue's image: dispatch's configuration and issue sources.
_OWN_FILES = ("dispatch.toml",)
_SOURCE_SUFFIXES = (".md", ".markdown", ".txt")


def refusal(file: Path, root: Path) -> str | None:
    """Why ``file`` may not be read into a published folder, or ``None`` when it may.

    The rule (issue 10): only regular files inside the newsletter folder ``root`` (the
    folder of ``dispatch.toml``, else the issues folder's parent), judged after every
    symbolic link is followed, so a link leading out is refused; never a file in a hidden
    folder or hidden itself (``.git/config``, ``.env``, dispatch's ``.dispatch-*``), never
    ``dispatch.toml`` or an issue source (``.md``, ``.markdown``, ``.txt``: a draft's text).

    Returns:
        a phrase for a warning (``"is outside the newsletter folder (/srv/news)"``), or ``None``.
    """
    top = root.resolve()
    real = file.resolve()
    if not real.is_relative_to(top):
        return f"is outside the newsletter folder ({top})"
    parts = real.relative_to(top).parts
    if any(part.startswith(".") for part in parts):
        return "is in a hidden folder or hidden itself"
    if real.name in _OWN_FILES or real.suffix.lower() in _SOURCE_SUFFIXES:
        return "is dispatch's own file or an issue source"
    try:
        if not stat.S_ISREG(real.stat().st_mode):
            return "is not a regular file"
    except OSError:
        return None  # missing: reported as not found
    return None


def local_assets(issue: Issue, settings: Settings) -> tuple[list[Asset], list[str]]:
    """The issue's local files and ``path:line`` warnings for references that cannot be
    published: the file is missing, resolves outside ``base_url``, or is refused by
    :func:`refusal` (outside the newsletter folder ``settings.root``, hidden, dispatch's own
    or a source, not a regular file — ``img/../../../etc/passwd`` is never copied into a
    public site).

    Returns:
        ``(assets, warnings)``.
    """
    assets: list[Asset] = []
    warnings: list[str] = []
    attached = {a.src for a in issue.attachments}
    for src in references(issue):
        line = issue.source_line(src, 1)
        path_part = unquote(urlsplit(src).path)
        file = (issue.path.parent / path_part).resolve()
        url = urljoin(issue.permalink, src)
        rel = published_path(issue, src, settings)
        if rel is None:
            warnings.append(f"{issue.path}:{line}: {src!r} points outside the site ({url}); it is not published")
            continue
        why = refusal(file, settings.root)
        if why is not None:
            warnings.append(f"{issue.path}:{line}: {src!r} {why}; it is not published")
            continue
        if not file.is_file():
            warnings.append(f"{issue.path}:{line}: {'file' if src in attached else 'image'} {src!r} not found (looked for {file}); readers will see it broken")
            continue
        assets.append(Asset(src, file, rel, line))
    return assets, warnings


def published_path(issue: Issue, src: str, settings: Settings) -> str | None:
    """Where the file ``src`` of ``issue`` is published, relative to the site's root
    (``img/a.png`` of slug ``craft`` → ``craft/img/a.png``; query and fragment dropped), or
    ``None`` when its URL falls outside ``base_url``."""
    base = settings.base_url.rstrip("/") + "/"
    url_path = urlsplit(urljoin(issue.permalink, src))._replace(query="", fragment="").geturl()
    return unquote(url_path[len(base):]) if url_path.startswith(base) else None
