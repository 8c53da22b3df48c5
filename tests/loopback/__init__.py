"""Loopback HTTP servers for the platforms no installable server exists for (Buttondown,
listmonk). Each follows the platform's documented endpoints, authentication, statuses and
error bodies, keeps what it was sent, and can be told to fail the next matching request:
a status (429 with ``Retry-After``, 5xx), a connection reset before the request is acted on,
or a reset *after* it was acted on (the answer is lost: the case that duplicates posts)."""
