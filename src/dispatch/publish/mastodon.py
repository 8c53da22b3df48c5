"""The Mastodon channel: the rendered Mastodon thread as a reply chain.

API (docs.joinmastodon.org, methods/statuses): ``POST /api/v1/statuses`` with ``status``,
``in_reply_to_id`` (the previous post's id), ``visibility`` and ``language`` (ISO 639-1, the
issue's ``lang`` primary subtag); each request carries ``Idempotency-Key`` (the entry's client
key; Mastodon returns the same status for a repeated key for about an hour), and
``Authorization: Bearer <token>``.

Config::

    [publish.masto]
    kind = "mastodon"
    endpoint = "https://mastodon.social/"
    account = "@briefing"          # checked against the token's account before posting
    options = { visibility = "public", reply_visibility = "unlisted" }

Secret: ``$DISPATCH_<NAME>_TOKEN`` (scopes ``write:statuses`` and ``read:accounts``).

Reconciling (:meth:`MastodonChannel.find`): a reply is looked up among the parent's
descendants (``GET /api/v1/statuses/:id/context``) by its author and ``in_reply_to_id``;
the first post among the account's recent top-level statuses by its text and time.
``--schedule`` is not supported for a thread: a scheduled status has no id to reply to
until it is posted, so the channel skips and says so.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from ..config import secret_env
from ..errors import DispatchError
from .channel import Channel, Item, missing_answer
from .http import Request
from .state import Entry

VISIBILITIES = ("public", "unlisted", "private", "direct")


def plain(content: str) -> str:
    """Mastodon's HTML ``content`` as plain text: ``<br>`` and ``</p><p>`` become newlines,
    tags go, entities are decoded, whitespace runs become one space per line."""
    text = re.sub(r"<br\s*/?>|</p>\s*<p[^>]*>", "\n", content)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()


def _fingerprint(text: str) -> str:
    """Words of ``text`` outside URLs, for comparing a post with the server's rendering of it
    (which shortens links and turns hashtags and mentions into markup)."""
    return " ".join(w for w in text.split() if "://" not in w and not w.endswith("…"))[:120]


class MastodonChannel(Channel):
    """Post the Mastodon thread (see the module docstring)."""

    kind = "mastodon"
    chained = True
    secrets = ("TOKEN",)

    def __init__(self, *args: Any, **kw: Any):
        super().__init__(*args, **kw)
        self.me: dict | None = None
        for key in ("visibility", "reply_visibility"):
            value = self.options.get(key, "public")
            if value not in VISIBILITIES:
                raise DispatchError(f"[publish.{self.name}] options.{key} = {value!r}; use one of "
                                    f"{', '.join(VISIBILITIES)}", self.ctx.settings.path)

    def _auth(self) -> dict[str, str]:
        token = self.secret("TOKEN")
        return {"Authorization": f"Bearer {token}"} if token else {}

    def items(self) -> list[Item]:
        thread = self.thread("mastodon")
        language = self.ctx.issue.meta.lang.split("-")[0].lower()
        n = len(thread.posts)
        items = []
        for i, post in enumerate(thread.posts, 1):
            visibility = self.options.get("visibility" if i == 1 else "reply_visibility",
                                          self.options.get("visibility", "public"))
            items.append(Item(f"post-{i}", f"post {i}/{n}", post.text,
                              {"status": post.text, "visibility": visibility, "language": language},
                              f"{post.length}/{thread.limit} {thread.unit}"))
        return items

    def skip_reason(self) -> str | None:
        if self.ctx.schedule:
            return ("--schedule: Mastodon cannot schedule a thread (a scheduled status has no id to reply to "
                    "until it is posted); run `dispatch publish` at that time, e.g. from cron")
        return None

    def login(self) -> None:
        me = self.http.send(Request("GET", self.url("/api/v1/accounts/verify_credentials"), auth=self._auth()))
        if not isinstance(me, dict) or "id" not in me:
            raise missing_answer(self, "account id", me)
        wanted = self.config.account.lstrip("@").split("@")[0].lower()
        if wanted and str(me.get("username", "")).lower() != wanted:
            from .http import HttpError

            raise HttpError(f"the token belongs to @{me.get('acct') or me.get('username')}, not {self.config.account}; "
                            f"set ${secret_env(self.name, 'TOKEN')} to a token of that account or fix 'account'", 403,
                            sent=False)
        self.me = me

    def request(self, item: Item, entry: Entry, before: list[Entry]) -> Request:
        body = dict(item.content)
        if before:
            body["in_reply_to_id"] = before[-1].remote_id
        reply = f", in reply to {body['in_reply_to_id']}" if before else ""
        summary = (f"{item.measure}, visibility {body['visibility']}, language {body['language']}{reply}\n"
                   + "\n".join(f"| {line}" for line in item.text.splitlines()))
        return Request("POST", self.url("/api/v1/statuses"), json=body,
                       headers={"Idempotency-Key": entry.client_key}, summary=summary, auth=self._auth(),
                       idempotent=True)

    def accept(self, item: Item, entry: Entry, body: Any) -> None:
        if not isinstance(body, dict) or not body.get("id"):
            raise missing_answer(self, "status id", body)
        entry.remote_id = str(body["id"])
        entry.remote_url = str(body.get("url") or body.get("uri") or "")
        entry.parent = str(body.get("in_reply_to_id") or "")

    def find(self, item: Item, entry: Entry, before: list[Entry]) -> bool:
        if self.me is None:
            self.login()
        me = str(self.me["id"])
        if before:
            parent = before[-1].remote_id
            context = self.http.send(Request("GET", self.url(f"/api/v1/statuses/{parent}/context"), auth=self._auth()))
            candidates = [s for s in (context or {}).get("descendants", [])
                          if str(s.get("in_reply_to_id")) == parent and str(s.get("account", {}).get("id")) == me]
        else:
            recent = self.http.send(Request("GET", self.url(f"/api/v1/accounts/{me}/statuses?limit=40&exclude_replies=true"),
                                            auth=self._auth()))
            since = _parse(entry.sent_at) - timedelta(minutes=2) if entry.sent_at else None
            candidates = [s for s in recent or [] if not s.get("in_reply_to_id")
                          and (since is None or _parse(s.get("created_at", "")) >= since)]
        mine = [s for s in candidates if _fingerprint(plain(s.get("content", ""))) == _fingerprint(item.text)]
        if not mine:
            return False
        self.accept(item, entry, sorted(mine, key=lambda s: s.get("created_at", ""))[0])
        return True


def _parse(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)
