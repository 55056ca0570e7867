"""``python -m npgan`` is the same as the ``npgan`` command."""

from npgan.cli.parser import main

raise SystemExit(main())
