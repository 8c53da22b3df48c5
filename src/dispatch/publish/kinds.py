"""The platform modules ``dispatch publish`` knows, by ``kind`` (``[publish.<name>] kind = …``).

This module imports nothing else of dispatch, so ``dispatch.config`` can check kinds and list
their secrets without loading the publishing code. A platform module plugs in with one entry
here (see :mod:`dispatch.publish`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Kind:
    """A platform module.

    Attributes:
        module: the module's dotted name, imported only when a channel of this kind is used.
        cls: the :class:`dispatch.publish.channel.Channel` subclass in it.
        secrets: secret name → what it is. Each is read from ``DISPATCH_<CHANNEL>_<SECRET>``
            (:func:`dispatch.config.secret_env`), never from a file.
        doc: one line for ``dispatch config``.
        subscribe: the platform's public subscribe page, as a pattern of the channel's
            ``{endpoint}`` (with a trailing ``/``) and ``{account}``; ``""``: none. The web
            archive links to it when ``subscribe_url`` is not set (:func:`dispatch.subscribe.subscribe_target`).
        subscribe_form: the URL an email form on the archive's pages posts to (field
            ``email``), same pattern; ``""``: a link only.
    """

    module: str
    cls: str
    secrets: dict[str, str] = field(default_factory=dict)
    doc: str = ""
    subscribe: str = ""
    subscribe_form: str = ""


KINDS: dict[str, Kind] = {
    "webhook": Kind(
        "dispatch.publish.webhook", "WebhookChannel",
        {"SECRET": "the endpoint's signing secret (whsec_<base64>, Standard Webhooks)"},
        "POST the issue as JSON signed per Standard Webhooks",
    ),
    "mastodon": Kind(
        "dispatch.publish.mastodon", "MastodonChannel",
        {"TOKEN": "an access token with the write:statuses and read:accounts scopes"},
        "post the Mastodon thread (in_reply_to_id chain, Idempotency-Key)",
    ),
    "bluesky": Kind(
        "dispatch.publish.bluesky", "BlueskyChannel",
        {"APP_PASSWORD": "an app password of the account (never the main password)"},
        "post the Bluesky thread (reply root/parent, facets, link card)",
    ),
    "buttondown": Kind(
        "dispatch.publish.buttondown", "ButtondownChannel",
        {"API_KEY": "the newsletter's API key (Buttondown → Settings → API)"},
        "create the email as a Buttondown draft (status always explicit; scheduled only with --schedule)",
        # Buttondown's public archive/subscribe page and its embeddable form (docs: "Embedding
        # a subscription form"); account = the newsletter's username
        subscribe="https://buttondown.com/{account}",
        subscribe_form="https://buttondown.com/api/emails/embed-subscribe/{account}",
    ),
    "ghost": Kind(
        "dispatch.publish.ghost", "GhostChannel",
        {"ADMIN_KEY": "a custom integration's Admin API key, <id>:<hex secret> (Ghost → Settings → Integrations)"},
        "create a Ghost draft post (?source=html); --schedule emails it to options.newsletter",
        # Portal's sign-up screen on the Ghost site itself (Ghost: Settings → Portal → Links)
        subscribe="{endpoint}#/portal/signup",
    ),
    "listmonk": Kind(
        "dispatch.publish.listmonk", "ListmonkChannel",
        {"TOKEN": "the API user's token (listmonk → Admin → Users → API user); account = its user name"},
        "create a listmonk draft campaign (HTML body, plain-text altbody); scheduled only with --schedule",
        # listmonk's public subscription page (Settings → General → Enable public subscription page)
        subscribe="{endpoint}subscription/form",
    ),
}
