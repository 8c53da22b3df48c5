"""The ``dispatch`` command line: thin over the library; the only place errors become exit
codes. A :class:`~dispatch.errors.DispatchError` prints one ``path:line: message`` line to
stderr and exits 2; anything else is a bug and keeps its traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .errors import DispatchError
from .platforms import PLATFORMS


def _fail(exc: DispatchError) -> None:
    click.echo(f"dispatch: {exc}" if not exc.location() else str(exc), err=True)
    sys.exit(2)


_PLATFORMS = tuple(PLATFORMS)


def _size(n: int) -> str:
    return f"{n:,} bytes" if n < 10_240 else f"{n / 1024:.1f} KB"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dispatch")
def main() -> None:
    """Compile a Markdown briefing into email, plain text, feeds and social threads."""


@main.command()
@click.argument("issue", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("dist"),
              show_default=True, help="Output root; files go to OUT/<slug>/.")
@click.option("--config", "config", type=click.Path(path_type=Path), default=None,
              help="dispatch.toml to use (default: the nearest one above ISSUE).")
@click.option("--platform", "platform", type=click.Choice(_PLATFORMS), default=None,
              help="Sending platform preset: its merge tags and HTML form (default: dispatch.toml's platform).")
@click.option("--eml", is_flag=True, help="Also write message.eml (multipart/alternative: text, then HTML).")
@click.option("--allow-clip", is_flag=True, help="Write an email over Gmail's ~102 KB clip instead of failing.")
def render(issue: Path, out: Path, config: Path | None, platform: str | None, eml: bool, allow_clip: bool) -> None:
    """Render ISSUE (a Markdown file) to email.html, email.txt, entry.xml, thread.json/.txt."""
    from .config import load_settings
    from .render import render_issue

    try:
        settings = load_settings(issue.parent, config_path=config)
        report = render_issue(issue, out, settings, platform=platform, eml=eml, allow_clip=allow_clip)
    except DispatchError as exc:
        _fail(exc)
        return
    for name, size in report.sizes.items():
        note = report.notes.get(name)
        click.echo(f"{report.folder / name}  {note or _size(size)}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)


@main.command()
@click.argument("title")
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=Path("issues"),
              show_default=True, help="Folder to create the issue in.")
def new(title: str, folder: Path) -> None:
    """Start a new draft issue titled TITLE, with every component heading in place."""
    from .authoring import new_issue
    from .config import load_settings

    try:
        path = new_issue(title, folder, load_settings(folder if folder.exists() else Path.cwd()))
    except DispatchError as exc:
        _fail(exc)
        return
    click.echo(str(path))


@main.command("import")
@click.argument("briefing", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out", default="issues", show_default=True, metavar="DIR|FILE.md|-",
              help="Folder to write YYYY-MM-DD-<slug>.md into, a .md file, or - for standard output.")
def import_cmd(briefing: Path, out: str) -> None:
    """Write the Markdown source of the plain-text BRIEFING (front matter, '##' headings,
    tables, lists); it renders to the same outputs. Lines it was unsure of are listed."""
    from .config import load_settings
    from .structure import import_briefing

    try:
        result = import_briefing(briefing, None if out == "-" else Path(out), load_settings(briefing.parent))
    except DispatchError as exc:
        _fail(exc)
        return
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if result.path is None:
        click.echo(result.markdown, nl=False)
    else:
        click.echo(str(result.path))


@main.command()
@click.argument("target", metavar="ISSUE.md|FOLDER", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: one JSON document on stdout (issues, diagnostics with path/line/code), for CI.")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1), for CI.")
@click.option("--links", is_flag=True, help="Also check every link (HEAD, then GET) over the network; cached for a day.")
@click.option("--config", "config", type=click.Path(path_type=Path), default=None,
              help="dispatch.toml to use (default: the nearest one above the target).")
def check(target: Path, fmt: str, strict: bool, links: bool, config: Path | None) -> None:
    """Render an issue (or every issue of FOLDER) in memory, writing nothing: summarise every
    channel and report every error and warning render and build would give, all in one run.
    A folder is also checked for duplicate ids and slugs and clashing schedules.

    Exit status: 0 clean, 1 warnings with --strict, 2 errors."""
    import json

    from .authoring import check_folder, check_issue
    from .config import load_settings

    try:
        settings = load_settings(target if target.is_dir() else target.parent, config_path=config)
        report = check_folder(target, settings) if target.is_dir() else check_issue(target, settings)
        if links:
            from .links import check_report_links

            check_report_links(report, settings)
    except DispatchError as exc:
        _fail(exc)
        return
    if fmt == "json":
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        for line in report.lines:
            click.echo(line)
        for d in report.diagnostics:
            click.echo(str(d) if d.severity == "error" else f"warning: {d}", err=True)
        if report.errors or report.warnings:
            click.echo(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)", err=True)
    if report.errors:
        sys.exit(2)
    if strict and report.warnings:
        sys.exit(1)


@main.command()
@click.argument("issue", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("dist"),
              show_default=True, help="Output root; files go to OUT/<slug>/.")
def watch(issue: Path, out: Path) -> None:
    """Render ISSUE now and again on every save (of it, dispatch.toml or layouts/). Ctrl-C stops."""
    from .authoring import watch as watch_loop
    from .config import find_config, load_settings
    from .render import render_issue

    def action() -> None:
        report = render_issue(issue, out, load_settings(issue.parent))
        click.echo(f"{report.folder}: rendered {len(report.sizes)} files "
                   f"(email {report.sizes['email.html']:,} bytes)")
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)

    config = find_config(issue.parent)
    root = config.parent if config else Path.cwd()
    paths = [issue, root / "layouts"] + ([config] if config else [])
    try:
        watch_loop(paths, action, lambda exc: click.echo(str(exc), err=True))
    except KeyboardInterrupt:
        pass


@main.command("send-test")
@click.argument("issue", type=click.Path(path_type=Path))
@click.option("--to", "to", required=True, help="Address to send the test message to.")
@click.option("--config", "config", type=click.Path(path_type=Path), default=None,
              help="dispatch.toml to use (default: the nearest one above ISSUE).")
@click.option("--platform", "platform", type=click.Choice(_PLATFORMS), default=None,
              help="Platform preset whose merge tags go in (they stay unfilled in a test).")
def send_test(issue: Path, to: str, config: Path | None, platform: str | None) -> None:
    """Send ISSUE as a multipart email to ADDRESS through dispatch.toml's [smtp] server."""
    from .config import load_settings
    from .mail import send_test as send

    try:
        settings = load_settings(issue.parent, config_path=config)
        click.echo(send(issue, settings, to, platform=platform))
    except DispatchError as exc:
        _fail(exc)


