"""What every tutorial decides first: fast mode, and where its pictures go.

``NPGAN_FAST=1`` shrinks a tutorial to seconds (its numbers and pictures are then
meaningless; the tests run every tutorial so). A full run writes its pictures into
``tutorials/figures/``, the committed ones; a fast run writes them to a scratch folder,
``$TMPDIR/npgan-tutorial-figures``, so that it never overwrites them.
``NPGAN_FIGURES=DIR`` overrides both.
"""

import os
import tempfile
from pathlib import Path

SCRATCH_NAME = "npgan-tutorial-figures"


def fast_mode():
    """True when ``NPGAN_FAST`` is set to anything but ``""`` or ``"0"``."""
    return os.environ.get("NPGAN_FAST", "0") not in ("", "0")


def figures_folder(tutorials_dir):
    """The folder for a tutorial's pictures (see the module docstring), created and printed."""
    scratch = Path(tempfile.gettempdir()) / SCRATCH_NAME
    folder = Path(os.environ.get("NPGAN_FIGURES") or (scratch if fast_mode() else Path(tutorials_dir) / "figures"))
    folder.mkdir(parents=True, exist_ok=True)
    print("pictures go to", folder)
    return folder
