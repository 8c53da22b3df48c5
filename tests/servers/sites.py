"""Newsletter folders for the publishing tests: a 5-post thread issue plus channels."""

from __future__ import annotations

import shutil
from pathlib import Path

FIVE = Path(__file__).resolve().parents[1] / "data" / "five-posts" / "2026-06-01-five-posts.md"

BASE = ('site_name = "Test Briefing"\nbase_url = "https://briefing.example.nz/"\ntimezone = "Pacific/Auckland"\n'
        '[thread]\nplatforms = ["mastodon", "bluesky"]\n')


def five_post_site(folder: Path, channels: str) -> Path:
    """Write the 5-post issue and a dispatch.toml with ``channels`` (TOML tables) into
    ``folder``; return the issue's path."""
    shutil.copy(FIVE, folder / FIVE.name)
    (folder / "dispatch.toml").write_text(BASE + "\n" + channels, encoding="utf-8")
    return folder / FIVE.name
