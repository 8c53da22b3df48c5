"""What the preview shows: each issue rendered in memory through the real pipeline
(:func:`dispatch.render.render_in_memory`, the web page through
:func:`dispatch.channels.web.render_page`), cached until its file, ``dispatch.toml`` or a
layout changes. Nothing is written: the preview changes no output of ``render`` or ``build``.

Only for display are two things changed, in the copy sent to the browser: the absolute URLs of
an issue's local images point at this server (``/_asset/…``) so they show before they are
published, and the dark view forces the email's ``prefers-color-scheme: dark`` rules on (an
``<iframe>`` cannot be given a colour scheme of its own).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, urljoin

from ..config import CONFIG_NAME, Settings, find_config, load_settings
from ..diagnostics import Diagnostic, status
from ..errors import DispatchError, SourceError
from ..render import Rendered, render_in_memory
from ..source import IssueFiles, find_issue_files

_DARK = re.compile(r"@media\s*\(\s*prefers-color-scheme\s*:\s*dark\s*\)", re.I)
_LIGHT = re.compile(r"@media\s*\(\s*prefers-color-scheme\s*:\s*light\s*\)", re.I)
#: Files whose change re-renders every issue (a layout or the settings).
_ISSUE_SUFFIXES = (".md", ".markdown")


@dataclass
class IssueView:
    """One issue as the preview shows it.

    Attributes:
        key: the issue file's path relative to the previewed folder (its URL part).
        path: the issue file.
        rendered: every channel rendered in memory, with its diagnostics.
        web: the issue's web page (``None``: not rendered, see the diagnostics).
        status: ``draft``, ``scheduled`` or ``published`` (``""`` when the file does not parse).
        local: absolute image URL as written in the outputs → preview URL (``/_asset/…``).
        stale: when this version does not parse, the last version that did (shown below the
            errors, marked as such), else ``None``.
    """

    key: str
    path: Path
    rendered: Rendered
    settings: Settings
    web: str | None = None
    status: str = ""
    local: dict[str, str] = field(default_factory=dict)
    stale: "IssueView | None" = None

    @property
    def title(self) -> str:
        issue = self.rendered.issue
        return issue.meta.title if issue else self.path.name

    @property
    def errors(self) -> list[Diagnostic]:
        return self.rendered.errors

    @property
    def warnings(self) -> list[Diagnostic]:
        return self.rendered.warnings

    def _display(self, html: str) -> str:
        for url, local in sorted(self.local.items(), key=lambda kv: -len(kv[0])):
            html = html.replace(url, local)
        return html

    def email_html(self, scheme: str = "light") -> str:
        """The email as rendered (``email.html``), with local images served by the preview;
        ``scheme="dark"`` turns the layout's dark-mode media queries on."""
        email = self.rendered.email
        if email is None and self.stale is not None:
            return self.stale.email_html(scheme)
        if email is None:
            return "<!doctype html><p style='font:14px system-ui;color:#b42318;padding:24px'>The email did not render; see the errors above.</p>"
        html = self._display(email.html if email.platform.form == "document" else email.document)
        if scheme == "dark":
            html = _LIGHT.sub("@media not all", _DARK.sub("@media all", html))
        return html

    def web_html(self) -> str:
        """The issue's web page with the archive stylesheet and local images served here."""
        if self.web is None and self.stale is not None:
            return self.stale.web_html()
        if self.web is None:
            return "<!doctype html><p style='font:14px system-ui;color:#b42318;padding:24px'>The web page did not render; see the errors.</p>"
        return self._display(self.web)


