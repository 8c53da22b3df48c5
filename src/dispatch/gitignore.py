"""Keeping what dispatch writes beside ``dispatch.toml`` out of git.

``dispatch build`` keeps its cache in ``.dispatch-cache/`` (it holds every draft's and
scheduled issue's full text), ``render`` writes ``dist/`` and ``build`` ``public/`` (plus its
staging folder ``.public.dispatch-work/`` while it runs). A writer who pushes the newsletter
folder to a public repository would publish the drafts with it, so ``dispatch init`` writes a
``.gitignore`` (:func:`ensure_gitignore`) and ``build``/``check`` warn when git would track the
cache (:func:`cache_git_warning`).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .output import write_file

#: The ``.gitignore`` lines ``dispatch init`` makes sure of, each with the comment written
#: above it (gitignore(5) patterns; a trailing ``/`` matches a folder only).
GITIGNORE_LINES: tuple[tuple[str, str], ...] = (
    (".dispatch-cache/", "dispatch build's cache: the full text of every draft and scheduled issue; never push it"),
    ("dist/", "dispatch render's output"),
    ("public/", "dispatch build's output: deploy it (docs/scheduling.md), do not commit it"),
    (".*.dispatch-work/", "a build's staging folder beside its --out, present while it runs"),
)


@dataclass
class GitignoreResult:
    """What :func:`ensure_gitignore` did: ``path``; ``created`` (no file was there);
    ``added`` (the patterns appended, empty when every one was there already)."""

    path: Path
    created: bool = False
    added: list[str] = field(default_factory=list)


def _normal(pattern: str) -> str:
    """A pattern as compared for "already there": no leading ``/``, no trailing ``/``."""
    return pattern.strip().lstrip("/").rstrip("/")


def ensure_gitignore(folder: Path) -> GitignoreResult:
    """Make ``folder/.gitignore`` list every pattern of :data:`GITIGNORE_LINES`.

    A missing file is written whole; an existing one is never rewritten: only the patterns it
    does not have (compared without a leading or trailing ``/``, so ``/dist`` counts as
    ``dist/``) are appended, under one comment line, after what is there.

    Raises:
        OSError: the file cannot be read or written.
    """
    path = folder / ".gitignore"
    if not path.exists():
        lines = []
        for pattern, why in GITIGNORE_LINES:
            lines += [f"# {why}", pattern]
        write_file(path, ("\n".join(lines) + "\n").encode("utf-8"))
        return GitignoreResult(path, created=True, added=[p for p, _ in GITIGNORE_LINES])
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    have = {_normal(line) for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")}
    missing = [(p, why) for p, why in GITIGNORE_LINES if _normal(p) not in have]
    if not missing:
        return GitignoreResult(path)
    tail = ["", "# added by dispatch init: what dispatch writes beside dispatch.toml"]
    tail += [line for p, why in missing for line in (f"# {why}", p)]
    sep = "" if not text or text.endswith("\n") else "\n"
    with path.open("a", encoding="utf-8", errors="surrogateescape") as fh:
        fh.write(sep + "\n".join(tail) + "\n")
    return GitignoreResult(path, added=[p for p, _ in missing])


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None


def settings_cache(settings, cache: Path | str | None = None) -> Path:
    """The build cache's base folder: ``cache`` (``build --cache``) or ``settings.cache_dir``,
    relative to the newsletter folder ``settings.root``."""
    base = Path(cache if cache is not None else settings.cache_dir)
    return base if base.is_absolute() else Path(settings.root) / base


def cache_git_warning(cache: Path) -> str | None:
    """A one-line warning (without the path) when git would publish the build cache ``cache`` (an existing
    folder): it is inside a git work tree and no ignore rule (``.gitignore`` in any folder,
    ``.git/info/exclude``, the user's excludes file) covers it, or files in it are tracked.
    ``None`` when git ignores it, when it is in no work tree, or when git is not installed
    (asked with ``git check-ignore --no-index`` and ``git ls-files``).
    """
    if not cache.is_dir():
        return None
    inside = _git(cache, "rev-parse", "--is-inside-work-tree")
    if inside is None or inside.returncode != 0 or inside.stdout.strip() != "true":
        return None
    ignored = _git(cache.parent, "check-ignore", "-q", "--no-index", cache.name + "/")
    if ignored is None or ignored.returncode == 128:  # 128: git could not tell
        return None
    if ignored.returncode != 0:
        return (f"the build cache holds every draft's full text and git does not ignore it; "
                f"add '{cache.name}/' to .gitignore beside it before you push")
    tracked = _git(cache.parent, "ls-files", "--", cache.name)
    if tracked is not None and tracked.returncode == 0 and tracked.stdout.strip():
        return (f"files of the build cache (drafts' full text) are committed to git; "
                f"remove them with: git rm -r --cached {cache.name}")
    return None
