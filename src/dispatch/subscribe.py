"""Where a reader of the web archive subscribes: the ``subscribe_url`` setting, else the public
subscribe page of the email platform a ``[publish.*]`` channel sends through.

Only platforms that have such a page give one (:data:`dispatch.publish.kinds.KINDS`,
``subscribe``/``subscribe_form``): Buttondown (``https://buttondown.com/<username>``, with the
embeddable form posting to ``/api/emails/embed-subscribe/<username>``; ``account`` = the
username), Ghost (Portal's sign-up screen, ``<endpoint>#/portal/signup``) and listmonk (its
public subscription page, ``<endpoint>subscription/form``). With neither, the pages show no
subscribe link at all (never a dead one).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from .config import Settings


@dataclass(frozen=True)
class Subscribe:
    """A subscribe target for the web pages.

    Attributes:
        url: absolute URL of the page where a reader subscribes.
        form: absolute URL an email form posts to (``method="post"``, field ``email``), or
            ``""`` when the platform offers none: the pages show a link only.
        source: where it came from: ``"subscribe_url"`` or ``"publish.<name>"``.
    """

    url: str
    form: str = ""
    source: str = "subscribe_url"


def subscribe_target(settings: Settings) -> Subscribe | None:
    """The archive's subscribe target: ``subscribe_url`` when set (a link), else the first
    ``[publish.<name>]`` channel, in the file's order, whose kind has a public subscribe page
    and whose settings fill its pattern (Buttondown needs ``account``); else ``None``."""
    if settings.subscribe_url:
        return Subscribe(settings.subscribe_url.strip())
    if not settings.publish:
        return None
    from .publish.kinds import KINDS

    for name, channel in settings.publish.items():
        kind = KINDS.get(channel.kind)
        if kind is None or not kind.subscribe:
            continue
        account = channel.account.strip().lstrip("@")
        if "{account}" in kind.subscribe and not account:
            continue
        if "{endpoint}" in kind.subscribe and not channel.endpoint:
            continue
        values = {"endpoint": channel.endpoint.rstrip("/") + "/", "account": quote(account, safe="")}
        return Subscribe(kind.subscribe.format(**values),
                         kind.subscribe_form.format(**values) if kind.subscribe_form else "",
                         f"publish.{name}")
    return None
