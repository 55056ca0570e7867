"""``python -m npgan`` is the same as the ``npgan`` command."""

from npgan.cli import main

raise SystemExit(main())
