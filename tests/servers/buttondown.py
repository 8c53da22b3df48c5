"""A loopback Buttondown API (``/v1``), after Buttondown's API reference:

- ``Authorization: Token <key>``; none or a wrong one → 401 ``{"detail": …}``.
- ``POST /v1/emails`` (subject required; body HTML or Markdown; status, publish_date,
  metadata, slug, description, email_type) → 201 with the Email object. With no status the
  default depends on ``X-API-Version``: ``2026-04-01`` and later create a draft, older
  versions (and no header: the pinned version, here 2024-09-30) queue the email to SEND
  (``about_to_send``). From 2026-04-01 an explicit ``about_to_send`` needs
  ``X-Buttondown-Live-Dangerously: true`` (else 400 ``sending_requires_confirmation``).
  ``scheduled`` needs a future ``publish_date`` (400 ``publish_date_missing`` /
  ``publish_date_invalid``). A body starting with front matter is 400
  ``body_contains_frontmatter``. Unknown fields → 422 with a ``detail`` list.
- ``X-Idempotency-Key`` (docs: "api-idempotency-keys"; up to 200 characters): a repeated
  key returns the first response and creates nothing.
- ``PATCH /v1/emails/{id}``: a draft or scheduled email's fields, e.g. ``status: scheduled``
  with ``publish_date`` (docs: "Scheduling emails via the API"); a sent one keeps its status.
- ``GET /v1/emails`` (``status`` repeatable, ``page``) → ``{"results", "count", "next",
  "previous"}``; ``GET /v1/emails/{id}`` → the Email or 404.
- Errors carry ``{"code", "detail", "metadata"}`` (docs: "api-error-codes").
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Any

from .api import Platform, Recorded, Response

PINNED_VERSION = "2024-09-30"
SAFE_DEFAULT_VERSION = "2026-04-01"
FIELDS = {"subject", "body", "status", "publish_date", "metadata", "slug", "description", "email_type",
          "canonical_url", "image", "secondary_id", "attachments", "related_email_ids", "featured",
          "filters", "commenting_mode", "template", "is_premium"}
STATUSES = {"draft", "about_to_send", "scheduled", "imported", "private"}
PAGE_SIZE = 2


def _error(status: int, code: str, detail: str, **metadata: Any) -> Response:
    return Response(status, {"code": code, "detail": detail, "metadata": metadata})


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class Buttondown(Platform):
    """The API's state: ``emails`` (id → Email object) in creation order."""

    def __init__(self, api_key: str):
        super().__init__()
        self.api_key = api_key
        self.emails: dict[str, dict] = {}
        self.idempotent: dict[str, tuple[int, Any]] = {}
        self.confirmed_live = False

    def handle(self, req: Recorded):
        if req.headers.get("authorization") != f"Token {self.api_key}":
            raise Response(401, {"detail": "Invalid token."})
        key = req.headers.get("x-idempotency-key")
        if key is not None:
            if len(key) > 200:
                raise _error(400, "idempotency_key_invalid", "Idempotency keys are at most 200 characters.")
            if key in self.idempotent:
                status, body = self.idempotent[key]
                return status, body, {}
        status, body = self._route(req)
        if key is not None and req.method in ("POST", "PATCH"):
            self.idempotent[key] = (status, body)
        return status, body, {}

    def _route(self, req: Recorded) -> tuple[int, Any]:
        if req.path == "/v1/emails" and req.method == "POST":
            return self._create(req)
        if req.path == "/v1/emails" and req.method == "GET":
            return self._list(req)
        m = re.fullmatch(r"/v1/emails/([0-9a-f-]+)", req.path)
        if m and req.method in ("GET", "PATCH"):
            if m.group(1) not in self.emails:
                raise Response(404, {"detail": "Not found."})
            if req.method == "PATCH":
                return self._update(self.emails[m.group(1)], req)
            return 200, self.emails[m.group(1)]
        raise Response(404, {"detail": "Not found."})

    def _create(self, req: Recorded) -> tuple[int, Any]:
        try:
            data = req.json
        except ValueError:
            raise Response(400, {"detail": "JSON parse error"}) from None
        if not isinstance(data, dict):
            raise Response(400, {"detail": "Expected an object."})
        extra = sorted(set(data) - FIELDS)
        if extra:
            raise Response(422, {"detail": [{"type": "extra_forbidden", "loc": ["body", name],
                                             "msg": "Extra inputs are not permitted"} for name in extra]})
        subject = data.get("subject")
        if not isinstance(subject, str) or not subject.strip():
            raise _error(400, "subject_invalid", "The subject provided is invalid or missing.", field="subject")
        body = data.get("body", "")
        if re.match(r"---\s*\n(?:[\w-]+:.*\n)+---", body or ""):
            raise _error(400, "body_contains_frontmatter", "The body starts with a front matter block.")
        version = req.headers.get("x-api-version", PINNED_VERSION)
        safe = version >= SAFE_DEFAULT_VERSION
        status = data.get("status", "draft" if safe else "about_to_send")
        if status not in STATUSES:
            raise _error(400, "status_invalid", f"'{status}' is not a valid status.", field="status")
        if status == "about_to_send" and safe and not self.confirmed_live:
            if req.headers.get("x-buttondown-live-dangerously") != "true":
                raise _error(400, "sending_requires_confirmation",
                             "Sending an email needs the X-Buttondown-Live-Dangerously: true header once.")
            self.confirmed_live = True
        publish_date = data.get("publish_date")
        if status == "scheduled":
            self._check_publish_date(publish_date)
        metadata = data.get("metadata", {})
        if not isinstance(metadata, dict):
            raise _error(400, "metadata_invalid", "Metadata must be an object.", field="metadata")
        slug = data.get("slug") or re.sub(r"[^a-z0-9]+", "-", subject.lower()).strip("-")
        if any(e["slug"] == slug for e in self.emails.values()):
            raise _error(400, "slug_invalid", "The slug provided is invalid or already in use.", field="slug")
        email_id = str(uuid.uuid4())
        now = _now()
        email = {
            "id": email_id, "creation_date": now, "modification_date": now,
            "publish_date": publish_date if status == "scheduled" else (now if status == "about_to_send" else None),
            "subject": subject, "body": body, "status": status, "slug": slug,
            "description": data.get("description", ""), "metadata": metadata,
            "email_type": data.get("email_type", "public"), "secondary_id": len(self.emails) + 1,
            "absolute_url": f"https://buttondown.example/archive/{slug}/", "analytics": None,
        }
        self.emails[email_id] = email
        return 201, email

    def _update(self, email: dict, req: Recorded) -> tuple[int, Any]:
        data = req.json or {}
        extra = sorted(set(data) - FIELDS)
        if extra:
            raise Response(422, {"detail": [{"type": "extra_forbidden", "loc": ["body", name],
                                             "msg": "Extra inputs are not permitted"} for name in extra]})
        status = data.get("status", email["status"])
        if status not in STATUSES:
            raise _error(400, "status_invalid", f"'{status}' is not a valid status.", field="status")
        if email["status"] not in ("draft", "scheduled") and status != email["status"]:
            raise _error(400, "email_invalid", f"An email that is {email['status']} cannot change its status.")
        if status == "scheduled":
            self._check_publish_date(data.get("publish_date", email["publish_date"]))
        email.update({k: v for k, v in data.items()})
        email["modification_date"] = _now()
        return 200, email

    def _check_publish_date(self, publish_date: Any) -> None:
        if not publish_date:
            raise _error(400, "publish_date_missing", "A publish date is required but was not provided.",
                         field="publish_date")
        try:
            when = datetime.fromisoformat(publish_date.replace("Z", "+00:00"))
        except (AttributeError, ValueError):
            raise _error(400, "publish_date_invalid", "The publish date is not a valid ISO 8601 date.",
                         field="publish_date") from None
        if when.tzinfo is None or when <= datetime.now(timezone.utc):
            raise _error(400, "publish_date_invalid", "The publish date must be an aware date in the future.",
                         field="publish_date")

    def _list(self, req: Recorded) -> tuple[int, Any]:
        wanted = set(req.query.get("status", []))
        rows = [e for e in self.emails.values() if not wanted or e["status"] in wanted]
        page = int((req.query.get("page") or ["1"])[0])
        chunk = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        base = f"http://{req.headers.get('host', '127.0.0.1')}/v1/emails?" + "".join(f"status={s}&" for s in sorted(wanted))
        more = page * PAGE_SIZE < len(rows)
        return 200, {"results": chunk, "count": len(rows),
                     "next": f"{base}page={page + 1}" if more else None,
                     "previous": f"{base}page={page - 1}" if page > 1 else None}
