"""Channels: each module turns a parsed :class:`~dispatch.model.Issue` into one output.

``email`` (MJML → HTML, CSS inlined), ``text`` (the plain-text part), ``feed`` (Atom entry),
``thread`` (social threads). ``html`` holds the block → HTML renderer the HTML channels share.
Channels know nothing of particular components: they render a section through the layout
template named after its ``kind``, falling back to the ordinary-section template.
"""
