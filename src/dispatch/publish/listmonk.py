"""listmonk: the issue as a draft campaign, scheduled only with ``--schedule``.

API (listmonk's docs, apis/campaigns.md and apis/lists.md; ``<endpoint>/api``):

- ``Authorization: token <api_user>:<token>``: the API user is ``account``, its token
  ``$DISPATCH_<CHANNEL>_TOKEN``. Answers are ``{"data": …}``, errors ``{"message": …}``.
- ``POST /api/campaigns`` with ``name``, ``subject``, ``lists`` (ids), ``type: regular``,
  ``content_type: html``, ``body`` (the rendered ``email.html`` of the ``listmonk`` preset),
  ``altbody`` (its plain-text part, ``email.txt``) and ``tags``: creating a campaign never
  sends it (it starts as ``draft``).
- No idempotency key: the campaign carries the entry's client key as a tag, and reconciling
  asks ``GET /api/campaigns?tags=<key>`` whether it exists before anything is created again.
- ``--schedule``: ``PUT /api/campaigns/{id}`` with ``send_at`` (the whole campaign, as
  listmonk's update takes it), then ``PUT /api/campaigns/{id}/status`` ``scheduled`` (only a
  draft can be scheduled). ``running`` (send now) is never requested.
- ``options.lists``: list ids or names (names are looked up with ``GET /api/lists``);
  ``options.template_id``, ``options.from_email``: as listmonk's fields.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import DispatchError
from .channel import Rendered, missing_answer
from .drafts import EmailChannel, byte_size, same_instant
from .http import HttpError, Request
from .state import Entry

#: The tag every campaign dispatch creates carries (besides its client key).
TAG = "dispatch"


class ListmonkChannel(EmailChannel):
    """``[publish.<name>] kind = "listmonk"``: ``endpoint`` is the listmonk root URL,
    ``account`` the API user, ``options.lists`` the lists to send to."""

    kind = "listmonk"
    platform = "listmonk"
    secrets = ("TOKEN",)

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.config.account}:{self.secret('TOKEN')}"}

    def _get(self, path: str) -> Any:
        return self.http.send(Request("GET", self.url(path), auth=self._auth()))

    def check(self, rendered: Rendered) -> None:
        where = f"[publish.{self.name}]"
        if not self.config.endpoint:
            raise DispatchError(f"{where} needs endpoint = \"https://lists.example.org/\" (the listmonk root URL)",
                                self.ctx.settings.path)
        if not self.config.account:
            raise DispatchError(f"{where} needs account = \"<API user>\" (listmonk: Admin → Users → API user)",
                                self.ctx.settings.path)
        lists = self.options.get("lists")
        if not isinstance(lists, list) or not lists or not all(isinstance(x, (int, str)) for x in lists):
            raise DispatchError(f"{where} needs options.lists = [1] or [\"Newsletter\"] (list ids or names)",
                                self.ctx.settings.path)

    # --- the draft -------------------------------------------------------------------------

    def draft_content(self, rendered: Rendered) -> dict:
        meta = self.ctx.issue.meta
        content = {"name": f"{rendered.subject} ({meta.date:%Y-%m-%d})", "subject": rendered.subject,
                   "lists": list(self.options["lists"]), "type": "regular", "content_type": "html",
                   "body": rendered.email_html, "altbody": rendered.email_text, "messenger": "email"}
        for key in ("template_id", "from_email"):
            if key in self.options:
                content[key] = self.options[key]
        return content

    def _list_ids(self, lists: list) -> list[int]:
        names = [x for x in lists if isinstance(x, str) and not x.isdigit()]
        if not names:
            return [int(x) for x in lists]
        known = {row["name"]: row["id"] for row in (self._get("api/lists?per_page=all") or {})
                 .get("data", {}).get("results", [])}
        missing = [n for n in names if n not in known]
        if missing:
            raise HttpError(f"options.lists: no list named {', '.join(map(repr, missing))} on "
                            f"{self.config.endpoint}; its lists: {', '.join(map(repr, known)) or 'none'}", sent=False)
        return [known[x] if x in known else int(x) for x in lists]

    def _draft_body(self, content: dict, entry: Entry, *, resolve: bool) -> dict:
        lists = self._list_ids(content["lists"]) if resolve else content["lists"]
        return {**content, "lists": lists, "tags": [TAG, entry.client_key]}

    def draft_request(self, content: dict, entry: Entry) -> Request:
        return self._post(content, entry, resolve=False)

    def create_request(self, content: dict, entry: Entry) -> Request:
        return self._post(content, entry, resolve=True)  # list names are looked up on the server

    def _post(self, content: dict, entry: Entry, *, resolve: bool) -> Request:
        return Request("POST", self.url("api/campaigns"), self._draft_body(content, entry, resolve=resolve),
                       summary=f"subject: {content['subject']}\nbody: {byte_size(content['body'])} of HTML, "
                               f"altbody: {byte_size(content['altbody'])} of plain text (render --platform "
                               f"listmonk); lists: {content['lists']}; status: draft",
                       auth=self._auth())

    def update_request(self, content: dict, entry: Entry) -> Request:
        return self._put(content, entry, resolve=False)

    def update(self, content: dict, entry: Entry) -> None:
        self.http.send(self._put(content, entry, resolve=True))

    def _put(self, content: dict, entry: Entry, *, resolve: bool) -> Request:
        return Request("PUT", self.url(f"api/campaigns/{entry.remote_id}"),
                       self._draft_body(content, entry, resolve=resolve), auth=self._auth(),
                       summary=f"the draft campaign updated: subject: {content['subject']}; body: "
                               f"{byte_size(content['body'])}, altbody: {byte_size(content['altbody'])}")

    def accept_draft(self, entry: Entry, body: Any) -> None:
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not data.get("id"):
            raise missing_answer(self, "campaign id", body)
        entry.remote_id = str(data["id"])
        entry.remote_url = self.url(f"admin/campaigns/{data['id']}")
        entry.ref = {"uuid": str(data.get("uuid", ""))}

    def find_draft(self, content: dict, entry: Entry) -> bool:
        found = (self._get(f"api/campaigns?tags={entry.client_key}&per_page=all") or {}).get("data", {})
        for campaign in found.get("results", []):
            if entry.client_key in (campaign.get("tags") or []):
                self.accept_draft(entry, {"data": campaign})
                return True
        return False

    # --- the scheduled send --------------------------------------------------------------

    def send_requests(self, content: dict, draft: Entry) -> list[Request]:
        campaign = self.url(f"api/campaigns/{draft.remote_id}")
        return [Request("PUT", campaign, {"send_at": content["send_at"]}, auth=self._auth(),
                        summary=f"the campaign as it is on the server, with send_at: {content['send_at']}"),
                Request("PUT", campaign + "/status", {"status": "scheduled"}, auth=self._auth(),
                        summary="status: scheduled")]

    def schedule(self, content: dict, draft: Entry) -> None:
        """listmonk's update takes the whole campaign: read it, set ``send_at``, write it back,
        then change its status to ``scheduled``."""
        set_time, set_status = self.send_requests(content, draft)
        current = (self._get(f"api/campaigns/{draft.remote_id}") or {}).get("data") or {}
        whole = {k: current[k] for k in ("name", "subject", "type", "content_type", "body", "altbody", "template_id",
                                            "messenger", "from_email", "tags", "headers") if k in current}
        whole["lists"] = [row["id"] for row in current.get("lists", [])]
        self.http.send(dataclasses.replace(set_time, json={**whole, "send_at": content["send_at"]}))
        self.http.send(set_status)

    def is_scheduled(self, draft: Entry, send_at: str) -> bool:
        data = (self._get(f"api/campaigns/{draft.remote_id}") or {}).get("data") or {}
        return data.get("status") == "scheduled" and same_instant(data.get("send_at"), send_at)
