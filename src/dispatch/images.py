"""Image sizes for the email: every ``<img>`` gets ``width`` (and ``height`` where known).

Outlook for Windows renders with Word, which ignores ``max-width``: an image without a
``width`` attribute shows at its natural size and widens the whole layout (MJML's
``mj-image`` writes one for this reason; notes/email.md). The size of an image comes from:

* a local file (next to the issue): its real pixel size, read by Pillow from the file's
  header (the pixels are not decoded);
* a ``data:`` URI: the same, from the decoded bytes;
* otherwise (a remote image) its ``width=``/``height=`` attributes as written, and without
  them :data:`Settings.remote_image_width <dispatch.config.Settings.remote_image_width>`
  (the column, 544 px) with no height, which every client scales in proportion.

A size wider than the column is scaled down to it, the height in proportion. With
``retina_images = true`` a local image wider than twice the column is sent as a copy resized
to :data:`RETINA_PX` wide (Lanczos), named ``<name>-1088w.<ext>`` beside it in the output; the
original file is never changed and is what the web pages use.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, unquote_to_bytes, urlsplit

if TYPE_CHECKING:
    from .assets import Asset
    from .config import Settings
    from .model import Issue

#: The email's text column in CSS px: 600 px body less 2 × 28 px padding.
COLUMN_PX = 544
#: The column inside a Bottom Line or Lens box: less 2 × 18 px padding and the box edges.
BOX_PX = 504
#: Retina copies are this wide (2 × the column).
RETINA_PX = 2 * COLUMN_PX


@dataclass(frozen=True)
class Size:
    """An image's size in CSS px; ``height`` is ``None`` when unknown."""

    width: int
    height: int | None = None

    def fit(self, column: int) -> "Size":
        """This size scaled down to at most ``column`` px wide (height in proportion)."""
        if self.width <= column:
            return self
        height = round(self.height * column / self.width) if self.height else None
        return Size(column, height)


def _pillow_size(data: bytes | Path) -> tuple[int, int] | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as im:
            return im.size
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return None


@lru_cache(maxsize=512)
def _file_size(path: Path, mtime_ns: int) -> tuple[int, int] | None:
    return _pillow_size(path)


