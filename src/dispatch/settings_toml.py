"""``dispatch config``: the settings in effect written back as TOML (TOML v1.0.0, values
written by tomli-w), each key under a comment with its meaning, the ones the file does not set
marked ``# default``. The output parses back to the same :class:`~dispatch.config.Settings`
(pasted into ``dispatch.toml`` it changes nothing). ``dispatch config --list``
(:func:`settings_reference`): every setting with its default, one dotted key a line, also
valid TOML that loads as the defaults."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any, Mapping

import tomli_w

from .config import Settings


def _plain(value: Any) -> Any:
    """Settings values as the types tomli-w writes (tuples → lists, mappings → dicts)."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _value(name: str, value: Any) -> str:
    """``name = value`` as tomli-w writes it (a bare or quoted key, an inline table for a
    mapping)."""
    value = _plain(value)
    if isinstance(value, dict):
        inner = ", ".join(_value(k, v) for k, v in value.items())
        key = tomli_w.dumps({name: 0}).split(" = ")[0]
        return f"{key} = {{ {inner} }}" if inner else f"{key} = {{}}"
    return tomli_w.dumps({name: value}).strip()


def _comment(doc: str, width: int = 96) -> list[str]:
    words, lines, line = doc.split(), [], "#"
    for word in words:
        if len(line) + 1 + len(word) > width and line != "#":
            lines.append(line)
            line = "#"
        line += " " + word
    return lines + ([line] if line != "#" else [])


def settings_toml(settings: Settings, *, docs: bool = True) -> str:
    """The settings in effect as a TOML document.

    Args:
        settings: what :func:`dispatch.config.load_settings` returned; ``settings.path`` is
            re-read (as TOML) only to tell which keys it sets.
        docs: put each setting's meaning above it as a comment.

    Returns:
        TOML text: top-level keys, then one ``[table]`` per settings table and one
        ``[publish.<name>]`` per publish channel; keys the file does not set end in
        ``# default``.
    """
    given: dict = {}
    if settings.path is not None:
        try:
            given = tomllib.loads(Path(settings.path).read_bytes().decode("utf-8-sig"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):  # pragma: no cover - it was just loaded
            given = {}
    source = f"read from {settings.path}" if settings.path else "no dispatch.toml found: every value is a default"
    out = ["# The settings dispatch uses, " + source + ".",
           "# Valid TOML: paste it into dispatch.toml as it is. '# default': not set in the file.", ""]

    def emit(obj: Any, cls: type, present: Mapping) -> None:
        for f in dataclasses.fields(cls):
            if f.metadata.get("internal") or _is_table(f):
                continue
            if docs and f.metadata.get("doc"):
                out.extend(_comment(f.metadata["doc"]))
            line = _value(f.name, getattr(obj, f.name))
            out.append(line if f.name in present else line + "  # default")

    emit(settings, Settings, given)
    for f in dataclasses.fields(Settings):
        if f.metadata.get("internal") or not _is_table(f):
            continue
        value = getattr(settings, f.name)
        if f.metadata.get("table_of"):
            tables = given.get(f.name, {}) if isinstance(given.get(f.name), dict) else {}
            out.append("")
            if docs and f.metadata.get("doc"):
                out.extend(_comment(f.metadata["doc"]))
            if not value:
                out.append(f"# (no [{f.name}.<name>] table)")
            for name, channel in value.items():
                out.append(f"[{f.name}.{_value(name, 0).split(' = ')[0]}]")
                out.extend(_secret_comments(settings, name))
                emit(channel, f.metadata["table_of"], tables.get(name, {}))
            continue
        out.append("")
        out.append(f"[{f.name}]")
        emit(value, type(value), given.get(f.name, {}) if isinstance(given.get(f.name), dict) else {})
    return "\n".join(out) + "\n"


def _secret_comments(settings: Settings, name: str) -> list[str]:
    """Comment lines naming the environment variables publish channel ``name`` reads its
    secrets from, and whether each is set (never their values)."""
    import os

    from .config import channel_secrets

    return [f"# secret from ${var} ({'set' if os.environ.get(var) else 'not set'}): {doc}"
            for var, channel, doc in channel_secrets(settings) if channel == name]


def _is_table(f: dataclasses.Field) -> bool:
    return bool(f.metadata.get("table_of")) or (
        f.default_factory is not dataclasses.MISSING and dataclasses.is_dataclass(f.default_factory))


def settings_reference(settings: Settings | None = None) -> str:
    """Every setting with its meaning, for ``dispatch config --list``: one TOML dotted key a
    line (``thread.counter = true``, ``feed.hubs = []``) under a comment with its meaning,
    holding the value in effect in ``settings`` (default: the defaults) and, where that is not
    the default, ending in ``# default: <value>``. The text parses with :mod:`tomllib` and
    loads as the same settings (``[publish.*]`` channels aside). What cannot be a value is a
    comment: the keys of a ``[publish.<name>]`` table, the environment variables each publish
    kind reads its secret from, and this newsletter's channels' ones
    (:func:`dispatch.config.channel_secrets`: whether each is set, never its value).
    """
    import os

    from .config import channel_secrets, describe

    settings = settings if settings is not None else Settings()
    secrets = channel_secrets(settings)
    out = ["# Every setting of dispatch.toml with its meaning and the value in effect (valid TOML,",
           "# dotted keys; inside a [table] write a key without its table's name). "
           + (f"Read from {settings.path}." if settings.path else "No dispatch.toml: the defaults."), ""]
    told_publish = False
    for name, default, doc in describe():
        if default is None:  # an environment variable
            out.append(f"# {name} (an environment variable): {doc}")
            out.append("")
            continue
        if ".<name>." in name and not told_publish:
            told_publish = True
            out.extend(_comment("[publish.NAME]: a channel for `dispatch publish`, one table per channel "
                                "(none by default); its keys:"))
        out.extend(_comment(doc))
        if ".<name>." in name:
            out.append("# " + name.replace(".<name>.", ".NAME.") + " = " + _value("v", default).split(" = ", 1)[1])
        else:
            value = settings
            for part in name.split("."):
                value = getattr(value, part)
            line = (".".join(_value(part, 0).split(" = ")[0] for part in name.split(".")) + " = "
                    + _value("v", value).split(" = ", 1)[1])
            out.append(line if _plain(value) == _plain(default) else
                       line + "  # default: " + _value("v", default).split(" = ", 1)[1])
        out.append("")
    if secrets:
        out.append("# This newsletter's channels read (values never shown):")
        out.extend(f"#   ${var} ({'set' if os.environ.get(var) else 'not set'}): [publish.{channel}]: {doc}"
                   for var, channel, doc in secrets)
    return "\n".join(out).rstrip("\n") + "\n"
