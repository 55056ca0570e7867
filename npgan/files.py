"""Writing files so that a crash never leaves half of one: write beside, flush, rename.

Every file npgan writes (checkpoints, pictures, JSON results, arrays) goes through
``atomic_write``: the bytes go to a temporary file in the target's directory, are
flushed to disk (``fsync``), and the temporary file is renamed over the target.
``os.replace`` is atomic on POSIX, so a reader sees the old file or the new one, never
a mixture, and an error or a signal part-way removes the temporary file.
"""

import json
import os
import tempfile

# The folder that holds the npgan package, and its committed models (the repository's
# pretrained/ when npgan is installed from a checkout, as README's install does).
REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRETRAINED = os.path.join(REPOSITORY, "pretrained")


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path, write):
    """Call ``write(binary_file)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.basename(path), dir=directory)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json(value, path):
    """``value`` as indented JSON (sorted keys, trailing newline), written atomically."""
    text = json.dumps(value, indent=2, sort_keys=True) + "\n"
    atomic_write(path, lambda f: f.write(text.encode()))