class PreviewSite:
    """The issues being previewed: one issue file, or every issue of a folder (as
    ``dispatch build`` finds them).

    Args:
        target: an issue file or a folder of issues.
        config_path: an explicit ``dispatch.toml`` (default: the nearest above ``target``).

    Raises:
        SourceError: ``target`` does not exist.
    """

    def __init__(self, target: Path, config_path: Path | None = None):
        if not target.exists():
            raise SourceError("no such issue file or folder; give an ISSUE.md or a folder such as issues/", target)
        self.target = target
        self.folder = target if target.is_dir() else target.parent
        self.config_path = config_path
        self._lock = threading.RLock()
        self._settings: Settings | None = None
        self._views: dict[str, tuple[tuple, IssueView]] = {}
        self._assets: dict[str, Path] = {}
        self._last_good: dict[str, IssueView] = {}
        self.generation = 0

    # --- settings and files -------------------------------------------------------------

    def settings(self) -> Settings:
        """The settings in effect (read again after ``dispatch.toml`` changes).

        Raises:
            ConfigError: ``dispatch.toml`` is broken (shown in the page, the server goes on).
        """
        with self._lock:
            if self._settings is None:
                self._settings = load_settings(self.folder, config_path=self.config_path)
            return self._settings

    def config_file(self) -> Path | None:
        """The ``dispatch.toml`` in effect, or ``None`` (defaults)."""
        return self.config_path or find_config(self.folder)

    def root(self) -> Path:
        config = self.config_file()
        return config.parent if config else self.folder

    def scan(self) -> IssueFiles:
        """The folder's issue files and the files skipped, by the rule ``build`` and ``check``
        use (:func:`dispatch.source.find_issue_files`; with the defaults while
        ``dispatch.toml`` is broken)."""

        if self.target.is_file():
            return IssueFiles([self.target], [])
        try:
            settings = self.settings()
        except DispatchError:
            settings = Settings()
        return find_issue_files(self.folder, settings.source.format, settings.limits.issue_bytes)

    def keys(self) -> list[str]:
        """Every previewed issue's key, in path order."""
        if self.target.is_file():
            return [self.target.name]
        return [p.relative_to(self.folder).as_posix() for p in self.scan().files]

    def single_key(self) -> str | None:
        """The key of the one issue previewed, or ``None`` for a folder."""
        return self.target.name if self.target.is_file() else None

    def watch_paths(self) -> list[tuple[list[Path], bool]]:
        """``(paths, recursive)`` groups to watch: the issues folder and ``layouts/``
        recursively, and the folder holding ``dispatch.toml`` (only its own files)."""
        root = self.root()
        deep = [self.folder.resolve()]
        layouts = (root / "layouts").resolve()
        if layouts.is_dir() and not layouts.is_relative_to(deep[0]):
            deep.append(layouts)
        groups = [(deep, True)]
        if not self.folder.resolve().samefile(root.resolve()) and root.resolve() not in deep:
            groups.append(([root.resolve()], False))
        return groups

    def relevant(self, path: Path) -> bool:
        """Whether a change of ``path`` can change what the preview shows: an issue file, an
        image or other file beside the issues, ``dispatch.toml``, or a file under ``layouts/``;
        never an editor's temporary, backup or hidden file (:func:`dispatch.authoring.scratch_file`)."""
        from ..authoring import scratch_file

        name = path.name
        if scratch_file(path):
            return False
        root = self.root().resolve()
        if path.parent == root and name != CONFIG_NAME and not path.is_relative_to(self.folder.resolve()):
            return False
        return True

    def changed(self, paths: list[Path]) -> None:
        """Forget what ``paths`` changing makes stale: an issue file its own render; anything
        else (settings, a layout, an image) every render."""
        with self._lock:
            if all(p.suffix.lower() in _ISSUE_SUFFIXES for p in paths):
                for p in paths:
                    for key in list(self._views):
                        if (self.folder / key).resolve() == p.resolve():
                            del self._views[key]
            else:
                self.generation += 1
                self._settings = None
                self._views.clear()

    # --- rendering ----------------------------------------------------------------------

    def path_of(self, key: str) -> Path | None:
        """The issue file of ``key`` if it is one of the previewed issues (no other file is
        ever read through a URL)."""
        return (self.folder / key) if key in self.keys() else None

    def view(self, key: str) -> IssueView | None:
        """The issue ``key`` rendered (cached until it or the settings change), or ``None``
        when ``key`` is not a previewed issue.

        Raises:
            ConfigError: ``dispatch.toml`` is broken.
        """
        path = self.path_of(key)
        if path is None:
            return None
        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size, self.generation)
        except OSError:
            stamp = (0, 0, self.generation)
        with self._lock:
            cached = self._views.get(key)
            if cached and cached[0] == stamp:
                return cached[1]
            settings = self.settings()
            view = self._render(key, path, settings)
            if view.rendered.issue is not None:
                self._last_good[key] = view
            else:
                view.stale = self._last_good.get(key)
            self._views[key] = (stamp, view)
            return view

    def views(self) -> list[IssueView]:
        """Every previewed issue rendered (newest first by date; unparsable files last)."""
        found = [v for v in (self.view(k) for k in self.keys()) if v is not None]
        dated = [v for v in found if v.rendered.issue is not None]
        dated.sort(key=lambda v: v.rendered.issue.meta.date, reverse=True)
        return dated + [v for v in found if v.rendered.issue is None]

    def _render(self, key: str, path: Path, settings: Settings) -> IssueView:
        from ..archive.feeds import feed_links
        from ..archive.tags import tag_pairs
        from ..channels.entry import content_html
        from ..channels.web import render_page

        rendered = render_in_memory(path, settings, collect=True, allow_clip=False)
        view = IssueView(key, path, rendered, settings)
        issue = rendered.issue
        if issue is None:
            return view
        view.status = status(issue, datetime.now(timezone.utc))
        try:
            view.web = render_page(issue, settings, content_html(issue, settings),
                                   feed_links(settings, tag_pairs(list(issue.meta.tags))), "/_site/style.css")
        except DispatchError as exc:
            rendered.diagnostics.append(Diagnostic.from_error(exc, "render"))
        for asset in rendered.assets:
            local = "/_asset/" + quote(asset.url_path)
            self._assets[asset.url_path] = asset.file
            absolute = urljoin(issue.permalink, asset.src)
            view.local[absolute] = local
            view.local[settings.base_url.rstrip("/") + "/" + asset.url_path] = local
            view.local[settings.base_url.rstrip("/") + "/" + quote(asset.url_path)] = local
        return view

    def asset(self, url_path: str) -> Path | None:
        """The file of a local image some rendered issue refers to, else ``None``."""
        with self._lock:
            file = self._assets.get(url_path)
        return file if file is not None and file.is_file() else None

    def stylesheet(self) -> str:
        """The archive's stylesheet, as ``build`` publishes it."""
        from ..channels.web import stylesheet

        return stylesheet(self.settings())
