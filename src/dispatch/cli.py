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


_told_defaults = False


def _defaults_notice(settings, start: Path) -> None:
    """Say once per run that no dispatch.toml was found above ``start`` and the defaults are in use."""
    global _told_defaults
    if settings.path is None and not _told_defaults:
        _told_defaults = True
        click.echo(f"dispatch: no dispatch.toml in {start.resolve()} or above; using the defaults "
                   "(site name 'Dispatch', base URL https://example.com/). 'dispatch init' writes one.", err=True)


def _fail(exc: DispatchError) -> None:
    for one in getattr(exc, "errors", None) or [exc]:  # SourceErrors: every problem of the file, a line each
        click.echo(f"dispatch: {one}" if not one.location() else str(one), err=True)
    sys.exit(2)


_PLATFORMS = tuple(PLATFORMS)


def _size(n: int) -> str:
    return f"{n:,} bytes" if n < 10_240 else f"{n / 1024:.1f} KB"


#: Commands that do one bounded piece of work and end: the command line (:mod:`dispatch.__main__`)
#: runs them with the cyclic garbage collector off and ends the process without tearing the
#: interpreter down; every other command turns the collector back on and exits as usual.
ONE_SHOT = frozenset({"render"})
#: Whether this process ran a command of :data:`ONE_SHOT` (read by :mod:`dispatch.__main__`).
ran_one_shot = False


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dispatch")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Compile a Markdown briefing into email, plain text, feeds and social threads."""
    global ran_one_shot
    if ctx.invoked_subcommand in ONE_SHOT:
        ran_one_shot = True
    else:
        import gc

        gc.enable()  # watch, preview, build, check of a folder… run long or over many issues


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
    _defaults_notice(settings, issue.parent)
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
    tables, lists) as a draft with a permanent id, as 'new' does; it renders to the same
    outputs. Lines it was unsure of are listed."""
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
    click.echo(f"note: {result.path or '-'}: written as a draft (draft: true) with the permanent id {result.id}; "
               "remove the 'draft: true' line when it is ready to publish", err=True)
    if result.path is None:
        click.echo(result.markdown, nl=False)
    else:
        click.echo(str(result.path))


@main.command()
@click.argument("folder", type=click.Path(path_type=Path), default=Path("."))
@click.option("--name", "site_name", default="", help="The newsletter's name (default: from the folder's name).")
@click.option("--url", "base_url", default="", help="Where the archive will be published (default: https://example.com/).")
@click.option("--timezone", default="", help="IANA time zone (default: this computer's).")
@click.option("--language", default="", help="BCP 47 language tag (default: from the locale).")
@click.option("--platform", "platform", type=click.Choice(_PLATFORMS), default="generic", show_default=True,
              help="The sending platform the email is prepared for.")
def init(folder: Path, site_name: str, base_url: str, timezone: str, language: str, platform: str) -> None:
    """Start a newsletter in FOLDER (default: here): a commented dispatch.toml, issues/
    with a first draft, and a .gitignore for the cache (your drafts), dist/ and public/ (an
    existing .gitignore only gets the lines it lacks). Nothing existing is overwritten."""
    from .authoring import init_newsletter

    try:
        done = init_newsletter(folder, site_name=site_name, base_url=base_url, timezone=timezone,
                               language=language, platform=platform)
    except DispatchError as exc:
        _fail(exc)
        return
    click.echo(f"created {_shorten(done.config)}  (time zone {done.timezone}, language {done.language}, "
               f"platform {platform})")
    click.echo(f"created {_shorten(done.draft)}  (your first draft)")
    ignored = done.gitignore
    if ignored is None:
        click.echo(f"warning: could not write {_shorten(folder / '.gitignore')}; keep .dispatch-cache/ (drafts), "
                   "dist/ and public/ out of git yourself", err=True)
    elif ignored.created or ignored.added:
        click.echo(f"{'created' if ignored.created else 'updated'} {_shorten(ignored.path)}  "
                   f"(git leaves out {', '.join(ignored.added)}: the cache holds your drafts)")
    draft = done.draft.relative_to(folder).as_posix()
    here = _shorten(folder)
    click.echo("\nNext:\n"
               + (f"  cd {here}\n" if here != "." else "")
               + "  1. set site_name and base_url in dispatch.toml\n"
               f"  2. dispatch preview                  # live preview in your browser while you write {draft}\n"
               "  3. dispatch check issues --strict    # every warning, for you or CI\n"
               f"  4. dispatch render {draft}\n"
               "  5. set 'draft: false', then: dispatch build issues --out public\n"
               "  (.gitignore keeps dist/, public/ and .dispatch-cache/, which holds your drafts, out of git)")


@main.command()
@click.argument("target", metavar="ISSUE.md|FOLDER", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: one JSON document on stdout (issues, diagnostics with path/line/code), for CI.")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1), for CI.")
@click.option("--links", is_flag=True, help="Also check every link (HEAD, then GET) over the network; cached for a day.")
@click.option("--link-timeout", type=click.FloatRange(0.1, 120), default=10.0, show_default=True, metavar="SECONDS",
              help="With --links: seconds to wait for a server to connect and to answer.")
@click.option("--config", "config", type=click.Path(path_type=Path), default=None,
              help="dispatch.toml to use (default: the nearest one above the target).")
def check(target: Path, fmt: str, strict: bool, links: bool, link_timeout: float, config: Path | None) -> None:
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

            check_report_links(report, settings, timeout=link_timeout)
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
@click.option("--platform", "platform", type=click.Choice(_PLATFORMS), default=None,
              help="Sending platform preset (default: dispatch.toml's platform).")
@click.option("--eml", is_flag=True, help="Also write message.eml each time.")
@click.option("--config", "config", type=click.Path(path_type=Path), default=None,
              help="dispatch.toml to use (default: the nearest one above ISSUE).")
def watch(issue: Path, out: Path, platform: str | None, eml: bool, config: Path | None) -> None:
    """Render ISSUE now and again on every save of it, dispatch.toml or layouts/, printing a
    timestamped line with the sizes that changed. Ctrl-C stops. (dispatch preview shows the
    result in a browser.)"""
    import time as _time

    from .authoring import stop_on_sigterm, watch as watch_loop
    from .config import find_config, load_settings
    from .render import render_issue

    last: dict[str, int] = {}
    told: set[str] = set()

    def stamp() -> str:
        return _time.strftime("%H:%M:%S")

    def action() -> None:
        settings = load_settings(issue.parent, config_path=config)
        report = render_issue(issue, out, settings, platform=platform, eml=eml)
        _defaults_notice(settings, issue.parent)
        changed = []
        for name, size in report.sizes.items():
            before = last.get(name)
            if before is None:
                changed.append(f"{name} {size:,} bytes")
            elif before != size:
                changed.append(f"{name} {size:,} bytes ({size - before:+,})")
        gone = sorted(set(last) - set(report.sizes))
        changed += [f"{name} removed" for name in gone]
        last.clear()
        last.update(report.sizes)
        what = "; ".join(changed) if changed else "no size changed"
        click.echo(f"{stamp()}  rendered {report.folder}/: {what}")
        for warning in report.warnings:
            if warning not in told:
                click.echo(f"warning: {warning}", err=True)
        if report.warnings and set(report.warnings) <= told:
            click.echo(f"{stamp()}  {len(report.warnings)} warning(s), as before", err=True)
        told.clear()
        told.update(report.warnings)

    if not issue.is_file():  # nothing to watch: say so and stop, as preview does
        from .errors import SourceError

        _fail(SourceError("is a folder; watch takes one issue file (dispatch preview serves a whole folder)"
                          if issue.is_dir() else "no such issue file; check the path (issues live in issues/)", issue))
    found = config or find_config(issue.parent)
    root = found.parent if found else Path.cwd()
    paths = [issue] + ([found] if found else []) + ([root / "layouts"] if (root / "layouts").is_dir() else [])
    click.echo(f"watching {', '.join(_shorten(p) for p in paths)}; writing {_shorten(out)}/<slug>/ (Ctrl-C stops)")
    stop_on_sigterm()
    try:
        watch_loop(paths, action, lambda exc: click.echo(f"{stamp()}  {exc}", err=True))
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
@click.option("--jobs", "-j", "jobs", type=click.IntRange(min=0), default=0, show_default=True, metavar="N",
              help="Worker processes that render issues (0: one per core); the output is the same for any N.")
@click.option("--strict", is_flag=True,
              help="Stop at the first issue that cannot be read, writing nothing (by default the others are built, "
                   "the broken ones stay as last published, and the run exits 2 listing them).")
@click.option("--cache", "cache", type=click.Path(path_type=Path), default=None,
              help="Cache folder (default: dispatch.toml's cache_dir, .dispatch-cache/ beside it); never inside --out.")
@click.option("--no-ping", is_flag=True, help="Do not notify [feed] hubs (WebSub) of changed feeds "
              "(never done for a --base-url preview).")
def build(issues_dir: Path, out: Path, now: str | None, config: Path | None, base_url: str | None,
          force: bool, wait: float, jobs: int, strict: bool, cache: Path | None, no_ping: bool) -> None:
    """Build the archive of ISSUES_DIR (default: issues/): feed.xml, atom.xml, feed.json,
    tag feeds, one page per issue with its local images, and an index. Drafts and future
    issues are left out; files a previous build wrote and this one does not are removed."""
    from .archive import build_archive, build_summary, describe_due, parse_now
    from .config import load_settings

    try:
        settings = load_settings(issues_dir, config_path=config)
        report = build_archive(issues_dir, out, settings, parse_now(now), base_url=base_url, force=force,
                               wait=wait, cache_dir=cache, strict=strict, jobs=jobs,
                               on_wait=lambda who: click.echo(f"waiting for the build writing {out} ({who})",
                                                              err=True))
    except DispatchError as exc:
        _fail(exc)
        return
    _defaults_notice(settings, issues_dir)
    from .gitignore import cache_git_warning, settings_cache

    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    cache_folder = settings_cache(settings, cache)
    git_warning = cache_git_warning(cache_folder)
    if git_warning:
        click.echo(f"warning: {cache_folder}: {git_warning}", err=True)
    for rel in report.changed:
        click.echo(f"changed  {out / rel}")
    for rel in report.removed:
        click.echo(f"removed  {out / rel}")
    click.echo(build_summary(report))
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
@click.option("--force", is_flag=True, help="Publish an issue edited after it went out: what changed goes out as "
              "new posts/drafts, a thread going on from its last unchanged post (what is out stays as it is; the run "
              "says exactly what it does).")
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
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if report.failed:
        sys.exit(1)


@main.command("config")
@click.option("--config", "config", type=click.Path(path_type=Path), default=None,
              help="dispatch.toml to read (default: the nearest one above the current folder).")
@click.option("--brief", is_flag=True, help="Values only, without each setting's meaning.")
@click.option("--list", "as_list", is_flag=True,
              help="List every setting, its meaning and value (TOML, one dotted key a line, the default where it differs).")
def config_cmd(config: Path | None, brief: bool, as_list: bool) -> None:
    """Print the settings in effect as TOML you can paste back into dispatch.toml (values the
    file does not set are marked '# default'), saying which file was read."""
    from .config import load_settings
    from .settings_toml import settings_reference, settings_toml

    try:
        settings = load_settings(Path.cwd(), config_path=config)
    except DispatchError as exc:
        _fail(exc)
        return
    if as_list:
        click.echo(settings_reference(settings), nl=False)
        return
    click.echo(settings_toml(settings, docs=not brief), nl=False)
    click.echo(f"dispatch: read {settings.path}" if settings.path else
               "dispatch: no dispatch.toml here or above; these are the defaults ('dispatch init' writes one)", err=True)


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
    layouts = site.root() / "layouts"
    config_file = site.config_file()
    watched = ", ".join([_shorten(site.folder) + "/"] + ([_shorten(layouts) + "/"] if layouts.is_dir() else [])
                        + ([_shorten(config_file)] if config_file else []))
    click.echo(f"dispatch preview: {server.url}  (watching {watched}; Ctrl-C stops)")
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    from .authoring import stop_on_sigterm

    stop_on_sigterm()
    server.serve_forever()


def _shorten(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


if __name__ == "__main__":  # pragma: no cover
    main()
