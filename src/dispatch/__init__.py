"""dispatch: compile one Markdown briefing into every channel it goes out on.

Library API (the CLI is a thin layer over it)::

    from dispatch import load_settings, parse_issue, render_issue

    settings = load_settings(Path("issues"))
    issue = parse_issue("issues/2026-05-22-moonshot-moment.md", settings)
    report = render_issue("issues/2026-05-22-moonshot-moment.md", "dist")
"""

from .config import Settings, load_settings
from .errors import ConfigError, DispatchError, RenderError, SourceError
from .parse import parse_issue
from .render import RenderReport, render_issue

__version__ = "0.1.0"

__all__ = [
    "ConfigError", "DispatchError", "RenderError", "RenderReport", "Settings", "SourceError",
    "load_settings", "parse_issue", "render_issue", "__version__",
]
