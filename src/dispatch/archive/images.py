"""Step 7: the local images of the published issues, each published beside its page, and
the retina copies their emails link to (``retina_images``)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..images import retina_copy, retina_wanted
from ..output import write_file
from .manifest import safe_relative
from .record import Record, file_sha
from .report import BuildReport


def select_images(published: list[Record], generated: set[str], report: BuildReport) -> dict[str, tuple[Path, bool]]:
    """Step 7: the local images of the published issues to publish, output path → (source
    file, whether the output is its retina copy). A retina copy is listed only where the
    email links to one (:func:`dispatch.images.retina_wanted`: the file as it is now). An
    image that would clash with a ``generated`` file, another image or its folders, or that
    is missing, is left out with a warning."""
    generated_folders = _parents(generated)
    copies: dict[str, tuple[Path, bool]] = {}
    copy_folders: set[str] = set()
    for rec in published:
        retina = [(f"retina copy of {Path(file).name}", file, rel, where, True) for rel, file, where in rec.retina
                  if retina_wanted(Path(file))]
        for src, file, rel, where, resized in [(*a, False) for a in rec.assets] + retina:
            if not safe_relative(rel) or _conflict(rel, generated, generated_folders):
                report.warnings.append(f"{where}: image {src!r} would be published at {rel!r}, where the build "
                                       "writes its own files; it is not published")
                continue
            if rel in copies:
                if copies[rel] != (Path(file), resized):
                    report.warnings.append(f"{where}: image {src!r} would replace {copies[rel][0]} at {rel}; "
                                           "it is not published (give the two files different names)")
                continue
            if _conflict(rel, copies.keys(), copy_folders):
                report.warnings.append(f"{where}: image {src!r} at {rel!r} clashes with another image's path; "
                                       "it is not published")
                continue
            if not Path(file).is_file():
                report.warnings.append(f"{where}: image {src!r} not found (looked for {file}); readers will see it broken")
                continue
            copies[rel] = (Path(file), resized)
            copy_folders |= _parents([rel])
    return copies


def retina_bytes(data: bytes, folder: Path, used: set[str]) -> bytes | None:
    """The retina copy of image bytes ``data`` (:func:`dispatch.images.retina_copy`), kept
    in the build cache's ``folder`` by the SHA-256 of ``data`` so that an unchanged image is
    resized once, not on every build (a cached copy that is not a regular file is ignored);
    its name is added to ``used``. ``None`` when no copy can be made."""
    name = file_sha(data)
    used.add(name)
    path = folder / name
    try:
        if not path.is_symlink() and path.is_file():
            return path.read_bytes()
    except OSError:
        pass
    copy = retina_copy(data)
    if copy is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_file(path, copy)
        except OSError:
            pass  # a cache that cannot be written only means resizing again
    return copy


def prune_retina(folder: Path, used: set[str]) -> None:
    """Remove the cached retina copies of ``folder`` that this build did not use."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name not in used and re.fullmatch(r"[0-9a-f]{64}", entry.name):
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def _conflict(rel: str, files, folders: set[str]) -> bool:
    """Whether file ``rel`` would clash with the files ``files`` (or the folders ``folders``
    they need)."""
    if rel in files or rel in folders:
        return True
    parts = rel.split("/")
    return any("/".join(parts[:n]) in files for n in range(1, len(parts)))


def _parents(rels) -> set[str]:
    found = set()
    for rel in rels:
        parts = rel.split("/")
        found.update("/".join(parts[:n]) for n in range(1, len(parts)))
    return found