@main.command()
@click.argument("issues_dir", type=click.Path(path_type=Path), default=Path("issues"))
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("public"),
              show_default=True, help="Output folder of the web archive and feeds.")
@click.option("--now", "now", default=None, metavar="ISO8601",
              help="Judge the schedule at this instant (default: the current time).")
@click.option("--config", "config", type=click.Path(path_type=Path), default=None,
              help="dispatch.toml to use (default: the nearest one above ISSUES_DIR).")
@click.option("--base-url", "base_url", default=None, metavar="URL",
              help="Use URL instead of dispatch.toml's base_url for this run, e.g. http://localhost:8000/ "
                   "to preview the archive locally (build it into its own --out).")
@click.option("--force", is_flag=True,
              help="Replace files in --out that dispatch did not write (by default they stop the build).")
@click.option("--wait", "wait", type=click.FloatRange(min=0), default=60.0, show_default=True, metavar="SECONDS",
              help="How long to wait for another build writing the same --out before stopping.")
@click.option("--strict", is_flag=True,
              help="Stop at the first issue that cannot be read, writing nothing (by default the others are built, "
                   "the broken ones stay as last published, and the run exits 2 listing them).")
@click.option("--cache", "cache", type=click.Path(path_type=Path), default=None,
              help="Cache folder (default: dispatch.toml's cache_dir, .dispatch-cache/ beside it); never inside --out.")
@click.option("--no-ping", is_flag=True, help="Do not notify [feed] hubs (WebSub) of changed feeds "
              "(never done for a --base-url preview).")
def build(issues_dir: Path, out: Path, now: str | None, config: Path | None, base_url: str | None,
          force: bool, wait: float, strict: bool, cache: Path | None, no_ping: bool) -> None:
    """Build the archive of ISSUES_DIR (default: issues/): feed.xml, atom.xml, feed.json,
    tag feeds, one page per issue with its local images, and an index. Drafts and future
    issues are left out; files a previous build wrote and this one does not are removed."""
    from .archive import build_archive, describe_due, parse_now
    from .config import load_settings

    try:
        settings = load_settings(issues_dir, config_path=config)
        report = build_archive(issues_dir, out, settings, parse_now(now), base_url=base_url, force=force,
                               wait=wait, cache_dir=cache, strict=strict,
                               on_wait=lambda who: click.echo(f"waiting for the build writing {out} ({who})",
                                                              err=True))
    except DispatchError as exc:
        _fail(exc)
        return
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for rel in report.changed:
        click.echo(f"changed  {out / rel}")
    for rel in report.removed:
        click.echo(f"removed  {out / rel}")
    broken = f", {len(report.errors)} unreadable ({len(report.kept)} kept as last published)" if report.errors else ""
    click.echo(f"{len(report.published)} published, {report.drafts} drafts, {report.parsed} parsed, "
               f"{len(report.changed)} changed, {report.unchanged} unchanged{broken} in {report.seconds:.2f} s")
    click.echo(describe_due(report))
    if not no_ping and base_url is None:
        from .publish.websub import ping_hubs

        for ping in ping_hubs(settings, report.changed):
            click.echo(ping.line(), err=bool(ping.error))
    for error in report.errors:
        click.echo(error, err=True)
    if report.errors:
        sys.exit(2)


