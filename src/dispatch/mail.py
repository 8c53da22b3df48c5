"""The email as a message: ``message.eml`` and ``dispatch send-test``.

:func:`build_message` makes a standard MIME message (RFC 5322 headers, RFC 2046
``multipart/alternative``) with Python's :mod:`email` package: the plain-text part first and
the HTML part last, because RFC 2046 §5.1.4 orders alternatives from least to most faithful
and a client shows the last one it can display. Both parts are UTF-8; the package picks
quoted-printable or base64 so that no line exceeds RFC 5322's 998-octet limit.

:func:`send_message` hands it to an SMTP server (RFC 5321) with :mod:`smtplib`, upgrading the
connection with STARTTLS (RFC 3207) when the server offers it.
"""

from __future__ import annotations

from pathlib import Path

import hashlib
import os
import re
import smtplib
import socket
import ssl
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from .config import Settings
from .errors import DispatchError
from .model import Issue

_LOOPBACK = ("localhost", "127.0.0.1", "::1")


class SendError(DispatchError):
    """The test message could not be sent (no sender address, SMTP server unreachable,
    login refused, recipient rejected)."""


def sender(settings: Settings) -> Address:
    """The ``From:`` address: ``site_name <email>`` from dispatch.toml.

    Raises:
        SendError: ``email`` is not set or is not an address.
    """
    address = settings.email.strip()
    if "@" not in address:
        raise SendError(
            "set email = \"you@example.com\" in dispatch.toml: a message needs a From address", settings.path
        )
    user, domain = address.rsplit("@", 1)
    return Address(display_name=settings.site_name, username=user, domain=domain)


def build_message(
    issue: Issue,
    settings: Settings,
    html: str,
    text: str,
    *,
    to: str = "",
    date: datetime | None = None,
    message_id: str | None = None,
    unsubscribe: str = "",
    subject_prefix: str = "",
) -> EmailMessage:
    """A ``multipart/alternative`` message: text part first, then HTML (RFC 2046 §5.1.4).

    With an ``unsubscribe`` URL (http(s) or mailto; a merge tag is left to the platform,
    which writes its own) the message carries ``List-Unsubscribe: <url>`` (RFC 2369) and,
    for an https URL, ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058
    one-click unsubscribe, which Gmail and Yahoo require of bulk senders since 2024).

    A part whose text is mostly outside ASCII (CJK, Arabic, Hebrew…) is sent in base64: quoted-
    printable would write each such byte as three characters, near doubling its size.

    Args:
        issue: supplies the Subject (the title) and, by default, the Date.
        settings: supplies From (``site_name <email>``).
        html: the complete HTML document.
        text: the plain-text part.
        to: the To address; left out when empty (an unsent draft).
        date: the Date header; default the issue's publication time, so the same issue gives
            the same ``message.eml``.
        message_id: the Message-ID; default one derived from the issue's source hash and the
            sender's domain (stable across renders, unique per issue revision; RFC 5322 §3.6.4).
        unsubscribe: the unsubscribe link the email shows (see above).
        subject_prefix: put before the Subject (``"[TEST] "`` for a test send).

    Raises:
        SendError: no sender address in dispatch.toml.
    """
    frm = sender(settings)
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = subject_prefix + issue.meta.title
    msg["From"] = frm
    if to:
        msg["To"] = to
    msg["Date"] = format_datetime(date or issue.meta.date)
    msg["Message-ID"] = message_id or f"<{issue.source_hash[:32]}.{issue.meta.slug}@{frm.domain}>"
    msg["MIME-Version"] = "1.0"
    header = list_unsubscribe(unsubscribe)
    if header:
        msg["List-Unsubscribe"] = header
        if unsubscribe.strip().lower().startswith("https://"):
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text, subtype="plain", charset="utf-8", cte=transfer_encoding(text))
    msg.add_alternative(html, subtype="html", charset="utf-8", cte=transfer_encoding(html))
    # a boundary derived from the content keeps message.eml byte-identical across renders
    digest = hashlib.sha256(text.encode() + html.encode()).hexdigest()[:24]
    msg.set_boundary(f"==dispatch-{digest}==")
    return msg


def list_unsubscribe(url: str) -> str:
    """The ``List-Unsubscribe`` header value for ``url`` (``<https://…>``, RFC 2369 §3.2), or
    ``""`` when it is not an http(s) or mailto URL (a merge tag: the platform sets its own)."""
    url = url.strip()
    if re.match(r"^(https?://[^\s<>]+|mailto:[^\s<>]+)$", url, re.I):
        return f"<{url}>"
    return ""


def transfer_encoding(text: str) -> str:
    """``"base64"`` when quoted-printable would make ``text`` larger than base64 does (more
    than about a sixth of its UTF-8 bytes outside ASCII: CJK, Arabic, Hebrew), else
    ``"quoted-printable"`` (readable, and smaller for mostly-ASCII text). Base64 costs 4/3 of
    the bytes; quoted-printable 3 characters per non-ASCII byte (RFC 2045 §6.7, §6.8)."""
    data = text.encode("utf-8")
    high = sum(1 for b in data if b >= 0x80)
    return "base64" if len(data) + 2 * high > len(data) * 4 / 3 else "quoted-printable"


