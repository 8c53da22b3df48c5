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
        click_url_chars: the length of one link after the platform's click tracking rewrote
            it, as it appears in the HTML (``&`` as ``&amp;``): an estimate from the platform's
            documented redirect form (see :data:`CLICK_FORMS`). Gmail measures its clip on
            the rewritten bytes.
        open_pixel_bytes: bytes the platform adds for its open-tracking image.
    """

    name: str
    unsubscribe: str
    view_online: str
    form: str
    note: str
    click_url_chars: int = 110
    open_pixel_bytes: int = 200


#: The redirect each platform's click tracking puts in place of a link (the lengths behind
#: ``click_url_chars``; ids at their documented lengths, a 30-character host where it is yours).
CLICK_FORMS = {
    "generic": "typical tracked links are 90-130 characters (notes/email.md); 110 assumed",
    "mailchimp": "https://<account>.us21.list-manage.com/track/click?u=<25 hex>&id=<10 hex>&e=<10 hex>",
    "buttondown": "https://buttondown.com/c/<token of about 70 characters>",
    "listmonk": "<root URL>/link/<link UUID>/<campaign UUID>/<subscriber UUID>",
    "ghost": "<site URL>/r/<8 hex>?m=<member UUID>",
    "substack": "https://substack.com/redirect/<UUID>?j=<signed token of about 200 characters>",
}

PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform("generic", "", "", "document", "a complete HTML document for any sending tool"),
        Platform("mailchimp", "*|UNSUB|*", "*|ARCHIVE|*", "document",
                 "paste into a Mailchimp 'Code your own' template", click_url_chars=120),
        Platform("buttondown", "{{ unsubscribe_url }}", "{{ email_url }}", "document",
                 "paste into Buttondown's HTML editor (Markdown mode off)", click_url_chars=95),
        Platform("listmonk", "{{ UnsubscribeURL }}", "{{ MessageURL }}", "document",
                 "use as a listmonk campaign body with format 'Raw HTML'", click_url_chars=150),
        Platform("ghost", "%%{unsubscribe_url}%%", "", "fragment",
                 "paste into a Ghost HTML card; Ghost wraps it in its newsletter template", click_url_chars=85),
        Platform("substack", "", "", "content",
                 "paste into the Substack editor; Substack adds its own header and footer", click_url_chars=290),
    )
}


def get_platform(name: str) -> Platform:
    """Return the preset called ``name``.

    Raises:
        KeyError: no such preset (callers turn it into a ConfigError or a CLI usage error).
    """
    return PLATFORMS[name]
