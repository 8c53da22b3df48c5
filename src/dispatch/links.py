"""``dispatch check --links``: is every link of an issue still there?

Each distinct http(s) URL is asked for with requests, concurrently (a thread pool), politely
(at most :data:`PER_HOST` requests at once to one host, :data:`HOST_INTERVAL` seconds apart),
``HEAD`` first and ``GET`` (headers only, the body is not read) when a server refuses ``HEAD``
(405, 501, or 400/403 which some servers answer to ``HEAD`` alone). Redirects are followed and
reported with their chain. A URL that answered (any status) is remembered for a day in the
user's cache folder (``platformdirs.user_cache_dir("dispatch")/links.json``; never the
published folder); one that did not answer (timeout, refused, reset) is asked again next time.

Verdicts: 2xx fine; a redirect ending in 2xx a warning (update the link); 429, a timeout or
a temporary DNS failure a warning (could not tell); any other 4xx or 5xx, or no answer at all,
broken (an error). When no link asked in a run got past DNS and routing (every one "no such
host", a temporary DNS failure or "network unreachable": the machine is offline), nothing is
broken: each of them is ``unknown`` and :func:`check_report_links` says once that the network
could not be reached (:func:`network_unreachable`). A host that does not exist is still broken
as soon as any other host of the run resolved.
"""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable
from urllib.parse import urlsplit

from .diagnostics import Diagnostic

if TYPE_CHECKING:  # pragma: no cover
    from .model import Issue

#: Seconds a checked result stays good.
CACHE_SECONDS = 24 * 3600
#: Requests in flight at once, all hosts together.
WORKERS = 8
#: Requests in flight at once to one host.
PER_HOST = 2
#: Seconds between the starts of two requests to one host.
HOST_INTERVAL = 0.2
#: Seconds to wait for a connection and for each read.
TIMEOUT = 10.0
#: Statuses after which HEAD is retried as GET (servers that do not implement HEAD properly).
HEAD_REFUSED = {400, 403, 405, 501}
#: :attr:`LinkResult.error` texts of a failure before any server was reached: the name did not
#: resolve (EAI_NONAME; also what an offline macOS or Linux resolver answers), the resolver
#: could not answer (EAI_AGAIN), or there is no route (ENETUNREACH).
NO_SUCH_HOST = "no such host (DNS)"
DNS_TRY_AGAIN = "DNS lookup failed (temporary failure in name resolution)"
NET_UNREACHABLE = "network unreachable"
UNREACHED = (NO_SUCH_HOST, DNS_TRY_AGAIN, NET_UNREACHABLE)
USER_AGENT = "dispatch-link-check/1 (+https://pypi.org/project/dispatch/)"


@dataclass
class LinkResult:
    """What one URL answered.

    Attributes:
        url: the URL as written.
        status: the final HTTP status, or ``None`` when there was no answer.
        final_url: where redirects ended (``url`` when none).
        redirects: ``[status, location]`` for each hop.
        error: why there was no answer (``"timed out after 10 s"``, ``"connection reset"``…).
        method: ``HEAD`` or ``GET`` (the one whose answer counts).
        checked_at: Unix time of the check.
        cached: read from the cache, not asked this run.
        offline: not judged: no host of the run could be reached (:func:`network_unreachable`).
    """

    url: str
    status: int | None = None
    final_url: str = ""
    redirects: list[list] = field(default_factory=list)
    error: str = ""
    method: str = "HEAD"
    checked_at: float = 0.0
    cached: bool = False
    offline: bool = False

    @property
    def verdict(self) -> str:
        """``ok``, ``redirect``, ``unknown`` (timeout, 429, a temporary DNS failure, or the
        network could not be reached) or ``broken``."""
        if self.status is None:
            unknown = self.offline or self.error.startswith("timed out") or self.error == DNS_TRY_AGAIN
            return "unknown" if unknown else "broken"
        if self.status == 429:
            return "unknown"
        if self.status >= 400:
            return "broken"
        return "redirect" if self.redirects else "ok"


@dataclass(frozen=True)
class LinkRef:
    """A link in an issue: ``url``, the ``path`` of the issue and the 1-based ``line`` it is on."""

    url: str
    path: str
    line: int


def issue_links(issue: "Issue") -> list[LinkRef]:
    """Every http(s) link and remote image of ``issue`` (lead, sections, footnotes, headings,
    Sources), in source order, one per URL."""
    from .model import Image, Link

    seen: dict[str, LinkRef] = {}

    def add(url: str) -> None:
        url = url.strip()
        if url.lower().startswith(("http://", "https://")) and url not in seen:
            seen[url] = LinkRef(url, str(issue.path), issue.source_line(url, 1))

    nodes = list(issue.walk())
    for section in issue.sections:
        nodes.extend(section.heading)
    for node in nodes:
        if isinstance(node, Link):
            add(node.href)
        elif isinstance(node, Image):
            add(node.src)
    for section in issue.components("sources"):
        for item in section.data.items:
            if item.url:
                add(item.url)
    return sorted(seen.values(), key=lambda r: r.line)


def cache_file() -> Path:
    """The link cache: ``DISPATCH_LINK_CACHE`` if set, else ``links.json`` in the user's cache
    folder (``~/.cache/dispatch`` on Linux, honouring ``XDG_CACHE_HOME``)."""
    forced = os.environ.get("DISPATCH_LINK_CACHE")
    if forced:
        return Path(forced)
    import platformdirs

    return Path(platformdirs.user_cache_dir("dispatch", appauthor=False)) / "links.json"


class LinkCache:
    """Results by URL, kept for :data:`CACHE_SECONDS`; a broken or unreadable cache file is an
    empty cache (never an error)."""

    def __init__(self, path: Path | None = None, now: float | None = None):
        self.path = path or cache_file()
        self.now = now if now is not None else time.time()
        self.entries: dict[str, dict] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                self.entries = {k: v for k, v in data.items() if isinstance(v, dict)}
        except (OSError, ValueError):
            pass

    def get(self, url: str) -> LinkResult | None:
        entry = self.entries.get(url)
        if not entry or self.now - float(entry.get("checked_at", 0)) > CACHE_SECONDS:
            return None
        try:
            return LinkResult(**{**entry, "cached": True})
        except TypeError:
            return None

    def put(self, result: LinkResult) -> None:
        if result.status is not None:  # no answer: ask again next time
            self.entries[result.url] = {**asdict(result), "cached": False}

    def save(self) -> None:
        """Write the cache atomically, dropping expired entries (errors are ignored: a cache)."""
        keep = {k: v for k, v in self.entries.items() if self.now - float(v.get("checked_at", 0)) <= CACHE_SECONDS}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(keep, indent=1, sort_keys=True), encoding="utf-8")
            tmp.replace(self.path)
        except OSError:
            pass


class _Polite:
    """Per-host limits: :data:`PER_HOST` at once, :data:`HOST_INTERVAL` between starts."""

    def __init__(self, per_host: int, interval: float):
        self.per_host = per_host
        self.interval = interval
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}
        self._next: dict[str, float] = {}

    def slot(self, host: str) -> threading.Semaphore:
        with self._lock:
            return self._slots.setdefault(host, threading.Semaphore(self.per_host))

    def wait_turn(self, host: str) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next.get(host, now))
            self._next[host] = start + self.interval
        if start > now:
            time.sleep(start - now)


def _ask(session, url: str, timeout: float, polite: _Polite) -> LinkResult:
    import requests

    host = (urlsplit(url).hostname or "").lower()
    result = LinkResult(url, final_url=url, checked_at=time.time())
    with polite.slot(host):
        for method in ("HEAD", "GET"):
            polite.wait_turn(host)
            try:
                resp = session.request(method, url, allow_redirects=True, timeout=(timeout, timeout), stream=True)
                resp.close()
            except requests.exceptions.Timeout:
                result.error = f"timed out after {timeout:g} s"
                return result
            except requests.exceptions.TooManyRedirects:
                result.error = "too many redirects (a loop?)"
                return result
            except requests.exceptions.ConnectionError as exc:
                result.error = _connection_error(exc)
                if method == "HEAD" and "reset" in result.error:
                    continue  # some servers drop HEAD; try GET once
                return result
            except requests.exceptions.RequestException as exc:
                result.error = f"request failed: {type(exc).__name__}"
                return result
            result.error = ""
            result.method = method
            result.status = resp.status_code
            result.final_url = resp.url
            result.redirects = [[r.status_code, r.headers.get("Location", "")] for r in resp.history]
            if method == "HEAD" and resp.status_code in HEAD_REFUSED:
                continue
            return result
    return result


def _connection_error(exc: Exception) -> str:
    text = str(exc).lower()
    if "reset" in text or "connection aborted" in text or "remotedisconnected" in text:
        return "connection reset by the server"
    if "temporary failure in name resolution" in text:
        return DNS_TRY_AGAIN
    if ("name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text
            or "no address associated" in text):
        return NO_SUCH_HOST
    if "network is unreachable" in text:
        return NET_UNREACHABLE
    if "refused" in text:
        return "connection refused"
    if "ssl" in text or "certificate" in text:
        return "TLS failed (certificate?)"
    return "could not connect"


def check_links(urls: Iterable[str], *, timeout: float = TIMEOUT, workers: int = WORKERS, per_host: int = PER_HOST,
                interval: float = HOST_INTERVAL, cache: LinkCache | None = None,
                progress_desc: str = "Checking links") -> dict[str, LinkResult]:
    """Check each distinct URL once (the cache first), concurrently and politely.

    Args:
        urls: absolute http(s) URLs.
        timeout: seconds for connecting and for each read.
        workers: requests in flight at once.
        per_host: requests in flight at once to one host.
        interval: seconds between request starts to one host.
        cache: where results are remembered (default: :class:`LinkCache` in the user cache
            folder); saved at the end.

    Returns:
        URL → :class:`LinkResult`, for every URL given.
    """
    import requests

    from .progress import progress

    cache = cache if cache is not None else LinkCache()
    results: dict[str, LinkResult] = {}
    todo = []
    for url in dict.fromkeys(urls):
        hit = cache.get(url)
        if hit is not None:
            results[url] = hit
        else:
            todo.append(url)
    polite = _Polite(per_host, interval)
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    adapter = requests.adapters.HTTPAdapter(pool_connections=workers, pool_maxsize=workers * 2, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool, \
                progress(total=len(todo), desc=progress_desc, unit="link") as bar:
            futures = {pool.submit(_ask, session, url, timeout, polite): url for url in todo}
            for future in as_completed(futures):
                result = future.result()
                results[result.url] = result
                cache.put(result)
                bar.update()
    finally:
        session.close()
        cache.save()
    if network_unreachable(results.values()):
        for result in results.values():
            result.offline = not result.cached
    return results


def network_unreachable(results: Iterable[LinkResult]) -> bool:
    """Whether the machine could not reach the network this run: at least one URL was asked
    (not read from the cache) and every one asked failed before reaching a server (an
    :data:`UNREACHED` error: no name resolved, no route). One host answering, or failing
    later (refused, reset, timed out, TLS), shows the network works."""
    asked = [r for r in results if not r.cached]
    return bool(asked) and all(r.status is None and r.error in UNREACHED for r in asked)


def link_diagnostics(refs: Iterable[LinkRef], results: dict[str, LinkResult]) -> list[Diagnostic]:
    """One diagnostic per link that is not plainly fine, at the link's line: ``broken-link``
    (error), ``link-redirect`` and ``link-unknown`` (warnings)."""
    out = []
    for ref in refs:
        r = results.get(ref.url)
        if r is None or r.verdict == "ok" or r.offline:  # offline: one line for the run (check_report_links)
            continue
        if r.verdict == "broken":
            why = f"HTTP {r.status}" if r.status is not None else r.error
            out.append(Diagnostic("error", "broken-link", f"broken link {ref.url} ({why}{_via(r)}); fix or remove it",
                                  ref.path, ref.line))
        elif r.verdict == "redirect":
            chain = " → ".join(f"{code}" for code, _ in r.redirects)
            out.append(Diagnostic("warning", "link-redirect",
                                  f"{ref.url} redirects ({chain}) to {r.final_url}; link there directly", ref.path,
                                  ref.line))
        else:
            why = "HTTP 429, the server asked us to slow down" if r.status == 429 else r.error
            out.append(Diagnostic("warning", "link-unknown", f"could not check {ref.url} ({why}); try again later",
                                  ref.path, ref.line))
    return out


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _via(r: LinkResult) -> str:
    return f" after redirects to {r.final_url}" if r.redirects else ""


def check_report_links(report, settings, *, timeout: float = TIMEOUT, cache: LinkCache | None = None) -> dict:
    """Check the links of every issue a :class:`~dispatch.authoring.CheckReport` covers and add
    their diagnostics to it (and a ``links`` summary to each issue's JSON).

    Returns:
        URL → :class:`LinkResult`.
    """
    from .errors import DispatchError
    from .parse import parse_issue

    refs: list[LinkRef] = []
    per_issue: dict[str, list[LinkRef]] = {}
    for summary in report.issues:
        if "title" not in summary:
            continue  # did not parse: already an error
        try:
            issue = parse_issue(Path(summary["path"]), settings)
        except DispatchError:
            continue
        found = issue_links(issue)
        per_issue[summary["path"]] = found
        refs.extend(found)
    results = check_links([r.url for r in refs], timeout=timeout, cache=cache)
    unreached = [r for r in results.values() if r.offline]
    if unreached:
        first = next(results[ref.url] for ref in refs if results[ref.url].offline)  # in source order
        report.diagnostics.append(Diagnostic(
            "warning", "network-unreachable",
            f"could not reach the network (e.g. {urlsplit(first.url).hostname}: {first.error}): "
            f"{_plural(len(unreached), 'link')} not checked, reported as unknown; run 'dispatch check --links' "
            "again when online"))
    report.diagnostics.extend(link_diagnostics(refs, results))
    for summary in report.issues:
        found = per_issue.get(summary["path"], [])
        verdicts = [results[r.url].verdict for r in found if r.url in results]
        summary["links"] = {v: verdicts.count(v) for v in ("ok", "redirect", "unknown", "broken")}
        summary["links"]["cached"] = sum(1 for r in found if results.get(r.url) and results[r.url].cached)
        broken = sum(1 for v in verdicts if v == "broken")
        report.lines.append(f"{summary['path']}: {_plural(len(found), 'link')}: {verdicts.count('ok')} fine, "
                            f"{verdicts.count('redirect')} redirected, {verdicts.count('unknown')} unknown, "
                            f"{broken} broken")
    return results