def message_bytes(msg: EmailMessage) -> bytes:
    """The message serialised with CRLF line endings (RFC 5322 §2.1), as ``.eml`` files hold it."""
    return msg.as_bytes(policy=SMTP)


def send_message(
    msg: EmailMessage,
    settings: Settings,
    to: str,
    *,
    timeout: float = 30.0,
    tls_context: ssl.SSLContext | None = None,
) -> str:
    """Send ``msg`` to ``to`` through the ``[smtp]`` server of ``settings``.

    A fresh Date and Message-ID are set (a test send must not be de-duplicated with an earlier
    one). STARTTLS is used when the server offers it and ``[smtp] starttls`` is true; a login
    (``[smtp] user`` with the password from the ``password_env`` environment variable) is only
    attempted over TLS or to a loopback host.

    Args:
        tls_context: certificates to trust (default: the system's).

    Returns:
        A one-line summary for the user.

    Raises:
        SendError: the server cannot be reached, TLS or login fails, or the recipient is refused.
    """
    smtp = settings.smtp
    msg = _fresh(msg, to)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as client:
            client.ehlo()
            tls = False
            if smtp.starttls and client.has_extn("starttls"):
                client.starttls(context=tls_context or ssl.create_default_context())
                client.ehlo()
                tls = True
            if smtp.user:
                if not tls and smtp.host not in _LOOPBACK:
                    raise SendError(
                        f"{smtp.host}:{smtp.port} does not offer STARTTLS; refusing to send the password in clear",
                        settings.path,
                    )
                password = os.environ.get(smtp.password_env)
                if password is None:
                    raise SendError(f"set the SMTP password in the environment variable {smtp.password_env}")
                client.login(smtp.user, password)
            client.send_message(msg, from_addr=sender(settings).addr_spec, to_addrs=[to])
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(f"SMTP login as {smtp.user} refused: {exc.smtp_code} {_text(exc.smtp_error)}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        code, why = next(iter(exc.recipients.values()))
        raise SendError(f"{to} refused by {smtp.host}: {code} {_text(why)}") from None
    except smtplib.SMTPResponseException as exc:
        raise SendError(f"{smtp.host}:{smtp.port} said {exc.smtp_code} {_text(exc.smtp_error)}") from None
    except (smtplib.SMTPException, OSError, socket.timeout) as exc:
        raise SendError(f"cannot send through {smtp.host}:{smtp.port}: {exc}") from None
    size = len(message_bytes(msg))
    return f"sent '{msg['Subject']}' to {to} via {smtp.host}:{smtp.port}{' (STARTTLS)' if tls else ''}, {size:,} bytes"


def _fresh(msg: EmailMessage, to: str) -> EmailMessage:
    out = EmailMessage(policy=SMTP)
    for name, value in msg.items():
        if name.lower() not in ("to", "date", "message-id"):
            out[name] = value
    out.set_payload(msg.get_payload())
    out["To"] = to
    out["Date"] = format_datetime(datetime.now(timezone.utc))
    domain = sender_domain(msg)
    out["Message-ID"] = make_msgid(idstring=hashlib.sha256(to.encode()).hexdigest()[:8], domain=domain)
    return out


def sender_domain(msg: EmailMessage) -> str:
    """The domain of the message's From address (for Message-IDs)."""
    return str(msg["From"]).rsplit("@", 1)[-1].rstrip(">").strip() or "localhost"


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


_ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")


def send_test(path: "Path | str", settings: Settings, to: str, *, platform: str | None = None, **kw) -> str:
    """Render the issue at ``path`` (full HTML document and text part) and send it to ``to``
    with :func:`send_message`; nothing is written to disk.

    Returns:
        The one-line summary from :func:`send_message`.

    Raises:
        DispatchError: the issue cannot be parsed or rendered, or the send fails.
    """
    from .channels.email import render_email
    from .channels.text import render_text
    from .parse import parse_issue

    if not _ADDRESS.fullmatch(to):
        raise SendError(f"--to {to!r} is not one email address (name@example.org)")
    if not settings.smtp.host:
        raise SendError("no SMTP server: add [smtp] host (and port, user) to dispatch.toml; see the README's email section",
                        settings.path)
    issue = parse_issue(path, settings)
    email = render_email(issue, settings, platform, allow_clip=True)
    text = render_text(issue, settings, unsubscribe=email.unsubscribe, view_online=email.view_online)
    msg = build_message(issue, settings, email.document, text.text, unsubscribe=email.unsubscribe,
                        subject_prefix=settings.test_subject_prefix)
    return send_message(msg, settings, to, **kw)
