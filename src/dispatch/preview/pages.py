"""The preview's own pages: the index of issues and one page per issue (email at 600 and
375 px in light and dark, plain-text part, web page, each platform's thread, warnings).

Everything the writer wrote is HTML-escaped here; the rendered email and web page are shown in
``<iframe>`` elements served by the same server, never pasted into these pages.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import quote, urlsplit

from ..diagnostics import Diagnostic
from ..errors import DispatchError
from ..i18n import long_date
from ..textutil import slugify, width
from .model import IssueView, PreviewSite

#: Gmail clips a body over this many bytes (channels.email.GMAIL_CLIP_BYTES).
from ..channels.email import GMAIL_CLIP_BYTES, preheader

_URL = re.compile(r"https?://[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]|(?<![\w/])(?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s<>\"')\]]*[^\s<>\"')\].,;:!?]")
_TAG = re.compile(r"(?<![\w@/])([@#][\w.]+\w)")


def e(value: object) -> str:
    """HTML-escape ``value`` (quotes too)."""
    return html.escape(str(value), quote=True)


def _head(title: str, version: int) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} · dispatch preview</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Cpath d='M8 1l7 7-7 7-7-7z' fill='%234f46e5'/%3E%3C/svg%3E">
<link rel="stylesheet" href="/_preview/preview.css">
<script src="/_preview/preview.js" defer></script>
</head>
<body data-version="{version}">
"""


def _topbar(site_name: str, crumb: str = "", right: str = "") -> str:
    crumbs = f'<a href="/">{e(site_name)}</a>' + (f'<span class="sep">/</span><strong>{e(crumb)}</strong>' if crumb else "")
    return f"""<header class="topbar">
  <a class="brand" href="/"><span class="logo" aria-hidden="true">◆</span>dispatch <span class="brand-sub">preview</span></a>
  <nav class="crumbs">{crumbs}</nav>
  <div class="topbar-right">{right}<span class="live" id="live" title="Reloads by itself when you save">
    <span class="dot"></span><span class="live-text">Live</span></span></div>
</header>
"""


def _site_name(site: PreviewSite) -> str:
    try:
        return site.settings().site_name
    except DispatchError:
        return site.folder.name or "newsletter"


def _status_pill(state: str) -> str:
    return f'<span class="pill status-{e(state or "error")}">{e(state or "does not parse")}</span>'


def _count_badge(n: int, kind: str) -> str:
    if not n:
        return f'<span class="badge badge-ok">0 {kind}s</span>'
    return f'<span class="badge badge-{kind}">{n} {kind}{"" if n == 1 else "s"}</span>'


def _where(d: Diagnostic) -> str:
    if not d.path:
        return ""
    return f"{d.path}:{d.line}" if d.line else d.path


