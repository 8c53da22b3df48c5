"""Buttondown: the issue as a draft email, scheduled only with ``--schedule``.

API (Buttondown's API reference, ``https://api.buttondown.com/v1``):

- ``Authorization: Token <API key>`` (``$DISPATCH_<CHANNEL>_API_KEY``).
- ``POST /v1/emails`` with ``subject``, ``body`` (the rendered ``email.html`` of the
  ``buttondown`` preset: HTML is detected as such), ``status`` and ``metadata``. The status is
  ALWAYS sent as ``draft``: older API versions (before ``2026-04-01``) default to
  ``about_to_send``, which emails every subscriber at once. ``X-API-Version`` is pinned
  (``options.api_version``, default :data:`API_VERSION`) so the answer's shape is known.
- ``X-Idempotency-Key`` (docs: "Idempotency keys", up to 200 characters): the entry's client
  key, so a retried or re-run create returns the same email instead of a second one. The
  issue id and the client key are also kept in the email's ``metadata``
  (``dispatch_issue_id``, ``dispatch_key``): reconciling lists the drafts and scheduled emails
  and looks for that key.
- ``--schedule``: ``PATCH /v1/emails/{id}`` with ``status: scheduled`` and ``publish_date``
  (docs: "Scheduling emails via the API").
- Errors are ``{"code", "detail", "metadata"}``; 422 validation errors carry a ``detail`` list.

Buttondown makes the plain-text part itself from the HTML: there is no field for ours.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .channel import Rendered, missing_answer
from .drafts import EmailChannel, byte_size, same_instant
from .http import Request
from .state import Entry

#: The API version requests are pinned to (``options.api_version`` overrides it).
API_VERSION = "2026-04-01"
#: At most this many pages of emails are read when reconciling.
MAX_PAGES = 20


class ButtondownChannel(EmailChannel):
    """``[publish.<name>] kind = "buttondown"``; ``endpoint = "https://api.buttondown.com/"``."""

    kind = "buttondown"
    platform = "buttondown"
    secrets = ("API_KEY",)

    def _headers(self) -> dict[str, str]:
        return {"X-API-Version": str(self.options.get("api_version", API_VERSION)), "Accept": "application/json"}

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.secret('API_KEY')}"}

    def _url(self, path: str) -> str:
        return self.url("v1/" + path.lstrip("/"))

    # --- the draft -------------------------------------------------------------------------

    def draft_content(self, rendered: Rendered) -> dict:
        meta = self.ctx.issue.meta
        content = {"subject": rendered.subject, "body": rendered.email_html, "status": "draft",
                   "description": self.ctx.issue.summary, "metadata": {"dispatch_issue_id": meta.id}}
        if self.options.get("email_type"):
            content["email_type"] = str(self.options["email_type"])
        return content

    def draft_request(self, content: dict, entry: Entry) -> Request:
        body = {**content, "metadata": {**content["metadata"], "dispatch_key": entry.client_key}}
        return Request("POST", self._url("emails"), body,
                       headers={**self._headers(), "X-Idempotency-Key": entry.client_key},
                       summary=f"subject: {content['subject']}\nbody: {byte_size(content['body'])} of HTML "
                               f"(render --platform buttondown); status: draft; metadata: dispatch_issue_id "
                               f"{content['metadata']['dispatch_issue_id']}",
                       auth=self._auth(), idempotent=True)

    def update_request(self, content: dict, entry: Entry) -> Request:
        body = {k: v for k, v in content.items() if k != "status"}  # a draft stays a draft
        body["metadata"] = {**content["metadata"], "dispatch_key": entry.client_key}
        return Request("PATCH", self._url(f"emails/{entry.remote_id}"), body, headers=self._headers(),
                       summary=f"the draft updated: subject: {content['subject']}; body: {byte_size(content['body'])} "
                               "of HTML", auth=self._auth(), idempotent=True)

    def accept_draft(self, entry: Entry, body: Any) -> None:
        if not isinstance(body, dict) or not body.get("id"):
            raise missing_answer(self, "email id", body)
        entry.remote_id = str(body["id"])
        entry.remote_url = f"https://buttondown.com/emails/{body['id']}"
        entry.ref = {"status": str(body.get("status", ""))}

    def find_draft(self, content: dict, entry: Entry) -> bool:
        url = self._url("emails") + "?status=draft&status=scheduled"
        for _ in range(MAX_PAGES):
            page = self.http.send(Request("GET", url, headers=self._headers(), auth=self._auth()))
            for email in (page or {}).get("results", []):
                if (email.get("metadata") or {}).get("dispatch_key") == entry.client_key:
                    self.accept_draft(entry, email)
                    return True
            url = (page or {}).get("next")
            if not url or urlsplit(url).netloc != urlsplit(self.config.endpoint).netloc:
                return False
        return False

    # --- the scheduled send --------------------------------------------------------------

    def send_requests(self, content: dict, draft: Entry) -> list[Request]:
        return [Request("PATCH", self._url(f"emails/{draft.remote_id}"),
                        {"status": "scheduled", "publish_date": content["send_at"]}, headers=self._headers(),
                        summary=f"status: scheduled; publish_date: {content['send_at']}", auth=self._auth(),
                        idempotent=True)]  # setting a status twice is harmless

    def is_scheduled(self, draft: Entry, send_at: str) -> bool:
        email = self.http.send(Request("GET", self._url(f"emails/{draft.remote_id}"), headers=self._headers(),
                                       auth=self._auth()))
        return isinstance(email, dict) and email.get("status") == "scheduled" \
            and same_instant(email.get("publish_date"), send_at)
