"""``python -m dispatch`` runs the CLI."""

from .cli import main

main()
