"""The draft ``dispatch new`` writes (:data:`SCAFFOLD`) and its placeholder lines
(:data:`PLACEHOLDERS`): data shared by :mod:`dispatch.authoring`, which writes drafts, and
:mod:`dispatch.diagnostics`, which finds placeholders left in them (kept apart so neither
imports the other)."""

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
