"""Where a build may write: the output folder itself (never the issues, the newsletter root,
``/`` or a folder holding them, never around the cache), and each target inside it (no file
where a folder is needed, no folder where a file goes, no symbolic link on the way, never a
file that dispatch did not write unless ``--force``). Every check runs before anything is
written."""

from __future__ import annotations

import os
from pathlib import Path

from .record import file_sha
from .report import OutputError


def check_out_folder(out: Path, issues_dir: Path, root: Path, cache: Path) -> None:
    """Refuse an output folder that would publish or replace what the build reads.

    Args:
        out: ``--out``.
        issues_dir: the issues folder.
        root: the newsletter folder (see :func:`dispatch.archive.newsletter_root`).
        cache: the cache folder of this output.

    Raises:
        OutputError: ``out`` is a file, is ``/``, the issues folder, the newsletter root or a
            folder holding one of them, lies inside the issues folder, or holds the cache (or
            lies inside it).
    """
    if out.exists() and not out.is_dir():
        raise OutputError("is a file, not a folder; give --out a folder (or a name that does not exist yet)", out)
    where = out.resolve()
    issues = issues_dir.resolve()
    cache = cache.resolve()
    if where == Path(where.anchor):
        raise OutputError("is the file system's root; give --out a folder of its own, such as public", out)
    for name, folder in (("the issues folder", issues), ("the newsletter folder", root.resolve())):
        if where == folder or folder.is_relative_to(where):
            raise OutputError(f"is {name} or holds it ({folder}); the build would publish your sources there; "
                              "give --out a folder of its own, such as public", out)
    if where.is_relative_to(issues):
        raise OutputError(f"is inside the issues folder ({issues}); give --out a folder outside it, such as public",
                          out)
    if cache.is_relative_to(where) or where.is_relative_to(cache):
        raise OutputError(f"holds the build cache ({cache}) or lies inside it; the cache keeps drafts and must not "
                          "be published: set cache_dir in dispatch.toml (or --cache) outside --out", out)


def check_targets(out: Path, rels: list[str]) -> None:
    """Check, before anything is written, that every ``out/rel`` can be written: ``out`` and
    every folder on the way are real folders (not symbolic links) or do not exist yet, and no
    target is a folder.

    Raises:
        OutputError: naming the path in the way.
    """
    if out.exists() and not out.is_dir():
        raise OutputError("is a file, not a folder; give --out a folder (or a name that does not exist yet)", out)
    folders: set[str] = set()
    for rel in rels:
        parts = rel.split("/")
        for n in range(1, len(parts)):
            sub = "/".join(parts[:n])
            if sub in folders:
                continue
            folder = out / sub
            if folder.is_symlink():
                raise OutputError(f"is a symbolic link, but the build needs a real folder here (for {out / rel}); "
                                  "dispatch never writes through a link: move it or choose another --out", folder)
            if os.path.lexists(folder) and not folder.is_dir():
                raise OutputError(f"is a file, but the build needs a folder here (for {out / rel}); "
                                  "move the file or choose another --out", folder)
            folders.add(sub)
        if (out / rel).is_dir() and not (out / rel).is_symlink():
            raise OutputError("is a folder, but the build writes a file here; move it or choose another --out",
                              out / rel)


def foreign_files(out: Path, rels: list[str], old_manifest: dict[str, str]) -> list[str]:
    """The targets among ``rels`` (files this build writes) that exist in ``out`` but that
    dispatch did not write: not in the previous build's manifest, or changed since (their
    SHA-256 differs from the one recorded), or a symbolic link. Sorted."""
    found = []
    for rel in sorted(rels):
        target = out / rel
        if not os.path.lexists(target):
            continue
        if target.is_symlink() or rel not in old_manifest:
            found.append(rel)
            continue
        try:
            if file_sha(target.read_bytes()) != old_manifest[rel]:
                found.append(rel)
        except OSError:
            found.append(rel)
    return found


def refuse_foreign(out: Path, foreign: list[str]) -> None:
    """Raise for the files of ``foreign`` (see :func:`foreign_files`), naming them.

    Raises:
        OutputError: when ``foreign`` is not empty.
    """
    if not foreign:
        return
    more = f" (and {len(foreign) - 1} more: {', '.join(foreign[1:4])}{', …' if len(foreign) > 4 else ''})" \
        if len(foreign) > 1 else ""
    raise OutputError(f"was not written by dispatch (it is not in {out / '.dispatch-manifest'}, or changed since)"
                      f"{more}; the build would replace it: move it away, or pass --force to replace it",
                      out / foreign[0])

