"""The draft ``dispatch new`` writes (:data:`SCAFFOLD`) and its placeholder lines
(:data:`PLACEHOLDERS`): data shared by :mod:`dispatch.authoring`, which writes drafts, and
:mod:`dispatch.diagnostics`, which finds placeholders left in them (kept apart so neither
imports the other); and the commented ``dispatch.toml`` ``dispatch init`` writes
(:data:`CONFIG_TEMPLATE`)."""

from __future__ import annotations

SCAFFOLD = """\
---
title: "{title}"
date: {date}
id: {id}
slug: {slug}
tags: []
draft: true
---

The lead: what happened, in two or three sentences.

## 🔍 The Bottom Line

The one-paragraph takeaway (email preheader, feed summary, first post of the thread).

## Answer-First Lead

The answer in two or three sentences (the web page's description, for answer engines).

## ❓ Frequently Asked Questions

Q: What does this mean for readers? The answer.

## 📊 By the Numbers

| Metric | Value |
|---|---|
| First number | its value |

## A story

Ordinary sections are any other heading.

## 🌏 NZ Lens: What it means here

The regional take: the region is the word before "Lens".

## 🤔 My Take: A headline for your view

Your signed opinion, set apart as a column.

## 📰 Sources

- [Name](https://example.com/)
"""

#: The placeholder lines of :data:`SCAFFOLD`: ``check`` warns about each one left, ``build``
#: refuses to publish an issue holding any (:func:`dispatch.diagnostics.placeholder_lines`).
PLACEHOLDERS = (
    "The lead: what happened, in two or three sentences.",
    "The one-paragraph takeaway (email preheader, feed summary, first post of the thread).",
    "The answer in two or three sentences (the web page's description, for answer engines).",
    "Q: What does this mean for readers? The answer.",
    "| First number | its value |",
    "Ordinary sections are any other heading.",
    'The regional take: the region is the word before "Lens".',
    "Your signed opinion, set apart as a column.",
    "- [Name](https://example.com/)",
)


#: The ``dispatch.toml`` that ``dispatch init`` writes (``str.format`` fields: name, url,
#: timezone, language, platform); every other setting is described by ``dispatch config``.
CONFIG_TEMPLATE = """\
# dispatch.toml: the settings of this newsletter. Every key is optional;
# `dispatch config` prints them all with their meaning and the values in effect.

# The newsletter's name, shown in the email header, the web archive and the feeds.
site_name = {name}

# Where the web archive (`dispatch build --out public`) is published; every permalink,
# image and feed URL starts with it. Change it before you publish anything.
base_url = {url}

# Dates written without a time zone are in this one (IANA name; from this computer).
timezone = {timezone}

# The language of the issues (BCP 47), for the email, the web pages and the feeds.
language = {language}

# Who the email is from (From: of message.eml and send-test; never published) and
# who writes it (named in the feeds and pages).
# email = "newsletter@example.com"
# author = "Your Name"
# A public address for the feeds' author is opt-in: author_email under [feed].

# The sending platform the email is prepared for: generic, mailchimp, buttondown,
# listmonk, ghost or substack (its unsubscribe merge tag and HTML form).
platform = {platform}
# With the generic platform, your list's unsubscribe link (URL or merge tag):
# unsubscribe_url = "https://example.com/unsubscribe"
# Where readers subscribe, linked from every page of the web archive (else the public page
# of a [publish.*] Buttondown, Ghost or listmonk channel; else no subscribe link):
# subscribe_url = "https://example.com/subscribe"

[thread]
# The social threads cut from each issue, in order: x, bluesky, mastodon, threads, linkedin.
platforms = ["x", "bluesky", "mastodon"]
"""
