"""Step 8: compare this build's outputs with the output folder: the new manifest, what
changed, and what the previous build wrote that is no longer produced."""

from __future__ import annotations

from pathlib import Path
from ..output import same_bytes
from .record import file_sha
from .report import BuildReport


def diff_outputs(out: Path, writes: dict[str, bytes], page_shas: dict[str, str], copies: dict[str, Path],
                  report: BuildReport) -> tuple[dict[str, str], dict[str, bytes | Path]]:
    """Step 8: compare the outputs with the files in ``out``.

    Returns:
        the new manifest (output path → SHA-256 of every output), and the outputs whose
        bytes differ from the disk (path → bytes, or the image file to copy). An unreadable
        image is left out with a warning.
    """
    manifest: dict[str, str] = dict(page_shas)
    changed: dict[str, bytes | Path] = {}
    for rel, data in writes.items():
        manifest[rel] = file_sha(data)
        if not same_bytes(out / rel, data):
            changed[rel] = data
    for rel, file in copies.items():
        try:
            data = file.read_bytes()
        except OSError as exc:
            report.warnings.append(f"{file}: cannot read the image ({exc.strerror}); it is not published")
            continue
        manifest[rel] = file_sha(data)
        if not same_bytes(out / rel, data):
            changed[rel] = file
    return manifest, changed


def stale_files(out: Path, old_manifest: dict[str, str], manifest: dict[str, str],
                report: BuildReport) -> dict[str, str]:
    """Step 8: the files the previous build wrote (its manifest, ``old_manifest``) that this
    build no longer produces and that still hold the bytes dispatch wrote: path → that
    SHA-256 (checked again just before removal). One changed since is kept, with a warning."""
    stale = {}
    for rel in sorted(set(old_manifest) - set(manifest)):
        target = out / rel
        if not target.is_file() or target.is_symlink():
            continue
        try:
            if file_sha(target.read_bytes()) != old_manifest[rel]:
                report.warnings.append(f"{target}: no longer produced by the build, but changed since dispatch "
                                       "wrote it; left in place (remove it yourself if it should go)")
                continue
        except OSError:
            continue
        stale[rel] = old_manifest[rel]
    return stale
