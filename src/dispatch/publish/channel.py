"""What a platform module implements: :class:`Channel`, and what it gets: :class:`Context`.

A platform module (``dispatch/publish/<kind>.py``) subclasses :class:`Channel` and is listed
in :data:`dispatch.publish.kinds.KINDS`. It implements:

- :meth:`Channel.items` — *plan items*: what this issue is on the platform, in sending order
  (a thread's posts, one email draft, one webhook event), each an :class:`Item` with a stable
  key, the frozen text and the JSON-able content (hashed to notice edits);
- :meth:`Channel.request` — the HTTP request that publishes one item, given the entries
  before it (their remote ids and refs, for reply chains). ``--dry-run`` prints exactly this;
- :meth:`Channel.accept` — read the server's answer into the entry (remote id, URL, ref);
- :meth:`Channel.find` — *reconcile*: ask the server whether an item whose outcome is not
  known (the request went out, no answer came) exists, and if so fill the entry in. Return
  ``False`` only when re-sending with the same client key cannot duplicate.

Optional: :meth:`Channel.client_key` (default: a random UUID; Bluesky uses a TID),
:meth:`Channel.login` (once before the first request), :meth:`Channel.skip_reason`
(e.g. a platform that cannot schedule), :meth:`Channel.send` (default: ``request`` then
``accept`` through :class:`~dispatch.publish.http.Http`).

The runner (:mod:`dispatch.publish.runner`) owns everything else: the state file, the order,
reconciling, retries, ``--force``, progress and the summary. A module never writes state.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..config import PublishChannelSettings, Settings, secret_env
from ..model import Issue
from .http import Http, HttpError, Request
from .state import Entry


@dataclass(frozen=True)
class Item:
    """One thing a channel publishes.

    Attributes:
        key: stable within the channel (``post-1``), the state file's entry key.
        label: for people: ``post 2/5``, ``draft``, ``event``.
        text: the frozen text recorded in the state file (a post's text, a subject line).
        content: JSON-able data the request is built from; its hash detects edits.
        measure: for people, not hashed: the size as the platform counts it
            (``365/500 graphemes``).
    """

    key: str
    label: str
    text: str
    content: Any
    measure: str = ""


@dataclass
class Rendered:
    """An issue rendered in memory for one sending-platform preset (what ``render`` writes
    for it): ``email_html``, ``email_text`` (the plain-text part), ``threads`` (platform →
    :class:`~dispatch.channels.thread.Thread`), ``entry_xml`` (the Atom entry, bytes)."""

    email_html: str
    email_text: str
    threads: dict[str, Any]
    entry_xml: bytes
    subject: str


@dataclass
class Context:
    """What every channel of one run shares.

    Attributes:
        issue: the parsed issue. settings: the newsletter's settings. path: the issue file.
        schedule: ``--schedule`` as an aware datetime, else ``None`` (publish now).
        env: the environment secrets are read from (``os.environ`` by default).
    """

    issue: Issue
    settings: Settings
    path: Path
    schedule: datetime | None = None
    env: Any = field(default_factory=lambda: os.environ)
    _rendered: dict[str, Rendered] = field(default_factory=dict)

    def rendered(self, platform: str | None = None) -> Rendered:
        """The issue as ``dispatch render --platform PLATFORM`` writes it (cached per preset).

        Raises:
            DispatchError: as :func:`dispatch.render.render_channels`.
        """
        key = platform or self.settings.platform
        if key not in self._rendered:
            from ..render import render_channels

            out = render_channels(self.issue, self.settings, platform=key)
            self._rendered[key] = Rendered(out.email.html, out.text.text,
                                           {t.platform: t for t in out.threads}, out.entry.xml,
                                           self.issue.meta.title)
        return self._rendered[key]


class Channel:
    """Base class of a platform module (see the module docstring for what to implement).

    Attributes (set by the runner): ``name`` (the ``[publish.<name>]`` table), ``config``,
    ``ctx``, ``http``. Class attributes: ``kind``; ``chained`` (each item needs the one
    before it done, as in a thread); ``secrets`` (secret names this kind reads, e.g.
    ``("TOKEN",)``); ``platform`` (the render preset its content comes from, else ``None``).
    """

    kind = ""
    chained = False
    secrets: tuple[str, ...] = ()
    platform: str | None = None

    def __init__(self, name: str, config: PublishChannelSettings, ctx: Context, http: Http):
        self.name = name
        self.config = config
        self.ctx = ctx
        self.http = http
        self.options = dict(config.options)

    # --- secrets and description -----------------------------------------------------------

    def secret(self, name: str) -> str:
        """The secret ``name`` from ``$DISPATCH_<CHANNEL>_<NAME>``, or ``""`` when unset."""
        return self.ctx.env.get(secret_env(self.name, name), "")

    def missing_secrets(self) -> list[str]:
        """The environment variables this channel needs that are not set."""
        return [secret_env(self.name, s) for s in self.secrets if not self.secret(s)]

    def describe(self) -> str:
        """``kind endpoint as account``, for the summary and ``--dry-run``."""
        who = f" as {self.config.account}" if self.config.account else ""
        return f"{self.kind} {self.config.endpoint}{who}"

    def thread(self, platform: str):
        """The issue's rendered thread for ``platform`` (:class:`~dispatch.channels.thread.Thread`).

        Raises:
            DispatchError: ``[thread] platforms`` does not cut one for it.
        """
        from ..errors import DispatchError

        threads = self.ctx.rendered().threads
        if platform not in threads:
            raise DispatchError(f"[thread] platforms has no {platform}, so there is no thread to post on "
                                f"[publish.{self.name}]; add \"{platform}\" to it", self.ctx.settings.path)
        return threads[platform]

    def url(self, path: str) -> str:
        """``endpoint`` joined with ``path`` (one ``/`` between them)."""
        return self.config.endpoint.rstrip("/") + "/" + path.lstrip("/")

    # --- what a module implements -------------------------------------------------------------

    def items(self) -> list[Item]:
        """The items this issue is on the platform, in sending order."""
        raise NotImplementedError

    def client_key(self, item: Item) -> str:
        """A new client key for ``item``, chosen once and stored before the first request."""
        return str(uuid.uuid4())

    def skip_reason(self) -> str | None:
        """Why this channel cannot take this run (e.g. ``--schedule`` unsupported), else ``None``."""
        return None

    def login(self) -> None:
        """Called once before the first real request of a run (not in ``--dry-run``).

        Raises:
            HttpError: the platform refused the credentials.
        """

    def request(self, item: Item, entry: Entry, before: list[Entry]) -> Request:
        """The request that publishes ``item``. ``before`` holds the entries before it (in
        ``--dry-run`` their ``remote_id`` may be a placeholder such as ``<id of post 1>``)."""
        raise NotImplementedError

    def accept(self, item: Item, entry: Entry, body: Any) -> None:
        """Fill ``entry.remote_id`` (and ``remote_url``, ``ref``) from the server's answer.

        Raises:
            HttpError: the answer lacks what is needed (reported as the platform's fault).
        """
        raise NotImplementedError

    def send(self, item: Item, entry: Entry, before: list[Entry]) -> None:
        """Publish ``item`` and fill ``entry`` in (default: :meth:`request` + :meth:`accept`).

        Raises:
            HttpError: the request failed (see :attr:`HttpError.maybe_created`).
        """
        self.accept(item, entry, self.http.send(self.request(item, entry, before)))

    def revise(self, items: list[Item], state) -> str | None:
        """Called when ``items`` differ from what ``state`` (the channel's
        :class:`~dispatch.publish.state.ChannelState`) records as out. A platform whose items
        can still be changed in place (an email draft nobody has been sent) updates the
        entries in ``state`` — changed ones back to ``pending``, their ``remote_id`` kept, so
        :meth:`send` updates instead of creating — and returns a note for the summary. The
        default, ``None``, refuses the edit unless ``--force``."""
        return None

    def state_text(self, entries: list[Entry]) -> str | None:
        """What is on the platform once every entry is done, for the summary line (e.g. "draft
        created, not sent (URL)"); ``None`` (the default) says "N posts published (URL)"."""
        return None

    def find(self, item: Item, entry: Entry, before: list[Entry]) -> bool:
        """Ask the server whether ``entry`` (sent with ``entry.client_key``) exists; fill it in
        and return ``True`` if so. The default, ``False``, is right only for a platform that
        deduplicates a repeated client key itself.

        Raises:
            HttpError: the server could not be asked (the entry stays in flight).
        """
        return False


def missing_answer(channel: Channel, what: str, body: Any) -> HttpError:
    """An :class:`HttpError` for an answer without ``what`` (a server that is not the platform)."""
    return HttpError(f"{channel.config.endpoint}: the answer has no {what}: {str(body)[:120]}", 200)
