"""Ghost: the issue as a draft post; emailing it to a newsletter only with ``--schedule``.

Admin API (Ghost's Admin API docs; ``<endpoint>/ghost/api/admin/``, ``Accept-Version: v6.0``):

- ``Authorization: Ghost <JWT>``: the Admin API key ``<id>:<hex secret>``
  (``$DISPATCH_<CHANNEL>_ADMIN_KEY``) signs an HS256 token with ``kid`` = the id, the secret
  hex-decoded, ``aud`` ``/admin/`` and an expiry of 5 minutes (Ghost refuses longer). A fresh
  token is made for every request, so a long run never sends an expired one.
- ``POST /posts/?source=html`` with ``{"posts": [{"title", "slug", "html", "status":
  "draft", "custom_excerpt", "tags"}]}``. The HTML is the rendered ``email.html`` of the
  ``ghost`` preset (the card body: Ghost wraps it in its newsletter template and adds its own
  unsubscribe footer), which ``render`` writes as one HTML card (``<!--kg-card-begin: html-->``
  … ``<!--kg-card-end: html-->``, added here if a layout did not) so Ghost's HTML-to-Lexical
  conversion keeps it as written instead of re-flowing it.
- Ghost takes no idempotency key, so the post's ``slug`` is the key: before creating, and on
  reconciling, ``GET /posts/slug/<slug>/`` tells whether it exists. A post there with another
  title (not this issue) is reported, never taken over or duplicated as ``<slug>-2``.
- ``--schedule`` (emailing cannot be undone, so it is a separate entry): ``PUT
  /posts/<id>/?newsletter=<slug>&email_segment=<filter>`` with ``status: scheduled``,
  ``published_at`` and the post's current ``updated_at`` (Ghost answers 409 to a stale one).
  ``options.newsletter`` (a newsletter slug, e.g. ``default-newsletter``) must be set: that
  is the explicit choice to email subscribers.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any
from urllib.parse import quote

from ..errors import DispatchError
from .channel import Rendered, missing_answer
from .drafts import EmailChannel, byte_size, same_instant
from .http import HttpError, Request
from .state import Entry

ACCEPT_VERSION = "v6.0"
#: Ghost refuses Admin API tokens valid for longer than 5 minutes.
TOKEN_SECONDS = 5 * 60
HTML_CARD = ("<!--kg-card-begin: html-->\n", "\n<!--kg-card-end: html-->")


def admin_token(key: str, now: float | None = None) -> str:
    """A Ghost Admin API token (JWT, HS256) for the key ``<id>:<hex secret>``.

    Header ``{"alg": "HS256", "typ": "JWT", "kid": <id>}``, claims ``iat``, ``exp`` = ``iat`` +
    :data:`TOKEN_SECONDS` and ``aud`` ``/admin/`` (Ghost Admin API docs, "Token authentication").

    Raises:
        DispatchError: the key is not ``<id>:<hex secret>``.
    """
    import jwt

    kid, _, secret = key.partition(":")
    try:
        raw = bytes.fromhex(secret)
    except ValueError:
        raw = b""
    if not kid or not raw:
        raise DispatchError("the Ghost Admin API key must be '<id>:<hex secret>' (Ghost Admin → Settings → "
                            "Integrations → a custom integration's Admin API key)")
    iat = int(now if now is not None else time.time())
    return jwt.encode({"iat": iat, "exp": iat + TOKEN_SECONDS, "aud": "/admin/"}, raw, algorithm="HS256",
                      headers={"kid": kid})


def html_card(html: str) -> str:
    """``html`` inside one Ghost HTML card, which Ghost's HTML source conversion keeps verbatim
    (returned as it is when the ``ghost`` preset already wrote it as one card)."""
    body = html.strip("\n")
    if body.startswith(HTML_CARD[0].strip()) and body.endswith(HTML_CARD[1].strip()):
        return body
    return HTML_CARD[0] + body + HTML_CARD[1]


class GhostChannel(EmailChannel):
    """``[publish.<name>] kind = "ghost"``: ``endpoint`` is the site's admin URL
    (``https://example.ghost.io/``); ``options.newsletter`` the newsletter ``--schedule``
    emails, ``options.email_segment`` whom (default ``all``), ``options.tags`` the post's tags
    (default: the issue's)."""

    kind = "ghost"
    platform = "ghost"
    secrets = ("ADMIN_KEY",)
    look_before_create = True  # no idempotency key: the slug is looked up first

    def _api(self, path: str) -> str:
        return self.url("ghost/api/admin/" + path.lstrip("/"))

    def _auth(self) -> dict[str, str]:
        """A fresh token per request (none in a ``--dry-run`` without the key)."""
        key = self.secret("ADMIN_KEY")
        return {"Authorization": f"Ghost {admin_token(key)}"} if key else {}

    def _headers(self) -> dict[str, str]:
        return {"Accept-Version": ACCEPT_VERSION}

    def _get(self, path: str) -> Any:
        return self.http.send(Request("GET", self._api(path), headers=self._headers(), auth=self._auth()))

    def check(self, rendered: Rendered) -> None:
        if not self.config.endpoint:
            raise DispatchError(f"[publish.{self.name}] needs endpoint = \"https://example.ghost.io/\" (the site's "
                                "admin URL)", self.ctx.settings.path)
        if self.ctx.schedule is not None and not self.options.get("newsletter"):
            raise DispatchError(f"[publish.{self.name}]: --schedule emails the post to a newsletter's subscribers, "
                                "which cannot be undone; say which with options.newsletter = \"<slug>\" "
                                "(e.g. \"default-newsletter\")", self.ctx.settings.path)
        if self.secret("ADMIN_KEY"):
            admin_token(self.secret("ADMIN_KEY"))  # a malformed key fails here, before any request

    # --- the draft -------------------------------------------------------------------------

    def draft_content(self, rendered: Rendered) -> dict:
        meta = self.ctx.issue.meta
        tags = self.options.get("tags", list(meta.tags))
        post = {"title": rendered.subject, "slug": meta.slug, "html": html_card(rendered.email_html),
                "status": "draft", "tags": [{"name": str(t)} for t in tags]}
        if self.ctx.issue.summary:
            post["custom_excerpt"] = self.ctx.issue.summary[:300]  # Ghost's limit
        return post

    def draft_request(self, content: dict, entry: Entry) -> Request:
        return Request("POST", self._api("posts/?source=html"), {"posts": [content]}, headers=self._headers(),
                       summary=f"title: {content['title']}\nslug: {content['slug']}; html: "
                               f"{byte_size(content['html'])} (render --platform ghost, in one HTML card); "
                               "status: draft (nothing is emailed)",
                       auth=self._auth())

    def update_request(self, content: dict, entry: Entry) -> Request:
        post = {**content, "updated_at": "<the post's current updated_at>"}
        return Request("PUT", self._api(f"posts/{entry.remote_id}/?source=html"), {"posts": [post]},
                       headers=self._headers(), auth=self._auth(),
                       summary=f"the draft post updated: title: {content['title']}; html: {byte_size(content['html'])}")

    def update(self, content: dict, entry: Entry) -> None:
        self._put_current(entry.remote_id, self.update_request(content, entry), content)

    def _put_current(self, post_id: str, request: Request, fields: dict) -> None:
        """Send ``request`` (a PUT of post ``post_id``) with ``fields`` and the post's current
        ``updated_at``, read just before: Ghost answers 409 to a stale one."""
        current = ((self._get(f"posts/{post_id}/") or {}).get("posts") or [{}])[0]
        body = {"posts": [{**fields, "updated_at": current.get("updated_at")}]}
        self.http.send(dataclasses.replace(request, json=body, auth=self._auth()))

    def accept_draft(self, entry: Entry, body: Any) -> None:
        posts = body.get("posts") if isinstance(body, dict) else None
        if not posts or not isinstance(posts[0], dict) or not posts[0].get("id"):
            raise missing_answer(self, "post id", body)
        post = posts[0]
        entry.remote_id = str(post["id"])
        entry.remote_url = self.url(f"ghost/#/editor/post/{post['id']}")
        entry.ref = {"slug": str(post.get("slug", "")), "uuid": str(post.get("uuid", ""))}

    def _by_slug(self, slug: str) -> dict | None:
        try:
            body = self._get(f"posts/slug/{quote(slug)}/?formats=html")
        except HttpError as exc:
            if exc.status == 404:
                return None
            raise
        posts = (body or {}).get("posts") or []
        return posts[0] if posts else None

    def find_draft(self, content: dict, entry: Entry) -> bool:
        post = self._by_slug(content["slug"])
        if post is None:
            return False
        if post.get("title") != content["title"]:
            raise HttpError(f"Ghost already has a post at slug '{content['slug']}' titled {post.get('title')!r} "
                            f"({self.url('ghost/#/editor/post/' + str(post.get('id')))}), not this issue; give the "
                            "issue another slug or remove that post", 409, sent=False)
        self.accept_draft(entry, {"posts": [post]})
        return True

    # --- the emailed, scheduled post -----------------------------------------------------

    def send_options(self) -> dict:
        return {"newsletter": str(self.options.get("newsletter", "")),
                "email_segment": str(self.options.get("email_segment", "all"))}

    def _schedule_url(self, content: dict, draft: Entry) -> str:
        return self._api(f"posts/{draft.remote_id}/?newsletter={quote(content['newsletter'])}"
                         f"&email_segment={quote(content['email_segment'])}")

    def send_requests(self, content: dict, draft: Entry) -> list[Request]:
        return [Request("PUT", self._schedule_url(content, draft),
                        {"posts": [{"status": "scheduled", "published_at": content["send_at"],
                                    "updated_at": "<the post's current updated_at>"}]},
                        headers=self._headers(), auth=self._auth(),
                        summary=f"status: scheduled; published_at: {content['send_at']}; emailed then to newsletter "
                                f"'{content['newsletter']}' ({content['email_segment']}): cannot be undone")]

    def schedule(self, content: dict, draft: Entry) -> None:
        self._put_current(draft.remote_id, self.send_requests(content, draft)[0],
                          {"status": "scheduled", "published_at": content["send_at"]})

    def is_scheduled(self, draft: Entry, send_at: str) -> bool:
        post = ((self._get(f"posts/{draft.remote_id}/?include=newsletter") or {}).get("posts") or [{}])[0]
        return post.get("status") in ("scheduled", "published") and same_instant(post.get("published_at"), send_at) \
            and bool(post.get("newsletter"))