def file_size(path: Path) -> Size | None:
    """The pixel size of the image file at ``path`` (Pillow reads the header), or ``None``
    when it is missing or not an image Pillow knows (SVG has no pixel size)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    found = _file_size(path, stat.st_mtime_ns)
    return Size(*found) if found else None


_DATA = re.compile(r"^data:([^,;]*)((?:;[^,;]*)*),(.*)$", re.S | re.I)


def data_uri_size(uri: str) -> Size | None:
    """The pixel size of a ``data:`` image (base64 or percent-encoded), or ``None``."""
    m = _DATA.match(uri.strip())
    if not m:
        return None
    try:
        raw = base64.b64decode(m.group(3)) if "base64" in m.group(2).lower() else unquote_to_bytes(m.group(3))
    except ValueError:
        return None
    found = _pillow_size(raw)
    return Size(*found) if found else None


def attr_size(width: str | None, height: str | None) -> Size | None:
    """A size from HTML ``width``/``height`` attribute values in px (``"800"``, ``"800px"``);
    ``None`` when the width is missing or not a pixel count (``"50%"``)."""
    def px(value: str | None) -> int | None:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*", value or "")
        return round(float(m.group(1))) if m and float(m.group(1)) > 0 else None

    w = px(width)
    return Size(w, px(height)) if w else None


def local_file(src: str, folder: Path) -> Path | None:
    """The file a local reference ``src`` names, relative to ``folder`` (``None`` for a URL)."""
    from .assets import is_local

    if not is_local(src):
        return None
    return folder / unquote(urlsplit(src).path)


def natural_size(src: str, folder: Path) -> Size | None:
    """The real size of the image ``src`` (a local path relative to ``folder`` or a ``data:``
    URI), or ``None`` (remote, missing or unreadable)."""
    if src.strip().lower().startswith("data:"):
        return data_uri_size(src)
    path = local_file(src, folder)
    return file_size(path) if path is not None else None


def retina_name(src: str) -> str:
    """The published name of the retina copy of local image ``src``: ``img/chart.png`` →
    ``img/chart-1088w.png`` (query and fragment dropped)."""
    path = urlsplit(src).path
    stem, dot, ext = path.rpartition(".")
    return f"{stem}-{RETINA_PX}w.{ext}" if dot and "/" not in ext else f"{path}-{RETINA_PX}w"


@lru_cache(maxsize=512)
def _animated(path: Path, mtime_ns: int) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return bool(getattr(im, "is_animated", False))
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return False


def retina_wanted(path: Path) -> bool:
    """Whether the local image file ``path`` is sent as a retina copy (``retina_images``):
    wider than :data:`RETINA_PX` and not animated (resizing would keep only the first frame)."""
    size = file_size(path)
    if size is None or size.width <= RETINA_PX:
        return False
    try:
        return not _animated(path, path.stat().st_mtime_ns)
    except OSError:
        return False


def retina_source(src: str, folder: Path) -> tuple[str, Path] | None:
    """The retina copy the email sends in place of image ``src`` (relative to the issue's
    ``folder``), as ``(name, original file)`` (``name`` from :func:`retina_name`, relative
    like ``src``); ``None`` when it sends ``src`` itself: a URL or ``data:`` URI, a path
    with ``..``, or a file :func:`retina_wanted` declines. ``render`` writes the copy beside
    the email and ``build`` publishes it beside the page, so one rule decides all three."""
    name = retina_candidate(src)
    path = local_file(src, folder)
    if name is None or path is None or not retina_wanted(path):
        return None
    return name, path


def retina_candidate(src: str) -> str | None:
    """The name a retina copy of ``src`` would have (:func:`retina_name`) when ``src`` may
    have one at all (a local path without ``..``); whether it is made depends on the file
    (:func:`retina_wanted`)."""
    from .assets import is_local

    return retina_name(src) if is_local(src) and ".." not in src.split("/") else None


def retina_copy(path: Path | bytes) -> bytes | None:
    """``path`` (a file, or its bytes) resized to :data:`RETINA_PX` wide (height in
    proportion, Lanczos), encoded in its own format; ``None`` when it is not wider than that
    or cannot be read (animated images are left as they are: resizing would keep only the
    first frame)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(path) if isinstance(path, bytes) else path) as im:
            if im.width <= RETINA_PX or getattr(im, "is_animated", False):
                return None
            fmt = im.format
            height = round(im.height * RETINA_PX / im.width)
            small = im.resize((RETINA_PX, height), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            options = {"optimize": True} if fmt in ("PNG", "JPEG") else {}
            if fmt == "JPEG":
                options["quality"] = 85
            small.save(out, format=fmt, **options)
            return out.getvalue()
    except (OSError, UnidentifiedImageError, ValueError, KeyError, Image.DecompressionBombError):
        return None


def retina_assets(issue: "Issue", settings: "Settings", assets: "list[Asset]") -> "list[tuple[str, Asset]]":
    """The retina copies the email may send (``retina_images``) for the issue's local
    ``assets`` (:func:`dispatch.assets.local_assets`): ``(published path of the copy, the
    original's asset)`` for each Markdown image that may have one (:func:`retina_candidate`).
    Whether a copy is made is the file's to decide when it is published
    (:func:`retina_wanted`), so an image replaced by a larger or smaller one is judged by its
    bytes then. Empty unless ``settings.retina_images``."""
    from .assets import published_path
    from .model import Image

    if not settings.retina_images:
        return []
    shown = {node.src for node in issue.walk() if isinstance(node, Image)}
    found = []
    for asset in assets:
        name = retina_candidate(asset.src) if asset.src in shown else None
        rel = published_path(issue, name, settings) if name else None
        if rel:
            found.append((rel, asset))
    return found
