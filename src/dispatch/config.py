"""Settings from ``dispatch.toml``: typed, with defaults, one docstring per option.

``dispatch.toml`` is optional. It is looked for in the issue file's folder and then in each
parent folder; the folder it is found in is the newsletter's *root* (where ``layouts/`` is
looked up, and the only folder images are read from). Without one, the issue folder's parent
is the root and every default applies.

Example::

    site_name = "The Briefing"
    base_url = "https://briefing.example.nz/"
    author = "Aroha Smith"
    timezone = "Pacific/Auckland"
    language = "en-NZ"
    platform = "mailchimp"              # sending platform preset (dispatch.platforms)

    [thread]
    platforms = ["x", "bluesky", "mastodon"]
    faq_posts = true
    limits = { mastodon = 5000 }

    [components.aliases]
    bottom_line = ["TL;DR", "In short"]

    [links]
    params = { utm_source = "briefing", utm_medium = "email", utm_campaign = "{slug}" }

    [smtp]                              # for `dispatch send-test`
    host = "smtp.example.nz"
    port = 587
    user = "briefing@example.nz"
    password_env = "DISPATCH_SMTP_PASSWORD"

    [feed]                              # for `dispatch build`
    limit = 20
    hubs = ["https://pubsubhubbub.appspot.com/"]   # WebSub hubs pinged after a build

    [publish.masto]                     # a channel for `dispatch publish` (dispatch.publish)
    kind = "mastodon"
    endpoint = "https://mastodon.social/"
    account = "@briefing"               # token: $DISPATCH_MASTO_TOKEN

    [limits]                            # bounds per issue (LimitSettings)
    issue_bytes = 1048576

Unknown keys are an error (a typo would otherwise be ignored silently).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError
from .memo import LRU

CONFIG_NAME = "dispatch.toml"
DEFAULT_BASE_URL = "https://example.com/"


def _doc(default: Any, doc: str, **kw: Any) -> Any:
    """A dataclass field carrying its documentation (shown by ``dispatch config``)."""
    if isinstance(default, (list, dict, set)):
        return field(default_factory=lambda: type(default)(default), metadata={"doc": doc, **kw})
    return field(default=default, metadata={"doc": doc, **kw})


@dataclass(frozen=True)
class ThreadSettings:
    """The ``[thread]`` table: how the social thread is cut."""

    platforms: tuple[str, ...] = _doc(
        ("x", "bluesky", "mastodon"),
        "Platforms to cut a thread for, in order. Known: x, bluesky, mastodon, threads, linkedin.",
    )
    limits: Mapping[str, int] = _doc(
        {},
        "Per-platform post limit overrides, in the platform's own unit "
        "(e.g. { mastodon = 5000 } for a server with a higher limit).",
    )
    faq_posts: bool = _doc(True, "Give each FAQ question a post of its own.")
    counter: bool = _doc(True, 'Number the posts "i/N" (counted within each limit).')


@dataclass(frozen=True)
class ComponentSettings:
    """The ``[components]`` table."""

    aliases: Mapping[str, tuple[str, ...]] = _doc(
        {},
        "Extra headings recognised as a component, by component name "
        "(bottom_line, answer_first, faq, numbers, lens, my_take, sources, recap). Emoji, punctuation and case "
        "are ignored.",
    )


@dataclass(frozen=True)
class LinkSettings:
    """The ``[links]`` table: what is added to the email's web links."""

    params: Mapping[str, str] = _doc(
        {},
        "URL query parameters added to every http(s) link in the email, e.g. "
        '{ utm_source = "briefing", utm_medium = "email", utm_campaign = "{slug}" } '
        "({slug} and {date} are filled in per issue). Never added to merge-tag links, mailto: "
        "or in-page anchors; a parameter the link already has is kept as written.",
    )


