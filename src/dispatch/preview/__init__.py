"""``dispatch preview``: every channel of an issue in a browser while you write it.

A loopback web server (:class:`~dispatch.preview.server.PreviewServer`, the standard
library's ThreadingHTTPServer) shows each issue rendered in memory through the real pipeline
(:mod:`dispatch.preview.model`): the email at 600 and 375 px in light and dark, the
plain-text part, the web page, each platform's thread and every diagnostic. A watcher thread
(watchfiles) notices saves of the issues, ``dispatch.toml`` and ``layouts/`` and every open page
reloads over Server-Sent Events, keeping its scroll position. Nothing is written.
"""

from .model import IssueView, PreviewSite
from .server import PreviewServer

__all__ = ["IssueView", "PreviewServer", "PreviewSite"]
