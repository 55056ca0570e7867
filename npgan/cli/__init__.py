"""The ``npgan`` command."""

from npgan.cli.parser import main

__all__ = ["main"]
