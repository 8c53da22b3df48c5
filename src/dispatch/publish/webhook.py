"""The webhook channel: one signed JSON POST per issue (Standard Webhooks, standardwebhooks.com).

The reference platform module: one item, no chain, no lookup (a receiver deduplicates on the
``webhook-id``, which the spec makes the idempotency key, so a re-send with the same id is
safe and :meth:`WebhookChannel.find` can say "not known").

Config::

    [publish.hook]
    kind = "webhook"
    endpoint = "https://hooks.example.org/dispatch"
    options = { platform = "buttondown" }    # which render preset's email goes in (default: platform)

Secret: ``$DISPATCH_<NAME>_SECRET``, the endpoint's signing secret (``whsec_<base64>``).

Headers (Standard Webhooks 1.0): ``webhook-id`` (``msg_<uuid>``, the same on every retry and
re-run), ``webhook-timestamp`` (Unix seconds), ``webhook-signature``
(``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, by the ``standardwebhooks`` package).
Body::

    {"type": "issue.published" | "issue.scheduled",
     "timestamp": "2026-05-22T07:00:00Z",
     "data": {"issue": {"id", "title", "date", "slug", "lang", "tags", "author", "summary",
                        "permalink", "scheduled_at"?},
              "outputs": {"email.html", "email.txt", "entry.xml", "threads": {platform: [text, …]}}}}
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from ..config import secret_env
from .channel import Channel, Item
from .http import Request
from .state import Entry, now_iso


class WebhookChannel(Channel):
    """POST the issue, signed per Standard Webhooks (see the module docstring)."""

    kind = "webhook"
    secrets = ("SECRET",)

    def items(self) -> list[Item]:
        ctx = self.ctx
        meta = ctx.issue.meta
        rendered = ctx.rendered(self.options.get("platform"))
        issue: dict[str, Any] = {
            "id": meta.id, "title": meta.title, "date": meta.date.isoformat(), "slug": meta.slug,
            "lang": meta.lang, "tags": list(meta.tags), "author": meta.author or ctx.settings.author,
            "summary": ctx.issue.summary, "permalink": ctx.issue.permalink,
        }
        if ctx.schedule:
            issue["scheduled_at"] = ctx.schedule.isoformat()
        data = {
            "issue": issue,
            "outputs": {
                "email.html": rendered.email_html,
                "email.txt": rendered.email_text,
                "entry.xml": rendered.entry_xml.decode("utf-8"),
                "threads": {name: [p.text for p in t.posts] for name, t in rendered.threads.items()},
            },
        }
        event = "issue.scheduled" if ctx.schedule else "issue.published"
        return [Item("event", "event", meta.title, {"type": event, "data": data})]

    def client_key(self, item: Item) -> str:
        return "msg_" + super().client_key(item).replace("-", "")

    def request(self, item: Item, entry: Entry, before: list[Entry]) -> Request:
        body = json.dumps({"type": item.content["type"], "timestamp": now_iso(), "data": item.content["data"]},
                          ensure_ascii=False, separators=(",", ":"))
        when = datetime.now(timezone.utc)
        headers = {"Content-Type": "application/json", "webhook-id": entry.client_key,
                   "webhook-timestamp": str(int(when.timestamp()))}
        auth = {}
        secret = self.secret("SECRET")
        if secret:
            from standardwebhooks.webhooks import Webhook

            auth["webhook-signature"] = Webhook(secret).sign(entry.client_key, when, body)
        data = item.content["data"]
        outputs = data["outputs"]
        summary = (f"{item.content['type']}: {data['issue']['title']!r} ({data['issue']['permalink']}); "
                   f"{len(body.encode('utf-8')):,} bytes of JSON: email.html {len(outputs['email.html'].encode()):,} B, "
                   f"email.txt {len(outputs['email.txt'].encode()):,} B, threads "
                   + ", ".join(f"{k} {len(v)} posts" for k, v in outputs["threads"].items())
                   + f"; webhook-signature v1 with ${secret_env(self.name, 'SECRET')}")
        return Request("POST", self.config.endpoint, headers=headers, summary=summary, auth=auth,
                       idempotent=True, data=body.encode("utf-8"))

    def accept(self, item: Item, entry: Entry, body: Any) -> None:
        # The receiver's answer carries no id of its own: the message id is the record.
        entry.remote_id = entry.client_key