def _excerpt(d: Diagnostic) -> str:
    """A few source lines around an error's line, the line itself marked."""
    if not d.path or not d.line:
        return ""
    try:
        lines = Path(d.path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    start, end = max(1, d.line - 2), min(len(lines), d.line + 2)
    rows = "".join(
        f'<span class="src-line{" hit" if n == d.line else ""}"><span class="ln">{n}</span>{e(lines[n - 1]) or " "}</span>'
        for n in range(start, end + 1))
    return f'<pre class="excerpt">{rows}</pre>' if rows else ""


def _errors_banner(errors: list[Diagnostic]) -> str:
    if not errors:
        return ""
    items = "".join(
        f'<li><code class="loc">{e(_where(d))}</code><span class="msg">{e(d.message)}</span>{_excerpt(d)}</li>'
        for d in errors)
    noun = "1 error" if len(errors) == 1 else f"{len(errors)} errors"
    return f"""<section class="errors" id="errors" role="alert">
  <h2><span class="icon">!</span>This issue does not render: {noun}</h2>
  <ul>{items}</ul>
  <p class="hint">Fix the file and save: this page reloads by itself.</p>
</section>
"""


# --- the index ----------------------------------------------------------------------------

def index_page(site: PreviewSite, version: int) -> str:
    """Every issue of the folder, newest first: date, title, status, warnings, errors."""
    views = site.views()
    settings = site.settings()
    rows = []
    for v in views:
        issue = v.rendered.issue
        date = long_date(issue.meta.date, settings.tz, issue.meta.lang) if issue else "—"  # the email's dateline
        size = f"{v.rendered.email.bytes / 1024:.1f} KB" if v.rendered.email else "—"
        rows.append(f"""<tr>
  <td class="date">{e(date)}</td>
  <td class="title"><a href="/issue/{quote(v.key)}">{e(v.title)}</a><div class="file">{e(v.key)}</div></td>
  <td>{_status_pill(v.status)}</td>
  <td class="num">{_count_badge(len(v.warnings), "warning")}</td>
  <td class="num">{_count_badge(len(v.errors), "error") if v.errors else ""}</td>
  <td class="num size">{e(size)}</td>
</tr>""")
    counts = {s: sum(1 for v in views if v.status == s) for s in ("published", "scheduled", "draft")}
    config = site.config_file()
    source = f"settings from {config}" if config else "no dispatch.toml: defaults in use (dispatch init creates one)"
    body = "\n".join(rows) or '<tr><td colspan="6" class="empty">No issues yet. Start one with <code>dispatch new "Title"</code>.</td></tr>'
    skipped = "".join(f'<li><code>{e(path.relative_to(site.folder).as_posix())}</code>: {e(reason)}</li>'
                      for path, reason in site.scan().skipped)
    skipped = f'<section class="skipped"><h2>Not issues</h2><ul>{skipped}</ul></section>\n' if skipped else ""
    return _head("Issues", version) + _topbar(settings.site_name) + f"""<main class="page">
<section class="hero">
  <h1>Issues</h1>
  <p class="sub">{e(site.folder)} · {len(views)} issue{"" if len(views) == 1 else "s"} ·
    {counts["published"]} published · {counts["scheduled"]} scheduled · {counts["draft"]} draft{"" if counts["draft"] == 1 else "s"}</p>
  <p class="sub small">{e(source)}</p>
</section>
<table class="issues">
<thead><tr><th>Date</th><th>Issue</th><th>Status</th><th class="num">Warnings</th><th class="num">Errors</th><th class="num">Email</th></tr></thead>
<tbody>
{body}
</tbody>
</table>
{skipped}</main>
</body>
</html>
"""


# --- one issue ----------------------------------------------------------------------------

def issue_page(site: PreviewSite, view: IssueView, version: int) -> str:
    """One issue: summary, errors (with ``path:line`` and the source around it), and tabs for
    the email, the plain-text part, the web page, the threads and the warnings."""
    settings = view.settings
    r = view.rendered
    issue = r.issue
    key = quote(view.key)
    right = _status_pill(view.status) + " " + (_count_badge(len(view.errors), "error") if view.errors
                                               else _count_badge(len(view.warnings), "warning"))
    out = [_head(view.title, version), _topbar(settings.site_name, view.title, right), '<main class="page">']
    if issue is not None:
        date = long_date(issue.meta.date, settings.tz, issue.meta.lang)  # the email's dateline
        out.append(f"""<section class="hero">
  <h1 id="issue-title">{e(issue.meta.title)}</h1>
  <p class="sub">{e(date)} · {e(issue.meta.date.strftime("%H:%M %Z"))} · <code>{e(view.key)}</code> ·
    <a href="{e(issue.permalink)}" class="permalink" rel="noreferrer">{e(issue.permalink)}</a></p>
  {_stats(view)}
</section>""")
    else:
        out.append(f'<section class="hero"><h1 id="issue-title">{e(view.key)}</h1></section>')
    out.append(_errors_banner(view.errors))
    if issue is None:
        if view.stale is None:
            out.append("</main></body></html>")
            return "\n".join(out)
        out.append('<p class="stale-note">Below: the last version of this issue that rendered, until the '
                   "file is fixed.</p>")
        view = view.stale
        r, issue, key = view.rendered, view.rendered.issue, quote(view.key)
        out.append('<div class="stale">')
    threads = r.threads or []
    tabs = [("email", "Email"), ("text", "Plain text"), ("web", "Web page"),
            ("threads", f"Threads <span class='tab-n'>{len(threads)}</span>"),
            ("warnings", f"Warnings <span class='tab-n{' warn' if view.warnings else ''}'>{len(view.warnings)}</span>")]
    out.append('<nav class="tabs" role="tablist">' + "".join(
        f'<a href="#{t}" class="tab" role="tab" data-tab="{t}">{label}</a>' for t, label in tabs) + "</nav>")
    out.append(_email_panel(view, key))
    out.append(_text_panel(view))
    out.append(f"""<section class="panel" id="panel-web" data-panel="web">
  <div class="panel-head"><h2>Web page</h2><p>As <code>dispatch build</code> publishes it at
    <code>{e(urlsplit(issue.permalink).path)}</code>, with the archive's stylesheet.</p></div>
  <div class="browser"><div class="browser-bar"><span></span><span></span><span></span>
    <div class="address">{e(issue.permalink)}</div></div>
    <iframe class="autosize" title="Web page" src="/issue/{key}/web"></iframe></div>
</section>""")
    out.append(_threads_panel(view, threads))
    out.append(_warnings_panel(view))
    out.append("</div>" if '<div class="stale">' in out else "")
    out.append("</main>\n</body>\n</html>\n")
    return "\n".join(out)


def _stats(view: IssueView) -> str:
    r = view.rendered
    chips = []
    if r.email is not None:
        pct = r.email.bytes * 100 / GMAIL_CLIP_BYTES
        level = "bad" if pct > 100 else "warn" if pct > 88 else "ok"
        chips.append(f"""<div class="stat"><div class="stat-label">Email</div>
  <div class="stat-value">{r.email.bytes / 1024:.1f} KB</div>
  <div class="meter {level}" title="{r.email.bytes:,} bytes of Gmail's {GMAIL_CLIP_BYTES:,}-byte clip"><span style="width:{min(pct, 100):.1f}%"></span></div>
  <div class="stat-note">{pct:.0f}% of Gmail's clip · {e(r.email.platform.name)}</div></div>""")
    if r.text is not None:
        lines = r.text.text.splitlines()
        wide = sum(1 for line in lines if width(line) > 78)
        chips.append(f"""<div class="stat"><div class="stat-label">Plain text</div>
  <div class="stat-value">{len(lines)} lines</div><div class="stat-note">{wide or "none"} over 78 columns</div></div>""")
    for t in r.threads or []:
        longest = max(p.length for p in t.posts)
        chips.append(f"""<div class="stat"><div class="stat-label">{e(t.label)}</div>
  <div class="stat-value">{len(t.posts)} post{"" if len(t.posts) == 1 else "s"}</div>
  <div class="stat-note">longest {longest}/{t.limit} {e(t.unit)}</div></div>""")
    return '<div class="stats">' + "".join(chips) + "</div>"


def _email_panel(view: IssueView, key: str) -> str:
    r = view.rendered
    settings = view.settings
    issue = r.issue
    sender = f"{settings.site_name} <{settings.email}>" if settings.email else settings.site_name
    frames = []
    for scheme in ("light", "dark"):
        for w, label in ((600, "Desktop"), (375, "Phone")):
            frames.append(f"""<figure class="device device-{w} scheme-{scheme}">
  <figcaption><span class="dev">{label}</span> {w} px · {scheme.title()}</figcaption>
  <iframe class="autosize email-frame" title="Email, {w} px, {scheme}" width="{w}" style="width:{w}px"
    src="/issue/{key}/email?scheme={scheme}&amp;w={w}"></iframe>
</figure>""")
    return f"""<section class="panel" id="panel-email" data-panel="email">
  <div class="inbox">
    <div class="inbox-avatar">{e(_initials(settings.site_name))}</div>
    <div class="inbox-lines">
      <div class="inbox-from">{e(sender)}</div>
      <div class="inbox-subject">{e(issue.meta.title)}</div>
      <div class="inbox-preheader">{e(preheader(issue))}</div>
    </div>
    <div class="inbox-note">How the inbox lists it: sender, subject, preheader</div>
  </div>
  <div class="devices">{"".join(frames)}</div>
</section>"""


def _text_panel(view: IssueView) -> str:
    text = view.rendered.text.text if view.rendered.text else ""
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        cls = " wide" if width(line) > 78 else ""
        rows.append(f'<span class="tl{cls}"><span class="ln">{n}</span>{e(line) or " "}</span>')
    return f"""<section class="panel" id="panel-text" data-panel="text">
  <div class="panel-head"><h2>Plain-text part</h2><p>The <code>text/plain</code> alternative, ≤ 78 columns
    (RFC 5322 §2.1.1); the guide marks column 78, lines past it are highlighted.</p></div>
  <pre class="plain">{"".join(rows)}</pre>
</section>"""


def _initials(name: str) -> str:
    words = [w for w in re.split(r"\W+", name) if w and w.lower() not in ("the", "a")]
    return ("".join(w[0] for w in words[:2]) or "D").upper()


def _linkify(text: str) -> str:
    out, last = [], 0
    for m in _URL.finditer(text):
        out.append(_tags(text[last:m.start()]))
        out.append(f'<span class="link">{e(m.group(0))}</span>')
        last = m.end()
    out.append(_tags(text[last:]))
    return "".join(out)


def _tags(text: str) -> str:
    out, last = [], 0
    for m in _TAG.finditer(text):
        out += [e(text[last:m.start()]), f'<span class="link">{e(m.group(1))}</span>']
        last = m.end()
    return "".join(out) + e(text[last:])


def _threads_panel(view: IssueView, threads) -> str:
    settings = view.settings
    handle = slugify(settings.site_name).replace("-", "") or "newsletter"
    host = urlsplit(settings.base_url).hostname or "example.com"
    columns = []
    for t in threads:
        posts = []
        n = len(t.posts)
        for i, p in enumerate(t.posts, 1):
            pct = p.length * 100 / t.limit
            level = "bad" if p.length > t.limit else "warn" if pct > 90 else "ok"
            who = {"x": f"@{handle}", "bluesky": f"@{handle}.bsky.social", "mastodon": f"@{handle}@{host}",
                   "threads": f"@{handle}", "linkedin": settings.site_name}.get(t.platform, f"@{handle}")
            card = ""
            if p.embed:
                ext = p.embed.get("external", {})
                card = f"""<div class="card"><div class="card-body"><div class="card-host">{e(urlsplit(ext.get("uri", "")).hostname or "")}</div>
  <div class="card-title">{e(ext.get("title", ""))}</div><div class="card-desc">{e(ext.get("description", ""))}</div></div></div>"""
            extra = f" · {p.bytes:,} bytes" if t.platform == "bluesky" else ""
            posts.append(f"""<article class="post">
  <div class="post-side"><div class="avatar">{e(_initials(settings.site_name))}</div>{'<div class="rail"></div>' if i < n else ""}</div>
  <div class="post-main">
    <header><b>{e(settings.site_name)}</b> <span class="handle">{e(who)}</span></header>
    <div class="post-text">{_linkify(p.text)}</div>
    {card}
    <footer><span class="count {level}" title="{p.length} of {t.limit} {e(t.unit)}">
      <svg viewBox="0 0 20 20" aria-hidden="true"><circle cx="10" cy="10" r="8" class="ring-bg"/>
      <circle cx="10" cy="10" r="8" class="ring" style="stroke-dasharray:{min(pct, 100) * 0.5027:.2f} 50.27"/></svg>
      {p.length}/{t.limit}</span><span class="post-n">post {i} of {n}{extra}</span></footer>
  </div>
</article>""")
        columns.append(f"""<div class="thread thread-{e(t.platform)}">
  <div class="thread-head"><span class="platform-mark"></span><h3>{e(t.label)}</h3>
    <span class="thread-meta">{n} post{"" if n == 1 else "s"} · limit {t.limit} {e(t.unit)}</span></div>
  {"".join(posts)}
</div>""")
    body = "".join(columns) or '<p class="empty">No thread platforms configured ([thread] platforms).</p>'
    return f"""<section class="panel" id="panel-threads" data-panel="threads">
  <div class="panel-head"><h2>Threads</h2><p>Each post as the platform shows it, measured by that platform's own
    counter; the ring fills toward the limit.</p></div>
  <div class="threads">{body}</div>
</section>"""


def _warnings_panel(view: IssueView) -> str:
    items = view.errors + view.warnings
    rows = "".join(
        f"""<tr class="sev-{e(d.severity)}"><td><span class="sev">{e(d.severity)}</span></td>
  <td><code class="code">{e(d.code)}</code></td><td><code class="loc">{e(_where(d))}</code></td><td>{e(d.message)}</td></tr>"""
        for d in items)
    body = (f'<table class="diagnostics"><thead><tr><th>Severity</th><th>Rule</th><th>Where</th><th>What to do</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>") if rows else '<p class="empty good">Nothing to fix. ✓</p>'
    return f"""<section class="panel" id="panel-warnings" data-panel="warnings">
  <div class="panel-head"><h2>Warnings</h2><p>The same list <code>dispatch check</code> prints
    (<code>--format json</code> for CI).</p></div>
  {body}
</section>"""


# --- problems outside one issue -------------------------------------------------------------

def error_page(site: PreviewSite, exc: DispatchError) -> str:
    """A page for an error no single issue owns (a broken ``dispatch.toml`` or layout)."""
    d = Diagnostic.from_error(exc)
    return (_head("Error", 0) + _topbar(site.folder.name or "newsletter") + '<main class="page">'
            + _errors_banner([d]).replace("This issue does not render", "The preview cannot render")
            + "</main></body></html>")


def crash_page(trace: str) -> str:
    """A page for a bug in dispatch (a traceback to report); the server keeps serving."""
    return (_head("Internal error", 0) + _topbar("dispatch") + '<main class="page"><section class="errors">'
            "<h2><span class='icon'>!</span>dispatch hit a bug rendering this page</h2>"
            f"<pre class='excerpt'>{e(trace)}</pre><p class='hint'>Please report it with this traceback.</p>"
            "</section></main></body></html>")


def not_found(site: PreviewSite, route: str) -> str:
    return (_head("Not found", 0) + _topbar(_site_name(site)) + '<main class="page"><section class="hero">'
            f"<h1>Not found</h1><p class='sub'>{e(route)} is not an issue being previewed. "
            "<a href='/'>All issues</a></p></section></main></body></html>")
