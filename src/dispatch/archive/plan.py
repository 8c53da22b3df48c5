"""Step 8: compare this build's outputs with the output folder as they are produced: the new
manifest, what changed (staged for the replacement), and what the previous build wrote that
is no longer produced."""

from __future__ import annotations

from pathlib import Path
from ..output import same_bytes
from .record import file_sha
from .replace import Replacement
from .report import BuildReport


class Plan:
    """Step 8, as the outputs are produced: each goes into the new manifest (path → SHA-256)
    and, when its bytes differ from the file in ``out``, into ``replacement``'s stage (the
    rest are left untouched), so no output is held in memory longer than it takes to
    compare it.

    Attributes:
        manifest: output path → SHA-256 of every output of this build.
        changed: output paths whose bytes differ from ``out``, in the order staged.
    """

    def __init__(self, out: Path, replacement: Replacement):
        self.out = out
        self.replacement = replacement
        self.manifest: dict[str, str] = {}
        self.changed: list[str] = []

    def put(self, rel: str, data: bytes) -> None:
        """Output ``rel`` holds ``data``."""
        self.manifest[rel] = file_sha(data)
        if not same_bytes(self.out / rel, data):
            self.replacement.stage(rel, data)
            self.changed.append(rel)

    def put_staged(self, rel: str, name: str, sha: str, size: int) -> None:
        """Output ``rel`` is the stage file ``name`` (SHA-256 ``sha``, ``size`` bytes), written
        by a renderer; it is dropped when ``out`` already holds those bytes."""
        self.manifest[rel] = sha
        staged = self.replacement.work / "stage" / name
        target = self.out / rel
        try:
            same = target.stat().st_size == size and file_sha(target.read_bytes()) == sha
        except OSError:
            same = False
        if same:
            staged.unlink()
        else:
            self.replacement.adopt(rel, name)
            self.changed.append(rel)

    def keep(self, rel: str, sha: str) -> None:
        """Output ``rel`` is the file already in ``out`` (SHA-256 ``sha``)."""
        self.manifest[rel] = sha

    def copy(self, rel: str, file: Path, report: BuildReport, transform=None) -> None:
        """Output ``rel`` is a copy of ``file`` (an image), or ``transform(bytes)`` of it (its
        retina copy; ``None`` from it: no output); an unreadable one is left out with a
        warning."""
        try:
            data = file.read_bytes()
        except OSError as exc:
            report.warnings.append(f"{file}: cannot read the image ({exc.strerror}); it is not published")
            return
        if transform is not None:
            data = transform(data)
            if data is None:
                return
        self.put(rel, data)


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
