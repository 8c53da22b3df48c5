"""dispatch: compile one Markdown briefing into every channel it goes out on.

Library API (the CLI is a thin layer over it)::

    from dispatch import load_settings, parse_issue, render_issue

    settings = load_settings(Path("issues"))
    issue = parse_issue("issues/2026-05-22-moonshot-moment.md", settings)
    report = render_issue("issues/2026-05-22-moonshot-moment.md", "dist")
"""

from .errors import ConfigError, DispatchError, RenderError, SourceError

__version__ = "0.1.0"

_LAZY = {
    "Settings": "config", "load_settings": "config", "parse_issue": "parse",
    "RenderReport": "render", "render_issue": "render",
}


def __getattr__(name: str):
    """Import the heavier parts (Markdown, MJML, premailer…) on first use, so the CLI starts
    fast for commands that do not need them."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'dispatch' has no attribute {name!r}")

__all__ = [
    "ConfigError", "DispatchError", "RenderError", "RenderReport", "Settings", "SourceError",
    "load_settings", "parse_issue", "render_issue", "__version__",
]
