"""The Bluesky channel: the rendered Bluesky thread as ``app.bsky.feed.post`` records.

XRPC on the account's PDS (atproto.com/specs/xrpc, docs.bsky.app):

- ``com.atproto.server.createSession`` (identifier = ``account``, password = the app
  password) once per run; ``com.atproto.server.refreshSession`` when the access token
  expires (``ExpiredToken``), never a new login (session creation is rate limited hard);
- ``com.atproto.repo.createRecord`` with ``collection = app.bsky.feed.post`` and a record key
  chosen by us: a TID (atproto.com/specs/tid: 53 bits of microseconds since the Unix epoch
  and a 10-bit clock id, base32-sortable, 13 characters), stored in the state file before the
  first request, so a repeated create fails instead of duplicating (the PDS answers 500 for an
  existing key);
- each record carries ``text``, ``createdAt``, ``langs`` (the issue's ``lang``), the
  ``facets`` render computed (UTF-8 byte offsets, full URIs), the link card on the last post
  (``app.bsky.embed.external``), and from the second post on ``reply: {root, parent}``, each a
  strong ref ``{uri, cid}`` to the first and the previous post;
- reconciling: ``com.atproto.repo.getRecord`` by the stored record key (no AppView needed).

Config::

    [publish.sky]
    kind = "bluesky"
    endpoint = "https://bsky.social/"      # the account's PDS
    account = "briefing.bsky.social"       # handle or DID

Secret: ``$DISPATCH_<NAME>_APP_PASSWORD`` (an app password, never the account password).
Bluesky cannot schedule posts: with ``--schedule`` the channel skips and says so.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone
from typing import Any

from .channel import Channel, Item, missing_answer
from .http import HttpError, Request
from .state import Entry

COLLECTION = "app.bsky.feed.post"
_B32 = "234567abcdefghijklmnopqrstuvwxyz"


def tid(micros: int, clock_id: int) -> str:
    """The TID for ``micros`` (microseconds since the Unix epoch) and ``clock_id`` (0–1023):
    13 base32-sortable characters of ``micros << 10 | clock_id`` (top bit 0).

    Raises:
        ValueError: ``micros`` needs more than 53 bits or ``clock_id`` more than 10.
    """
    if not 0 <= micros < 2 ** 53 or not 0 <= clock_id < 1024:
        raise ValueError("a TID holds 53 bits of microseconds and a 10-bit clock id")
    value = (micros << 10) | clock_id
    return "".join(_B32[(value >> (5 * i)) & 31] for i in reversed(range(13)))


class TidClock:
    """Issues strictly increasing TIDs from the wall clock (one random clock id per clock)."""

    def __init__(self) -> None:
        self.clock_id = secrets.randbelow(1024)
        self.last = 0

    def next(self) -> str:
        """A TID greater than every one this clock issued before."""
        self.last = max(time.time_ns() // 1000, self.last + 1)
        return tid(self.last, self.clock_id)


class BlueskyChannel(Channel):
    """Post the Bluesky thread (see the module docstring)."""

    kind = "bluesky"
    chained = True
    secrets = ("APP_PASSWORD",)

    def __init__(self, *args: Any, **kw: Any):
        super().__init__(*args, **kw)
        self.clock = TidClock()
        self.session: dict | None = None

    def items(self) -> list[Item]:
        thread = self.thread("bluesky")
        posts = thread.posts
        lang = self.ctx.issue.meta.lang
        items = []
        for i, post in enumerate(posts, 1):
            content: dict[str, Any] = {"text": post.text, "langs": [lang]}
            if post.facets:
                content["facets"] = list(post.facets)
            if post.embed:
                content["embed"] = post.embed
            items.append(Item(f"post-{i}", f"post {i}/{len(posts)}", post.text, content,
                              f"{post.length}/{thread.limit} {thread.unit}, {post.bytes} bytes"))
        return items

    def client_key(self, item: Item) -> str:
        return self.clock.next()

    def skip_reason(self) -> str | None:
        if self.ctx.schedule:
            return ("--schedule: Bluesky cannot schedule posts; run `dispatch publish` at that time, "
                    "e.g. from cron")
        return None

    # --- session -------------------------------------------------------------------------

    def login(self) -> None:
        body = self.http.send(Request(
            "POST", self.url("/xrpc/com.atproto.server.createSession"),
            json={"identifier": self.config.account, "password": self.secret("APP_PASSWORD")}, idempotent=True))
        if not isinstance(body, dict) or not body.get("accessJwt") or not body.get("did"):
            raise missing_answer(self, "session", body)
        self.session = body

    def refresh(self) -> None:
        """Trade the refresh token for a new session (``com.atproto.server.refreshSession``).

        Raises:
            HttpError: the refresh token was refused too.
        """
        body = self.http.send(Request("POST", self.url("/xrpc/com.atproto.server.refreshSession"),
                                      auth={"Authorization": f"Bearer {self.session['refreshJwt']}"},
                                      idempotent=True))
        if not isinstance(body, dict) or not body.get("accessJwt"):
            raise missing_answer(self, "session", body)
        self.session = {**self.session, **body}

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.session['accessJwt']}"} if self.session else {}

    def _call(self, request: Request) -> Any:
        """Send ``request`` with the access token, refreshing the session once if it expired."""
        try:
            return self.http.send(_with_auth(request, self._auth()))
        except HttpError as exc:
            if not (exc.status == 400 and isinstance(exc.body, dict) and exc.body.get("error") == "ExpiredToken"):
                raise
        self.refresh()
        return self.http.send(_with_auth(request, self._auth()))

    @property
    def repo(self) -> str:
        """The account's DID once logged in, else ``account`` as configured."""
        return self.session["did"] if self.session else self.config.account

    # --- items ---------------------------------------------------------------------------

    def request(self, item: Item, entry: Entry, before: list[Entry]) -> Request:
        record: dict[str, Any] = {"$type": COLLECTION, **item.content,
                                  "createdAt": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"}
        if before:
            record["reply"] = {"root": _strong(before[0].ref), "parent": _strong(before[-1].ref)}
        body = {"repo": self.repo, "collection": COLLECTION, "rkey": entry.client_key, "record": record}
        parts = [f"rkey {entry.client_key}", item.measure, f"langs {', '.join(record['langs'])}"]
        if "facets" in record:
            parts.append(f"{len(record['facets'])} link facets")
        if "embed" in record:
            parts.append(f"link card {record['embed']['external']['uri']}")
        if before:
            parts.append(f"reply root {before[0].ref.get('uri')}, parent {before[-1].ref.get('uri')}")
        summary = ", ".join(parts) + "\n" + "\n".join(f"| {line}" for line in item.text.splitlines())
        return Request("POST", self.url("/xrpc/com.atproto.repo.createRecord"), json=body, summary=summary,
                       auth=self._auth(), idempotent=True)

    def send(self, item: Item, entry: Entry, before: list[Entry]) -> None:
        self.accept(item, entry, self._call(self.request(item, entry, before)))
        entry.parent = before[-1].remote_id if before else ""

    def accept(self, item: Item, entry: Entry, body: Any) -> None:
        if not isinstance(body, dict) or not body.get("uri") or not body.get("cid"):
            raise missing_answer(self, "uri and cid", body)
        entry.remote_id = body["uri"]
        entry.ref = {"uri": body["uri"], "cid": body["cid"]}
        handle = (self.session or {}).get("handle") or self.config.account
        entry.remote_url = f"https://bsky.app/profile/{handle}/post/{body['uri'].rsplit('/', 1)[-1]}"

    def find(self, item: Item, entry: Entry, before: list[Entry]) -> bool:
        if self.session is None:
            self.login()
        try:
            body = self._call(Request("GET", self.url("/xrpc/com.atproto.repo.getRecord") +
                                      f"?repo={self.repo}&collection={COLLECTION}&rkey={entry.client_key}"))
        except HttpError as exc:
            if exc.status == 400 and isinstance(exc.body, dict) and exc.body.get("error") == "RecordNotFound":
                return False
            raise
        self.accept(item, entry, body)
        entry.parent = before[-1].remote_id if before else ""
        return True


def _strong(ref: dict) -> dict:
    return {"uri": ref.get("uri", ""), "cid": ref.get("cid", "")}


def _with_auth(request: Request, auth: dict[str, str]) -> Request:
    from dataclasses import replace

    return replace(request, auth=auth)