@dataclass(frozen=True)
class SmtpSettings:
    """The ``[smtp]`` table: the server ``dispatch send-test`` sends through."""

    host: str = _doc("", "SMTP server host name (required by send-test; e.g. localhost for a local relay).")
    port: int = _doc(587, "SMTP server port (587 submission with STARTTLS; 25 plain; 465 is not supported).")
    user: str = _doc("", "User name to log in with; empty: send without logging in.")
    password_env: str = _doc(
        "DISPATCH_SMTP_PASSWORD",
        "Name of the environment variable holding the SMTP password (never put it in dispatch.toml).",
    )
    starttls: bool = _doc(
        True, "Upgrade to TLS with STARTTLS when the server offers it (RFC 3207); a login is refused without TLS."
    )


@dataclass(frozen=True)
class BrandSettings:
    """The ``[brand]`` table: the newsletter's look, used by the email and the web pages.
    Every key is optional; without them the default layout shows the site name as text."""

    logo: str = _doc("", "Logo image: an absolute URL, or a path on the site (relative to base_url, e.g. "
                         "brand/logo.png); a file at that path beside dispatch.toml gives its height. "
                         "Shown above the site name in the email and on the web pages.")
    logo_width: int = _doc(160, "Logo width in CSS pixels (the email writes it as the width attribute Outlook needs).")
    logo_alt: str = _doc("", "The logo's alt text; empty: the site name.")
    color: str = _doc("", "Brand colour as #rrggbb: links, badges and accents (checked for contrast on white); "
                          "empty: the layout's blue.")
    header_image: str = _doc("", "Image shown across the top of every issue's email and page (a URL or a site path, "
                                 "as for logo); an issue's own front-matter 'image' wins.")
    footer_text: str = _doc("", "A line shown in the footer of the email and the web pages (e.g. who sends it and why).")


@dataclass(frozen=True)
class SourceSettings:
    """The ``[source]`` table: how issue files are read."""

    format: str = _doc(
        "auto",
        "How an issue file is read: auto (a plain-text briefing, e.g. a .txt file with no '#' headings, is "
        "recognised by its shape; docs/plain-text.md), markdown (always Markdown) or plain (every file "
        "without ---/+++ front matter is a plain-text briefing).",
    )
    strict: bool = _doc(
        False,
        "Missing metadata is an error instead of a warning: no title (else taken from the file name) or no "
        "date (else taken from the file's last git commit or its modification time).",
    )


@dataclass(frozen=True)
class FeedSettings:
    """The ``[feed]`` table: what ``dispatch build`` puts in the feeds (RSS 2.0, Atom, JSON Feed)."""

    limit: int = _doc(
        20,
        "Most entries per feed (feed.xml, atom.xml, feed.json and each tag's feed), newest first; "
        "the web archive's index page always lists every published issue.",
    )
    hubs: tuple[str, ...] = _doc(
        (),
        "WebSub hub URLs (W3C WebSub): the feeds advertise them with rel=\"hub\" links and "
        "`dispatch build` pings each one when a feed changed, so readers update at once.",
    )
    author_email: str = _doc(
        "",
        "An email address to publish as the author's in the feeds (Atom <author><email>, RSS "
        "<author>), in entry.xml, atom.xml, feed.xml and every tag feed: public, opt-in. Empty: the "
        "feeds name the author without an address (the sender address 'email' is never used).",
    )


@dataclass(frozen=True)
class PublishChannelSettings:
    """One ``[publish.<name>]`` table: a channel ``dispatch publish`` sends to.

    ``name`` is the table's name (``[publish.masto]`` → ``masto``); secrets never appear here:
    each kind reads them from ``DISPATCH_<NAME>_<SECRET>`` (:func:`secret_env`).
    """

    kind: str = _doc("", "The platform module: webhook, mastodon, bluesky (and the email kinds).")
    endpoint: str = _doc("", "The server's base URL (https://mastodon.social/, https://bsky.social/, the webhook URL).")
    account: str = _doc("", "The account posted as (@user, a Bluesky handle or DID); empty where the kind needs none.")
    options: Mapping[str, Any] = _doc({}, "Kind-specific options (e.g. visibility for mastodon).")
    name: str = field(default="", metadata={"internal": True})


