"""Sending-platform presets: which merge tags go where, and what form the HTML takes.

A newsletter is pasted into (or imported by) a sending platform that substitutes its own
*merge tags* per recipient. The email layout asks for two links, ``unsubscribe`` and
``view_online``; a preset says what to put there and in which form the platform wants the HTML.

Merge tags, from each platform's documentation (as collected in notes/email.md):

========== ========================== =================== ==========================
platform   unsubscribe                view online         form
========== ========================== =================== ==========================
mailchimp  ``*|UNSUB|*``              ``*|ARCHIVE|*``     full document
buttondown ``{{ unsubscribe_url }}``  ``{{ email_url }}`` full document
listmonk   ``{{ UnsubscribeURL }}``   ``{{ MessageURL }}`` full document
ghost      ``%%{unsubscribe_url}%%``  the issue permalink body fragment (Ghost wraps
                                                          its own template)
substack   (none: Substack adds its   the issue permalink clean content to paste into
           own footer)                                    the editor
generic    ``[email] unsubscribe_url`` the issue permalink full document
           from dispatch.toml, if set
========== ========================== =================== ==========================

Merge tags are never given URL parameters (``utm_*``): the platform replaces the whole tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The HTML forms a platform may want.
FORMS = ("document", "fragment", "content")



#: A merge tag of any supported platform: Mailchimp ``*|UNSUB|*``, Buttondown/listmonk
#: ``{{ unsubscribe_url }}``, Ghost ``%%{unsubscribe_url}%%``, ``{$unsubscribe}`` and
#: ``[UNSUBSCRIBE]`` styles. The sending platform replaces them; dispatch keeps them byte for
#: byte and never breaks a line inside one.
MERGE_TAG = re.compile(r"\*\|[A-Z0-9_:]+\|\*|\{\{\s*[\w.]+\s*\}\}|%%\{?[\w.]+\}?%%|\{\$[\w]+\}|\[[A-Z_]+\]")

@dataclass(frozen=True)
class Platform:
    """One sending platform's preset.

    Attributes:
        name: the name used on the command line and in dispatch.toml.
        unsubscribe: the merge tag for the recipient's unsubscribe URL (``""``: the platform
            adds its own unsubscribe footer, or none is known).
        view_online: the merge tag for the "view in browser" URL (``""``: use the issue's
            permalink).
        form: ``"document"`` (a complete HTML document), ``"fragment"`` (the inside of
            ``<body>``, for platforms that wrap their own template) or ``"content"`` (clean
            semantic HTML with no email layout tables, for pasting into an editor).
        note: one line for the user about what to do with the output.
    """

    name: str
    unsubscribe: str
    view_online: str
    form: str
    note: str


PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform("generic", "", "", "document", "a complete HTML document for any sending tool"),
        Platform("mailchimp", "*|UNSUB|*", "*|ARCHIVE|*", "document",
                 "paste into a Mailchimp 'Code your own' template"),
        Platform("buttondown", "{{ unsubscribe_url }}", "{{ email_url }}", "document",
                 "paste into Buttondown's HTML editor (Markdown mode off)"),
        Platform("listmonk", "{{ UnsubscribeURL }}", "{{ MessageURL }}", "document",
                 "use as a listmonk campaign body with format 'Raw HTML'"),
        Platform("ghost", "%%{unsubscribe_url}%%", "", "fragment",
                 "paste into a Ghost HTML card; Ghost wraps it in its newsletter template"),
        Platform("substack", "", "", "content",
                 "paste into the Substack editor; Substack adds its own header and footer"),
    )
}


def get_platform(name: str) -> Platform:
    """Return the preset called ``name``.

    Raises:
        KeyError: no such preset (callers turn it into a ConfigError or a CLI usage error).
    """
    return PLATFORMS[name]
