"""A loopback listmonk API (``/api``), after listmonk's API docs (apis/campaigns.md, lists.md):

- ``Authorization: token <api_user>:<token>`` or HTTP Basic ``api_user:token``; anything else
  → 403 ``{"message": …}``.
- Success bodies are ``{"data": …}``; failures ``{"message": …}`` with a 4xx/5xx status.
- ``GET /api/lists`` (``per_page=all``) → ``{"data": {"results": [...], "total", "page", "per_page"}}``.
- ``POST /api/campaigns`` (name, subject, lists, type regular|optin, content_type
  richtext|html|markdown|plain|visual, body, altbody, send_at, tags, template_id, messenger,
  from_email, headers) → ``{"data": campaign}`` with status ``draft``: creating never sends.
- ``GET /api/campaigns`` (``tags`` and ``status`` repeatable, ``query`` matched against name
  and subject, ``page``/``per_page``) and ``GET /api/campaigns/{id}``.
- ``PUT /api/campaigns/{id}``: the whole campaign again (same fields and checks as create).
- ``PUT /api/campaigns/{id}/status``: only a draft goes to ``scheduled`` (it needs a future
  ``send_at``) or ``running`` (this starts sending); only a scheduled one back to ``draft``.
"""

from __future__ import annotations

import base64
import itertools
import re
import uuid
from datetime import datetime, timezone
from typing import Any

from .api import Platform, Recorded, Response

CONTENT_TYPES = {"richtext", "html", "markdown", "plain", "visual"}
FIELDS = {"name", "subject", "lists", "type", "content_type", "body", "altbody", "send_at", "tags",
          "template_id", "messenger", "from_email", "headers", "archive", "archive_slug", "archive_meta",
          "archive_template_id", "media", "body_source"}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _bad(message: str, status: int = 400) -> Response:
    return Response(status, {"message": message})