def secret_env(channel: str, secret: str) -> str:
    """The environment variable holding ``secret`` (e.g. ``TOKEN``) for channel ``channel``:
    ``DISPATCH_<CHANNEL>_<SECRET>``, the channel name upper-cased with every other character
    than A-Z and 0-9 made ``_`` (``[publish.my-masto]`` → ``DISPATCH_MY_MASTO_TOKEN``)."""
    return "DISPATCH_" + re.sub(r"[^A-Z0-9]", "_", channel.upper()) + "_" + secret


@dataclass(frozen=True)
class LimitSettings:
    """The ``[limits]`` table: bounds on the work one issue may cause, so that no input hangs
    or exhausts memory. Each limit that is passed stops that issue with one ``path:line``
    message naming the setting."""

    issue_bytes: int = _doc(1_048_576, "Largest issue file read, in bytes (1 MiB).")
    nesting: int = _doc(40, "Deepest nesting of block quotes and lists, in levels.")
    grapheme_chars: int = _doc(
        100,
        "Longest grapheme (one user-perceived character, UAX #29) accepted, in code points: the "
        "longest emoji sequences have about 10; more is stray combining marks or joiners.",
    )
    markdown_seconds: float = _doc(
        5.0, "Time budget for reading one issue's Markdown, in seconds (Python-Markdown is quadratic on some inputs)."
    )


