"""Step 9: replace the output folder's files: every target checked before any is written,
every changed file staged beside its target and renamed into place only when all are
written; then the stale files removed."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .report import BuildReport, OutputError


class Staging:
    """Files written beside their targets under temporary names, renamed into place only
    when every one is written (see the module docstring)."""

    def __init__(self, out: Path):
        self.out = out
        self.temps: list[tuple[Path, Path]] = []
        self.created: list[Path] = []

    def _folder(self, folder: Path) -> None:
        missing = []
        while not folder.is_dir():
            missing.append(folder)
            folder = folder.parent
        for d in reversed(missing):
            d.mkdir()
            self.created.append(d)

    def add(self, rel: str, data: bytes | Path) -> None:
        """Write ``data`` (bytes, or a file to copy) to a temporary file beside ``out/rel``."""
        target = self.out / rel
        self._folder(target.parent)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        self.temps.append((Path(tmp), target))
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, Path):
                with data.open("rb") as src:
                    shutil.copyfileobj(src, fh)
            else:
                fh.write(data)
        os.chmod(tmp, 0o644)

    def commit(self) -> None:
        """Rename every staged file onto its target, in the order they were staged."""
        for n, (tmp, target) in enumerate(self.temps):
            os.replace(tmp, target)
            self.temps[n] = (target, target)
        self.temps = []

    def abort(self) -> None:
        """Remove every temporary file and every folder this staging created."""
        for tmp, target in self.temps:
            if tmp != target:
                tmp.unlink(missing_ok=True)
        self.temps = []
        for d in reversed(self.created):
            try:
                d.rmdir()
            except OSError:
                pass


def check_targets(out: Path, rels: list[str]) -> None:
    """Check, before anything is written, that every ``out/rel`` can be written: ``out`` and
    every folder on the way are folders or do not exist yet, and no target is a folder.

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
            if os.path.lexists(folder) and not folder.is_dir():
                raise OutputError(f"is a file, but the build needs a folder here (for {out / rel}); "
                                  "move the file or choose another --out", folder)
            folders.add(sub)
        if (out / rel).is_dir():
            raise OutputError("is a folder, but the build writes a file here; move it or choose another --out",
                              out / rel)


def write_all(out: Path, changed: dict[str, bytes | Path], extra: dict[str, bytes]) -> None:
    """Step 9: stage every ``changed`` output (in path order), then every ``extra`` file,
    beside its target, then rename them all into place.

    Raises:
        OutputError: a file cannot be written or replaced; the staged files are removed and
            nothing is replaced.
    """
    staging = Staging(out)
    current = out
    try:
        for rel in sorted(changed):
            current = out / rel
            staging.add(rel, changed[rel])
        for rel, data in extra.items():
            current = out / rel
            staging.add(rel, data)
    except OSError as exc:
        staging.abort()
        raise OutputError(f"cannot write the file: {exc.strerror}", current) from None
    except BaseException:
        staging.abort()
        raise
    try:
        staging.commit()
    except OSError as exc:
        staging.abort()
        raise OutputError(f"cannot replace the file: {exc.strerror}", out) from None


def remove_stale(out: Path, stale: list[str], report: BuildReport) -> None:
    """Step 9: remove the ``stale`` files and the folders they leave empty, adding each to
    ``report.removed`` (or a warning when it cannot be removed)."""
    for rel in stale:
        target = out / rel
        try:
            target.unlink()
        except OSError as exc:
            report.warnings.append(f"{target}: no longer produced, but cannot be removed ({exc.strerror})")
            continue
        report.removed.append(rel)
        folder = target.parent
        while folder != out:
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent
