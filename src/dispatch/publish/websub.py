"""WebSub publishing: after ``dispatch build``, tell the hubs which feeds changed.

W3C WebSub (www.w3.org/TR/websub/): a feed names its hubs with ``rel="hub"`` links (the
archive's Atom and RSS feeds carry ``<atom:link rel="hub">``, the JSON Feed a ``hubs`` list;
:mod:`dispatch.archive.feeds`), and the publisher notifies a hub when a topic changed. The
recommendation leaves that notification to the hub; the form every public hub accepts
(the PubSubHubbub 0.4 convention: Google's, Superfeedr, WebSubHub) is a form-encoded POST
``hub.mode=publish&hub.url=<topic URL>``, answered 2xx (usually 204). One request is sent per
hub and changed feed, with the retries of :class:`~dispatch.publish.http.Http`.

Config::

    [feed]
    hubs = ["https://pubsubhubbub.appspot.com/", "https://websub.example.org/"]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urlencode

from ..config import Settings
from .http import Http, HttpError, Request

#: The archive's feed files, relative to ``--out`` (RSS, Atom, JSON Feed, and each tag's Atom).
FEED_PATH = re.compile(r"^(?:feed\.xml|atom\.xml|feed\.json|tags/[^/]+/atom\.xml)$")


@dataclass(frozen=True)
class Ping:
    """One hub notification: ``hub`` URL, ``topic`` (the feed's URL), ``error`` ("" when the
    hub accepted it)."""

    hub: str
    topic: str
    error: str = ""

    def line(self) -> str:
        """``websub: <hub>: notified <topic>`` or ``… failed: why``."""
        if self.error:
            return f"websub: {self.hub}: {self.topic} failed: {self.error}"
        return f"websub: {self.hub}: notified {self.topic}"


def changed_topics(settings: Settings, changed: Iterable[str], base_url: str | None = None) -> list[str]:
    """The absolute URLs of the feeds among ``changed`` (output paths relative to ``--out``,
    as :class:`~dispatch.archive.report.BuildReport` lists them), in the given order."""
    base = (base_url or settings.base_url).rstrip("/") + "/"
    return [base + rel for rel in changed if FEED_PATH.match(rel.replace("\\", "/"))]


def ping_hubs(settings: Settings, changed: Iterable[str], *, http: Http | None = None) -> list[Ping]:
    """Notify every hub in ``[feed] hubs`` of every changed feed; one :class:`Ping` each.

    Never raises for a hub's failure (it is reported in :attr:`Ping.error`); nothing is sent
    when no hub is configured or no feed changed.
    """
    hubs = settings.feed.hubs
    topics = changed_topics(settings, changed)
    if not hubs or not topics:
        return []
    http = http or Http(retries=2, timeout=15)
    pings = []
    for hub in hubs:
        for topic in topics:
            request = Request("POST", hub, headers={"Content-Type": "application/x-www-form-urlencoded"},
                              data=urlencode({"hub.mode": "publish", "hub.url": topic}).encode("ascii"),
                              idempotent=True)
            try:
                http.send(request)
                pings.append(Ping(hub, topic))
            except HttpError as exc:
                pings.append(Ping(hub, topic, exc.message.split(": ", 1)[-1] if exc.message.startswith("POST ") else exc.message))
    return pings