@dataclass(frozen=True)
class Settings:
    """Everything a render needs to know about the newsletter, with defaults.

    Attributes not read from the file: ``root`` (the newsletter folder) and ``path`` (the
    ``dispatch.toml`` read, or ``None``).
    """

    site_name: str = _doc("Dispatch", "The newsletter's name, shown in the email header and feeds.")
    base_url: str = _doc(
        DEFAULT_BASE_URL,
        "Absolute URL the web archive is published at; an issue's permalink is base_url + slug + '/'.",
    )
    author: str = _doc("", "Default author name for issues without an 'author' key.")
    email: str = _doc("", "The sender address: From: of message.eml and `dispatch send-test`. Private: never "
                          "written into a feed or page (a public feed author address is [feed] author_email).")
    timezone: str = _doc("UTC", "IANA time zone for dates written without one (e.g. Pacific/Auckland).")
    language: str = _doc("en", "Default BCP 47 language tag for issues without a 'lang' key.")
    layout: str = _doc("default", "Layout folder name under layouts/ (yours first, then the built-in one).")
    cache_dir: str = _doc(
        ".dispatch-cache",
        "Folder of `dispatch build`'s cache, relative to this file (it holds drafts: never inside the "
        "published folder); keep it between CI runs to skip unchanged issues.",
    )
    platform: str = _doc(
        "generic",
        "Sending platform the email is prepared for: generic, mailchimp, buttondown, listmonk, ghost "
        "or substack (its unsubscribe/view-online merge tags and HTML form; `render --platform` wins).",
    )
    unsubscribe_url: str = _doc(
        "", "Unsubscribe link (URL or your tool's merge tag) for the generic platform; empty: no link."
    )
    subscribe_url: str = _doc(
        "", "The page where readers subscribe (an absolute http(s) URL), linked from every web page; empty: "
            "the public page of the first [publish.*] channel that has one (buttondown with account = your "
            "username, ghost, listmonk), else no subscribe link."
    )
    postal_address: str = _doc(
        "", "The sender's postal address, shown in every email footer (required of commercial email by "
            "CAN-SPAM, 15 U.S.C. 7704(a)(5); NZ's Unsolicited Electronic Messages Act 2007 asks for accurate "
            "sender details)."
    )
    test_subject_prefix: str = _doc("[TEST] ", "Put before the subject of a `dispatch send-test` message.")
    retina_images: bool = _doc(
        False, "Send local images wider than twice the email column (1088 px) as a copy resized to 1088 px "
               "wide (sharp on 2x screens, fewer bytes), which `build` publishes beside the page; the originals "
               "are kept and used by the web pages."
    )
    remote_image_width: int = _doc(
        544, "Width in px given to a remote image whose size is not written in the issue "
             "(width=/height= attributes or ![alt](url){width=300}); 544 is the email column."
    )
    labels: Mapping[str, str] = _doc(
        {}, "Overrides for the layout's fixed words (view_online, unsubscribe, lens, faq_mark, links, notes…), "
            "e.g. { view_online = \"Read it on the web\" }; the layout's labels.toml holds them per language."
    )
    brand: BrandSettings = field(default_factory=BrandSettings)
    links: LinkSettings = field(default_factory=LinkSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    thread: ThreadSettings = field(default_factory=ThreadSettings)
    components: ComponentSettings = field(default_factory=ComponentSettings)
    feed: FeedSettings = field(default_factory=FeedSettings)
    source: SourceSettings = field(default_factory=SourceSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    publish: Mapping[str, PublishChannelSettings] = field(
        default_factory=dict, metadata={"doc": "Channels for `dispatch publish`, one [publish.<name>] table each.",
                                        "table_of": PublishChannelSettings})
    root: Path = field(default=Path("."), metadata={"internal": True})
    path: Path | None = field(default=None, metadata={"internal": True})

    @property
    def tz(self) -> ZoneInfo:
        """The site's time zone as a :class:`zoneinfo.ZoneInfo`."""
        return ZoneInfo(self.timezone)

    def permalink(self, slug: str) -> str:
        """Return the absolute web URL of the issue with ``slug``: ``base_url + slug + "/"``."""
        return self.base_url.rstrip("/") + "/" + slug + "/"


def find_config(start: Path) -> Path | None:
    """Return the nearest ``dispatch.toml`` in ``start`` or one of its parents, or ``None``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_settings(start: Path | None = None, *, config_path: Path | None = None) -> Settings:
    """Read settings for a newsletter.

    Args:
        start: a folder (usually the issue file's) to search upwards from for ``dispatch.toml``.
        config_path: an explicit ``dispatch.toml``; wins over the search.

    Returns:
        :class:`Settings`; without a file, the defaults with ``root`` = the parent of
        ``start`` (the issues folder's parent: never the working directory by accident), or
        the current directory when ``start`` is ``None``.

    Raises:
        ConfigError: the file is not valid TOML, has an unknown key, or a value of the wrong
            type (the message names the line of the key).
    """
    path = config_path or (find_config(start) if start is not None else None)
    if path is None:
        return Settings(root=start.resolve().parent if start is not None else Path.cwd())
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not valid UTF-8 (byte {exc.start}); save the file as UTF-8", path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration: {exc.strerror}", path) from None
    return _SETTINGS.compute((str(path), text), lambda: _settings(path, text))


#: Settings read, by the file's path and text (``watch`` and ``preview`` read dispatch.toml on
#: every change; an edited file is another key). Settings are frozen.
_SETTINGS = LRU(16, "settings")


def _settings(path: Path, text: str) -> Settings:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
        raise ConfigError(f"not valid TOML: {str(exc).split(' (at line')[0]}", path, line) from None
    settings = _build(Settings, data, "", text, path)
    settings = dataclasses.replace(settings, root=path.parent, path=path)
    _check(settings, text, path)
    return settings


def _line_from_message(message: str) -> int | None:
    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else None


def _key_line(text: str, key: str) -> int | None:
    """Best-effort 1-based line of ``key`` (last dotted part) in TOML ``text``."""
    name = key.rsplit(".", 1)[-1]
    pattern = re.compile(rf"^\s*(?:\[.*\b{re.escape(name)}\b.*\]|[\"']?{re.escape(name)}[\"']?\s*=)")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.search(line):
            return number
    return None


def _build(cls: type, data: Mapping[str, Any], prefix: str, text: str, path: Path) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    values: dict[str, Any] = {}
    for key, value in data.items():
        dotted = prefix + key
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(
                f"unknown setting '{dotted}'; known settings here: {known}", path, _key_line(text, dotted)
            )
        f = fields[key]
        if f.metadata.get("table_of"):
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise ConfigError(f"'{dotted}' must hold tables, one [{dotted}.<name>] per channel", path,
                                  _key_line(text, dotted))
            values[key] = {name: dataclasses.replace(_build(f.metadata["table_of"], table, f"{dotted}.{name}.", text, path),
                                                     name=name)
                           for name, table in value.items()}
            continue
        if dataclasses.is_dataclass(f.default_factory if f.default_factory is not dataclasses.MISSING else None):
            if not isinstance(value, dict):
                raise ConfigError(f"'{dotted}' must be a table", path, _key_line(text, dotted))
            values[key] = _build(f.default_factory, value, dotted + ".", text, path)
            continue
        values[key] = _coerce(f, value, dotted, text, path)
    return cls(**values)


def _coerce(f: dataclasses.Field, value: Any, dotted: str, text: str, path: Path) -> Any:
    default = f.default if f.default is not dataclasses.MISSING else f.default_factory()

    def bad(expected: str) -> ConfigError:
        return ConfigError(
            f"'{dotted}' must be {expected}, not {type(value).__name__} {value!r}", path, _key_line(text, dotted)
        )

    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if isinstance(default, str):
        if not isinstance(value, str):
            raise bad("a string")
        return value
    if isinstance(default, int):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise bad("a positive whole number")
        return value
    if isinstance(default, float):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < float("inf"):
            raise bad("a positive number")
        return float(value)
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad("a list of strings")
        return tuple(value)
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise bad("a table")
        if dotted.endswith("limits"):
            if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value.values()):
                raise bad("a table of positive whole numbers")
            return dict(value)
        if dotted == "labels":
            if not all(isinstance(v, str) for v in value.values()):
                raise bad("a table of strings")
            return dict(value)
        if dotted.endswith(".options"):
            return dict(value)
        if dotted.endswith("params"):
            if not all(isinstance(v, str) for v in value.values()):
                raise bad("a table of strings")
            for v in value.values():
                unknown = set(re.findall(r"\{([^{}]*)\}", v)) - {"slug", "date"}
                if unknown:
                    raise ConfigError(f"'{dotted}' uses {{{sorted(unknown)[0]}}}; the placeholders are {{slug}} and {{date}}",
                                      path, _key_line(text, dotted))
            return dict(value)
        out = {}
        for k, v in value.items():
            if isinstance(v, str):
                v = [v]
            if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
                raise bad("a table of lists of strings")
            out[k] = tuple(v)
        return out
    return value  # pragma: no cover - every option has a typed default


def _check(settings: Settings, text: str, path: Path) -> None:
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone '{settings.timezone}'; use an IANA name such as 'Pacific/Auckland'",
            path,
            _key_line(text, "timezone"),
        ) from None
    if not re.match(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", settings.language):
        raise ConfigError(
            f"language {settings.language!r} is not a BCP 47 tag; write e.g. 'en' or 'en-NZ'", path,
            _key_line(text, "language"),
        )
    from .layout import builtin_layouts

    if not ((path.parent / "layouts" / settings.layout).is_dir() or (builtin_layouts() / settings.layout).is_dir()):
        raise ConfigError(
            f"no layout '{settings.layout}': create layouts/{settings.layout}/ beside this file or use \"default\"",
            path, _key_line(text, "layout"),
        )
    if not re.match(r"^https?://[^/\s]+", settings.base_url):
        raise ConfigError(
            f"base_url must be an absolute http(s) URL, not {settings.base_url!r}", path, _key_line(text, "base_url")
        )
    if settings.brand.color and not re.fullmatch(r"#[0-9A-Fa-f]{6}", settings.brand.color):
        raise ConfigError(f"brand.color must be a colour like \"#1d4ed8\", not {settings.brand.color!r}", path,
                          _key_line(text, "color"))
    from .source import SOURCE_FORMATS

    if settings.source.format not in SOURCE_FORMATS:
        raise ConfigError(
            f"[source] format must be one of {', '.join(SOURCE_FORMATS)}, not {settings.source.format!r}",
            path, _key_line(text, "format"),
        )
    from .components import default_registry
    from .counters import PLATFORMS
    from .platforms import PLATFORMS as SENDERS

    if settings.platform not in SENDERS:
        raise ConfigError(
            f"unknown platform '{settings.platform}'; known: {', '.join(SENDERS)}", path, _key_line(text, "platform")
        )

    for name in settings.thread.platforms:
        if name not in PLATFORMS:
            raise ConfigError(
                f"unknown thread platform '{name}'; known: {', '.join(PLATFORMS)}", path, _key_line(text, "platforms")
            )
    for name in settings.thread.limits:
        if name not in PLATFORMS:
            raise ConfigError(
                f"unknown thread platform '{name}' in limits; known: {', '.join(PLATFORMS)}",
                path,
                _key_line(text, "limits"),
            )
    from .publish.kinds import KINDS

    for name, channel in settings.publish.items():
        if channel.kind not in KINDS:
            raise ConfigError(f"[publish.{name}] kind {channel.kind!r} is not known; known: {', '.join(KINDS)}",
                              path, _key_line(text, f"publish.{name}"))
        if not re.match(r"^https?://[^/\s]+", channel.endpoint):
            raise ConfigError(f"[publish.{name}] endpoint must be an absolute http(s) URL, not {channel.endpoint!r}",
                              path, _key_line(text, f"publish.{name}"))
    if settings.subscribe_url and not re.match(r"^https?://[^/\s?#]+\S*$", settings.subscribe_url):
        raise ConfigError(f"subscribe_url must be an absolute http(s) URL, not {settings.subscribe_url!r}",
                          path, _key_line(text, "subscribe_url"))
    for hub in settings.feed.hubs:
        if not re.match(r"^https?://[^/\s]+", hub):
            raise ConfigError(f"feed.hubs: {hub!r} is not an absolute http(s) URL", path, _key_line(text, "hubs"))
    known = default_registry().names()
    for name in settings.components.aliases:
        if name not in known:
            raise ConfigError(
                f"unknown component '{name}' in aliases; known: {', '.join(known)}", path, _key_line(text, name)
            )


def channel_secrets(settings: Settings) -> list[tuple[str, str, str]]:
    """``(environment variable, channel, what it holds)`` for every secret the configured
    ``[publish.*]`` channels read (``dispatch config`` lists them; values are never shown)."""
    from .publish.kinds import KINDS

    return [(secret_env(name, secret), name, doc)
            for name, channel in settings.publish.items()
            for secret, doc in KINDS[channel.kind].secrets.items()]


def describe() -> list[tuple[str, Any, str]]:
    """Return ``(dotted name, default, doc)`` for every option, for ``dispatch config --list``:
    ``default`` is the Python default value (a tuple, a mapping…; written as TOML by
    :func:`dispatch.settings_toml.settings_reference`), or ``None`` for the rows naming an
    environment variable a publish kind reads its secret from (``$DISPATCH_<NAME>_TOKEN``)."""
    rows: list[tuple[str, str, str]] = []

    def walk(cls: type, prefix: str) -> None:
        for f in dataclasses.fields(cls):
            if f.metadata.get("internal"):
                continue
            if f.default_factory is not dataclasses.MISSING and dataclasses.is_dataclass(f.default_factory):
                walk(f.default_factory, prefix + f.name + ".")
                continue
            if f.metadata.get("table_of"):
                walk(f.metadata["table_of"], prefix + f.name + ".<name>.")
                continue
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            rows.append((prefix + f.name, default, f.metadata.get("doc", "")))

    walk(Settings, "")
    from .publish.kinds import KINDS

    for kind, spec in KINDS.items():
        for secret, doc in spec.secrets.items():
            rows.append((f"$DISPATCH_<NAME>_{secret}", None, f"for a [publish.<name>] of kind {kind}: {doc}"))
    return rows
