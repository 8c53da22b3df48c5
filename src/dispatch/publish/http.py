"""The HTTP layer every platform module uses: ``requests`` with urllib3 :class:`~urllib3.util.Retry`.

What it does, for every request:

- timeouts: 10 s to connect, 30 s to read (``options.timeout`` sets the read timeout);
- connection failures (refused, reset, DNS) and read timeouts are retried, with exponential
  backoff (0.5 s, 1 s, 2 s … at most 30 s between tries; ``options.retries`` retries after the
  first try, default 4, so at most 5 requests);
  a POST is retried after the request may have reached the server only when the caller says
  it carries an idempotency key (Mastodon's ``Idempotency-Key``, a client-chosen Bluesky record
  key, a Standard Webhooks ``webhook-id``), so a retry cannot duplicate;
- 429 and 503 honour ``Retry-After`` (seconds or an HTTP date, RFC 9110 §10.2.3), waiting
  at most 120 s a time (urllib3's ``retry_after_max``); when the tries run out, the error says
  how long the server asked to wait;
- 500, 502, 503, 504 are retried with the same bounded backoff;
- any other 4xx (and a 5xx left after the retries) raises :class:`HttpError` carrying the
  platform's own message (Mastodon's ``error``, XRPC's ``error``/``message``, Ghost's
  ``errors[].message``, or the start of the body).

Secrets are sent in headers and never appear in an error, a log line or ``--dry-run``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from ..errors import DispatchError

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
RETRIES = 4
BACKOFF = 0.5
BACKOFF_MAX = 30.0
RETRY_AFTER_MAX = 120.0
RETRY_STATUSES = (429, 500, 502, 503, 504)
USER_AGENT = "dispatch-publish/0.1 (+https://pypi.org/project/dispatch/)"


class HttpError(DispatchError):
    """A request failed for good.

    Attributes:
        status: the HTTP status, or ``None`` when no response came (connection, timeout).
        sent: ``False`` when the server answered a 4xx (it refused the request), ``True`` when
            it may have acted on it (no answer, a reset, a timeout, a 5xx).
        body: the decoded JSON error body, or ``None``.
    """

    def __init__(self, message: str, status: int | None = None, *, sent: bool = True, body: Any = None):
        super().__init__(message)
        self.status = status
        self.sent = sent
        self.body = body

    @property
    def maybe_created(self) -> bool:
        """Whether the server may have acted on the request (the caller must ask it)."""
        return self.sent and (self.status is None or self.status >= 500)


@dataclass(frozen=True)
class Request:
    """One request as ``--dry-run`` shows it and :meth:`Http.send` sends it.

    ``headers`` are the ones worth showing (no secrets: ``auth`` holds those and is never
    shown); ``json`` the body. ``summary`` is one line about the body for people."""

    method: str
    url: str
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    auth: dict[str, str] = field(default_factory=dict, repr=False)
    idempotent: bool = False
    data: bytes | None = None


def platform_message(response: requests.Response) -> tuple[str, Any]:
    """The platform's own error text from ``response`` (and the decoded body, if JSON)."""
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())[:200]
        return text or response.reason or "", None
    parts: list[str] = []
    if isinstance(body, dict):
        for key in ("error", "message", "error_description", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value and value not in parts:
                parts.append(value)
        errors = body.get("errors")
        if isinstance(errors, list):
            for e in errors:
                if isinstance(e, dict):
                    msg = e.get("message") or e.get("context")
                    if isinstance(msg, str):
                        parts.append(msg)
                elif isinstance(e, str):
                    parts.append(e)
        elif isinstance(errors, dict):
            parts.append(json.dumps(errors, ensure_ascii=False)[:200])
    return (": ".join(parts) if parts else json.dumps(body, ensure_ascii=False)[:200]), body


class _Counted(Retry):
    """:class:`Retry` that counts the tries made: each retry it grants adds one to the
    shared one-item list ``counter`` (urllib3 makes a new :class:`Retry` per try)."""

    def __init__(self, *args, counter: list[int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.counter = counter if counter is not None else [0]

    def new(self, **kw):
        retry = super().new(**kw)
        retry.counter = self.counter
        return retry

    def increment(self, *args, **kwargs):
        retry = super().increment(*args, **kwargs)  # raises when no retry is left
        self.counter[0] += 1
        return retry


class _BeforeActing(_Counted):
    """:class:`Retry` that also retries a non-idempotent request (a POST without a key) on the
    answers a server gives *before* acting on it: 429, and 503 with ``Retry-After``
    (RFC 9110 §15.6.4). Everything else about such a request is as urllib3's default."""

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code == 429 or (status_code == 503 and has_retry_after):
            return bool(self.total)
        return super().is_retry(method, status_code, has_retry_after)


class Http:
    """A session with the retry policy above. One per channel and run.

    Args:
        retries: tries after the first for connection errors, timeouts and retryable statuses
            (so at most ``retries + 1`` requests go out for one :meth:`send`).

    Attributes:
        tries: HTTP requests that went out over all :meth:`send` calls, retries included
            (what the state file records as an entry's ``attempts``).
        backoff: the exponential backoff factor in seconds (``backoff * 2**(n-1)``).
        timeout: the read timeout in seconds.
    """

    def __init__(self, *, retries: int = RETRIES, backoff: float = BACKOFF, timeout: float = READ_TIMEOUT,
                 retry_after_max: float = RETRY_AFTER_MAX):
        self.timeout = (CONNECT_TIMEOUT, timeout)
        self.retries, self.backoff = retries, backoff
        self.requests = 0
        self._retried = [0]
        common = dict(counter=self._retried, total=retries, connect=retries, read=retries, status=retries, other=0,
                      backoff_factor=backoff, backoff_max=BACKOFF_MAX, status_forcelist=RETRY_STATUSES,
                      respect_retry_after_header=True, retry_after_max=retry_after_max, raise_on_status=False)
        self._safe = self._session(_Counted(allowed_methods=Retry.DEFAULT_ALLOWED_METHODS, **common))
        self._keyed = self._session(_Counted(allowed_methods=None, **common))
        # A POST without a key: retried only when it surely never left (connect errors) and
        # on statuses the server answers before acting (429 and 503 with Retry-After).
        self._unkeyed = self._session(_BeforeActing(allowed_methods=Retry.DEFAULT_ALLOWED_METHODS, **common))

    @property
    def tries(self) -> int:
        return self.requests + self._retried[0]

    @staticmethod
    def _session(retry: Retry) -> requests.Session:
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = USER_AGENT
        return session

    def send(self, request: Request) -> Any:
        """Send ``request``; return the decoded JSON body (``None`` for an empty one).

        Raises:
            HttpError: after the retries, with the platform's message and whether the request
                may have been acted on (:attr:`HttpError.maybe_created`).
        """
        method = request.method.upper()
        if method in Retry.DEFAULT_ALLOWED_METHODS:
            session = self._safe
        elif request.idempotent:
            session = self._keyed
        else:
            session = self._unkeyed
        headers = {**request.headers, **request.auth}
        self.requests += 1
        try:
            if request.data is not None:
                response = session.request(method, request.url, data=request.data, headers=headers,
                                           timeout=self.timeout)
            else:
                response = session.request(method, request.url, json=request.json, headers=headers,
                                           timeout=self.timeout)
        except requests.exceptions.ConnectionError as exc:
            # Even a final "refused" may follow a try that reached the server: the caller asks.
            raise HttpError(f"{method} {request.url}: {_reason(exc)}") from None
        except requests.exceptions.Timeout:
            raise HttpError(f"{method} {request.url}: no answer within {self.timeout[1]:g} s") from None
        except requests.exceptions.RequestException as exc:
            raise HttpError(f"{method} {request.url}: {_reason(exc)}") from None
        if response.status_code >= 400:
            message, body = platform_message(response)
            wait = response.headers.get("Retry-After")
            extra = f" (the server asks to wait {wait} s; try again later)" if wait and response.status_code in (429, 503) else ""
            raise HttpError(f"{method} {request.url}: HTTP {response.status_code} {message}{extra}".rstrip(),
                            response.status_code, sent=response.status_code >= 500, body=body)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return response.text


def _reason(exc: Exception) -> str:
    """The innermost useful reason of a requests/urllib3 error, one line."""
    seen = exc
    while True:
        inner = getattr(seen, "reason", None) or (seen.args[0] if seen.args and isinstance(seen.args[0], Exception) else None)
        if not isinstance(inner, Exception) or inner is seen:
            break
        seen = inner
    text = str(seen)
    for marker in ("Connection refused", "Connection reset", "Remote end closed", "timed out",
                   "Name or service not known", "Max retries exceeded"):
        if marker in text:
            return {"Remote end closed": "the connection dropped before an answer (Remote end closed)"}.get(
                marker, marker.lower() if marker != "Connection refused" else "connection refused")
    return " ".join(text.split())[:200]
