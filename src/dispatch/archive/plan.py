"""Step 8: compare this build's outputs with the output folder: the new manifest, what
changed, what a previous build wrote that is no longer produced, and the bookkeeping files
(manifest, cache) to write."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..output import same_bytes
from .cache import CACHE_DIR, Cache
from .manifest import MANIFEST, manifest_bytes
from .record import file_sha
from .report import BuildReport

if TYPE_CHECKING:
    from .sources import Sources


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


def stale_files(out: Path, old_manifest: dict[str, str], old_outputs: list[str], manifest: dict[str, str],
                 report: BuildReport) -> list[str]:
    """Step 8: the files a previous build wrote (``old_manifest``, or the cache's
    ``old_outputs``) that this build no longer produces and that still hold the bytes
    dispatch wrote, sorted. One changed since is kept, with a warning."""
    stale = []
    for rel in sorted((set(old_manifest) | set(old_outputs)) - set(manifest)):
        target = out / rel
        if not target.is_file() or target.is_symlink():
            continue
        if rel in old_manifest:
            try:
                if file_sha(target.read_bytes()) != old_manifest[rel]:
                    report.warnings.append(f"{target}: no longer produced by the build, but changed since dispatch "
                                           "wrote it; left in place (remove it yourself if it should go)")
                    continue
            except OSError:
                continue
        stale.append(rel)
    return stale


def bookkeeping(out: Path, manifest: dict[str, str], cache: Cache, sources: Sources,
                 history: dict[str, dict[str, str]]) -> dict[str, bytes]:
    """Step 8: the manifest, the cache index and the cached bodies that must be written
    (their bytes changed, or a body is missing or failed its check), path → bytes."""
    extra: dict[str, bytes] = {}
    for rel, data in ((MANIFEST, manifest_bytes(manifest)),
                      (f"{CACHE_DIR}/index.json", cache.dump(sources.records, history, sorted(manifest)))):
        try:
            if (out / rel).read_bytes() == data:
                continue
        except OSError:
            pass
        extra[rel] = data
    for rel, data in sources.cache_writes.items():
        if not (out / rel).is_file() or rel.rsplit("/", 1)[-1][:-5] in cache.bad:
            extra[rel] = data
    return extra