@main.command()
@click.argument("issue", type=click.Path(path_type=Path))
@click.option("--to", "to", default=None, metavar="CHANNELS",
              help="Comma-separated [publish.<name>] channels (default: all configured).")
@click.option("--dry-run", is_flag=True, help="Print each channel's requests (method, URL, body summary); send nothing.")
@click.option("--schedule", default=None, metavar="ISO8601",
              help="Schedule the send for this time (email drafts become scheduled; channels that cannot schedule skip).")
@click.option("--force", is_flag=True, help="Publish an issue edited after it went out, as new posts/drafts "
              "(what is out stays as it is; the run says exactly what it does).")
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("dist"), show_default=True,
              help="Render output root; the state file is OUT/<slug>.publish.json.")
@click.option("--config", "config", type=click.Path(path_type=Path), default=None,
              help="dispatch.toml to use (default: the nearest one above ISSUE).")
def publish(issue: Path, to: str | None, dry_run: bool, schedule: str | None, force: bool, out: Path,
            config: Path | None) -> None:
    """Publish ISSUE to every [publish.*] channel, each post exactly once (resumable). Exit 1 if any failed."""
    from .config import load_settings
    from .publish import publish_issue

    def progress(name: str, total: int):
        from .progress import progress as bar

        return bar(total=total, desc=name, unit="post")

    try:
        settings = load_settings(issue.parent, config_path=config)
        names = [n.strip() for n in to.split(",") if n.strip()] if to else None
        report = publish_issue(issue, settings, out=out, to=names, dry_run=dry_run, force=force,
                               schedule=schedule, progress=progress)
    except DispatchError as exc:
        _fail(exc)
        return
    for outcome in report.outcomes:
        for line in outcome.lines:
            click.echo(line)
    for outcome in report.outcomes:
        click.echo(outcome.line())
    if report.failed:
        sys.exit(1)


@main.command("config")
def config_cmd() -> None:
    """List every dispatch.toml setting with its default and meaning."""
    from .config import describe

    for name, default, doc in describe():
        click.echo(f"{name} = {default}\n    {doc}")
    _channel_secrets()


def _channel_secrets() -> None:
    """The environment variables this newsletter's [publish.*] channels read: set or not."""
    import os

    from .config import channel_secrets, load_settings

    try:
        rows = channel_secrets(load_settings(Path.cwd()))
    except DispatchError:
        return
    for var, channel, doc in rows:
        click.echo(f"${var} ({'set' if os.environ.get(var) else 'not set'})\n    [publish.{channel}]: {doc}")


@main.command()
@click.argument("target", metavar="[ISSUE.md|FOLDER]", type=click.Path(path_type=Path), default=Path("issues"))
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="TCP port on 127.0.0.1 (0: a free one, printed).")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in your web browser.")
@click.option("--config", "config", type=click.Path(path_type=Path), default=None,
              help="dispatch.toml to use (default: the nearest one above the target).")
@click.option("--verbose", is_flag=True, help="Log every request.")
def preview(target: Path, port: int, open_browser: bool, config: Path | None, verbose: bool) -> None:
    """Serve a live preview of ISSUE.md, or of every issue of FOLDER (default: issues/), on
    loopback: the email at 600 and 375 px in light and dark, the plain-text part, the web page,
    each platform's thread and every warning. Pages reload by themselves when the issue,
    dispatch.toml or a layout changes. Nothing is written. Ctrl-C stops."""
    import time as _time

    from .preview import PreviewServer, PreviewSite

    try:
        site = PreviewSite(target, config_path=config)
        site.settings()
    except DispatchError as exc:
        _fail(exc)
        return

    def changed(paths: list[str]) -> None:
        names = ", ".join(_shorten(Path(p)) for p in paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        click.echo(f"{_time.strftime('%H:%M:%S')}  changed {names}; reloading open pages")

    try:
        server = PreviewServer(site, port=port, log=(lambda line: click.echo(line, err=True)) if verbose else None,
                               on_change=changed)
    except OSError as exc:
        _fail(DispatchError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}; try --port 0 for a free port"))
        return
    watched = ", ".join(_shorten(p) for group, _ in site.watch_paths() for p in group)
    click.echo(f"dispatch preview: {server.url}  (watching {watched}; Ctrl-C stops)")
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    server.serve_forever()


def _shorten(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


if __name__ == "__main__":  # pragma: no cover
    main()
