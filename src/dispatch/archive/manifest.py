"""The manifest of a build: ``.dispatch-manifest`` in the output folder, every file the build
wrote there with the SHA-256 of its bytes (the format of ``sha256sum``). It is what lets a
build remove what it no longer produces, and never anything it did not write."""

from __future__ import annotations

import re
from pathlib import Path

#: The cache folder inside the output folder (never an output path).
CACHE_DIR = ".dispatch-cache"


#: The list of files a build wrote into its output folder (``<sha256>  <path>`` lines, the
#: format of ``sha256sum``), kept outside the cache so that deleting the cache never makes a
#: build forget what it may remove.
MANIFEST = ".dispatch-manifest"


def safe_relative(rel: object) -> bool:
    """Whether ``rel`` may name an output file: a relative POSIX path of plain segments (no
    ``..``, ``.``, empty segment, backslash or control character), not inside the cache and
    not the manifest."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel:
        return False
    if re.search(r"[\x00-\x1f\x7f]", rel):
        return False
    parts = rel.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return False
    return parts[0] not in (CACHE_DIR, MANIFEST)


def read_manifest(out: Path) -> dict[str, str]:
    """``.dispatch-manifest`` of ``out``: relative path → SHA-256 (hex) of the bytes the last
    build wrote there. Missing or unreadable: ``{}``; a line that is not ``<64 hex>  <safe
    relative path>`` is ignored."""
    try:
        text = (out / MANIFEST).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    found = {}
    for line in text.split("\n"):
        m = re.fullmatch(r"([0-9a-f]{64})  (.+)", line)
        if m and safe_relative(m.group(2)):
            found[m.group(2)] = m.group(1)
    return found


def manifest_bytes(files: dict[str, str]) -> bytes:
    """The manifest for ``files`` (relative path → SHA-256 hex), sorted by path; checkable
    with ``cd out && sha256sum -c .dispatch-manifest``."""
    lines = [f"{files[rel]}  {rel}" for rel in sorted(files)]
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