class Listmonk(Platform):
    """The API's state: ``lists`` and ``campaigns`` (id → campaign)."""

    def __init__(self, user: str, token: str, lists: tuple[str, ...] = ("Default list", "Briefing")):
        super().__init__()
        self.credentials = f"{user}:{token}"
        self.lists = [{"id": i, "name": name, "type": "private", "optin": "single", "subscriber_count": 3 * i}
                      for i, name in enumerate(lists, 1)]
        self.campaigns: dict[int, dict] = {}
        self._ids = itertools.count(1)  # ids are never reused, as a database sequence

    def handle(self, req: Recorded):
        auth = req.headers.get("authorization", "")
        basic = "Basic " + base64.b64encode(self.credentials.encode()).decode()
        if auth not in (f"token {self.credentials}", basic):
            raise _bad("Invalid API credentials", 403)
        if req.path == "/api/lists" and req.method == "GET":
            return 200, {"data": {"results": self.lists, "total": len(self.lists), "per_page": len(self.lists),
                                  "page": 1}}, {}
        if req.path == "/api/campaigns" and req.method == "POST":
            return 200, {"data": self._create(req)}, {}
        if req.path == "/api/campaigns" and req.method == "GET":
            return 200, {"data": self._list(req)}, {}
        m = re.fullmatch(r"/api/campaigns/(\d+)(/status)?", req.path)
        if m:
            campaign = self.campaigns.get(int(m.group(1)))
            if campaign is None:
                raise _bad("Campaign not found.", 404)
            if req.method == "GET" and not m.group(2):
                return 200, {"data": campaign}, {}
            if req.method == "PUT" and not m.group(2):
                return 200, {"data": self._update(campaign, req)}, {}
            if req.method == "PUT" and m.group(2):
                return 200, {"data": self._status(campaign, req)}, {}
        raise _bad("Not found", 404)

    def _create(self, req: Recorded) -> dict:
        fields = self._validate(req)
        cid = next(self._ids)
        now = _now()
        campaign = {
            "id": cid, "uuid": str(uuid.uuid4()), "created_at": now, "updated_at": now, "views": 0, "clicks": 0,
            "bounces": 0, "started_at": None, "sent": 0, "status": "draft", **fields,
        }
        self.campaigns[cid] = campaign
        return campaign

    def _update(self, campaign: dict, req: Recorded) -> dict:
        if campaign["status"] not in ("draft", "scheduled", "paused"):
            raise _bad(f"cannot edit a campaign that is {campaign['status']}")
        campaign.update(self._validate(req), updated_at=_now())
        return campaign

    def _validate(self, req: Recorded) -> dict:
        """The campaign fields of a create or (whole) update request, as listmonk stores them."""
        try:
            data = req.json
        except ValueError:
            raise _bad("Invalid JSON") from None
        if not isinstance(data, dict):
            raise _bad("Invalid JSON")
        unknown = sorted(set(data) - FIELDS)
        if unknown:
            raise _bad(f"unknown field: {unknown[0]}")
        for name in ("name", "subject"):
            if not isinstance(data.get(name), str) or not data[name].strip():
                raise _bad(f"invalid length for {name}")
        ids = data.get("lists")
        if not isinstance(ids, list) or not ids:
            raise _bad("invalid lists")
        known = {lst["id"]: lst for lst in self.lists}
        if any(i not in known for i in ids):
            raise _bad("invalid lists")
        if data.get("type", "regular") not in ("regular", "optin"):
            raise _bad("invalid campaign type")
        if data.get("content_type", "richtext") not in CONTENT_TYPES:
            raise _bad("invalid content type")
        send_at = data.get("send_at")
        if send_at:
            try:
                when = datetime.fromisoformat(send_at.replace("Z", "+00:00"))
            except (TypeError, ValueError):
                raise _bad("invalid send_at date") from None
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            if when <= datetime.now(timezone.utc):
                raise _bad("send_at date should be in the future")
        return {
            "lists": [{"id": i, "name": known[i]["name"]} for i in ids],
            "to_send": sum(known[i]["subscriber_count"] for i in ids),
            "type": data.get("type", "regular"), "name": data["name"], "subject": data["subject"],
            "from_email": data.get("from_email") or "listmonk <noreply@listmonk.example>",
            "body": data.get("body", ""), "altbody": data.get("altbody"), "send_at": send_at,
            "content_type": data.get("content_type", "richtext"), "tags": data.get("tags") or [],
            "template_id": data.get("template_id", 1), "messenger": data.get("messenger", "email"),
            "headers": data.get("headers") or [],
        }

    def _list(self, req: Recorded) -> dict:
        rows = list(self.campaigns.values())
        for tag in req.query.get("tags", []):
            rows = [c for c in rows if tag in c["tags"]]
        statuses = set(req.query.get("status", []))
        if statuses:
            rows = [c for c in rows if c["status"] in statuses]
        query = (req.query.get("query") or [""])[0].lower()
        if query:
            rows = [c for c in rows if query in c["name"].lower() or query in c["subject"].lower()]
        rows.sort(key=lambda c: c["id"], reverse=True)
        return {"results": rows, "query": query, "total": len(rows), "per_page": len(rows) or 20, "page": 1}

    def _status(self, campaign: dict, req: Recorded) -> dict:
        new = (req.json or {}).get("status")
        old = campaign["status"]
        allowed = {("draft", "scheduled"), ("draft", "running"), ("scheduled", "draft"), ("paused", "running"),
                   ("running", "paused"), ("running", "cancelled")}
        if (old, new) not in allowed:
            raise _bad(f"cannot change campaign status from {old} to {new}")
        if new == "scheduled":
            if not campaign["send_at"]:
                raise _bad("campaign needs a `send_at` date to be scheduled")
        campaign["status"] = new
        campaign["updated_at"] = _now()
        if new == "running":
            campaign["started_at"] = _now()
        return campaign
