"""The ``npgan`` command: ``parser.py`` builds it from one module per command.

Each command module has ``add_parser(sub, common)`` and ``run(args)``; ``arguments.py``
holds the checks of command-line input that every command shares (one line per bad
value, exit 2, before anything is written) and how a command reads a model file. The
top layer: it may import anything in npgan, and nothing imports it. A command imports a
family's code inside ``run``, so that ``npgan --help`` loads none.
"""

from npgan.cli.parser import main

__all__ = ["main"]
