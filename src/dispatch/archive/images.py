"""Step 7: the local images of the published issues, each published beside its page."""

from __future__ import annotations

from pathlib import Path

from .manifest import safe_relative
from .record import Record
from .report import BuildReport


def select_images(published: list[Record], generated: set[str], report: BuildReport) -> dict[str, Path]:
    """Step 7: the local images of the published issues to publish, output path → source
    file. An image that would clash with a ``generated`` file, another image or its folders,
    or that is missing, is left out with a warning."""
    generated_folders = _parents(generated)
    copies: dict[str, Path] = {}
    copy_folders: set[str] = set()
    for rec in published:
        for src, file, rel, where in rec.assets:
            if not safe_relative(rel) or _conflict(rel, generated, generated_folders):
                report.warnings.append(f"{where}: image {src!r} would be published at {rel!r}, where the build "
                                       "writes its own files; it is not published")
                continue
            if rel in copies:
                if copies[rel] != Path(file):
                    report.warnings.append(f"{where}: image {src!r} would replace {copies[rel]} at {rel}; "
                                           "it is not published (give the two files different names)")
                continue
            if _conflict(rel, copies.keys(), copy_folders):
                report.warnings.append(f"{where}: image {src!r} at {rel!r} clashes with another image's path; "
                                       "it is not published")
                continue
            if not Path(file).is_file():
                report.warnings.append(f"{where}: image {src!r} not found (looked for {file}); readers will see it broken")
                continue
            copies[rel] = Path(file)
            copy_folders |= _parents([rel])
    return copies


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
