"""Writing files so that a crash never leaves half of one: write beside, flush, rename.

Every file npgan writes (checkpoints, pictures, JSON results, arrays) goes through
``atomic_write``: the bytes go to a temporary file in the target's directory, are
flushed to disk (``fsync``), and the temporary file is renamed over the target.
``os.replace`` is atomic on POSIX, so a reader sees the old file or the new one, never
a mixture, and an error or a signal part-way removes the temporary file.

A write that fails (a full disk, a folder that refuses it) raises ``WriteError``: one
line naming the file and why, and for a full disk the space it needed and the space
there was. ``writable(directory)`` tries the same write in advance, so that a command
can refuse an output before its work rather than lose the work at the end.
"""

import errno
import json
import os
import shutil
import tempfile

from npgan.errors import FaultError

# The folder that holds the npgan package, and its committed models (the repository's
# pretrained/ when npgan is installed from a checkout, as README's install does).
REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRETRAINED = os.path.join(REPOSITORY, "pretrained")
TEMPORARY_PREFIX = ".tmp-"  # a temporary file beside its target: .tmp-<random><target's name>
_FULL = (errno.ENOSPC, errno.EDQUOT)


class WriteError(FaultError, OSError):
    """A file could not be written: its message is one line naming the file and why.

    An ``OSError`` too, with the ``errno`` of the failure (``errno.ENOSPC`` for a full
    disk) and the target as ``filename``.
    """

    def __init__(self, message, code=None, filename=None):
        OSError.__init__(self, message)
        self.message, self.errno, self.filename = message, code, filename

    def __str__(self):
        return self.message


def size_text(n):
    """``n`` bytes for a person: "812 bytes", "5.2 MiB", "1.82 TiB"."""
    if n < 1024:
        return f"{int(n)} bytes"
    for unit, power in (("KiB", 1), ("MiB", 2), ("GiB", 3), ("TiB", 4), ("PiB", 5)):
        if n < 1024 ** (power + 1) or unit == "PiB":
            value = n / 1024 ** power
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{n} bytes"  # pragma: no cover


def free_space(directory):
    """Bytes free for a new file in ``directory`` (``None`` if the system will not say)."""
    try:
        return shutil.disk_usage(directory).free
    except OSError:
        return None


def available_memory():
    """Bytes of memory the machine can give a new allocation now (Linux's MemAvailable; ``None`` if it will not say)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temporary(directory, name):
    """``(fd, path)`` of a new temporary file for ``name`` in ``directory`` (the one place they are made)."""
    return tempfile.mkstemp(prefix=TEMPORARY_PREFIX, suffix=name, dir=directory)


def _file(fd, path):
    """The binary file object on the temporary ``fd`` that will become ``path`` (the one place one is opened)."""
    return os.fdopen(fd, "wb")


def write_error(path, exc, size=None):
    """The ``WriteError`` for ``exc`` (an ``OSError``) raised while writing ``path``."""
    path = os.fspath(path)
    code = getattr(exc, "errno", None)
    if code in _FULL:
        free = free_space(os.path.dirname(os.path.abspath(path)))
        needs = f"it needs about {size_text(size)}" if size else "it needs more"
        there = f", {size_text(free)} free" if free is not None else ""
        return WriteError(f"cannot write {path}: its disk is full ({needs}{there})", code, path)
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    where = getattr(exc, "filename", None)
    here = os.path.dirname(os.path.abspath(path))
    detail = f" ({where})" if where and os.path.dirname(os.path.abspath(os.fspath(where))) != here else ""
    return WriteError(f"cannot write {path}: {reason[0].lower() + reason[1:]}{detail}", code, path)


def writable(directory):
    """``None`` when a file can be written in ``directory`` now, else the reason (a phrase).

    Writes and removes a temporary file, as ``atomic_write`` would: permission bits,
    a read-only file system or a full disk all show, whoever runs it (root included).
    """
    try:
        fd, path = _temporary(directory, ".probe")
    except OSError as exc:
        return (exc.strerror or str(exc)).lower()
    os.close(fd)
    os.unlink(path)
    return None


def atomic_write(path, write, size=None):
    """Call ``write(binary_file)`` on a temporary file beside ``path``, then rename it to ``path``.

    size: the bytes it will write, when known: a disk with less free space is refused
    before anything is written, and a full disk's message says how much was needed.
    Raises ``WriteError`` (one line) when the file cannot be written; the old ``path``,
    if any, is untouched and no temporary file is left.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if size is not None:
        free = free_space(directory)
        if free is not None and size > free:
            raise write_error(path, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), size)
    try:
        fd, tmp = _temporary(directory, os.path.basename(path))
    except OSError as exc:
        raise write_error(path, exc, size) from None
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
        with _file(fd, path) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        if isinstance(exc, WriteError):
            raise
        raise write_error(path, exc, size) from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(tmp):
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass


def write_json(value, path):
    """``value`` as indented JSON (sorted keys, trailing newline), written atomically."""
    text = json.dumps(value, indent=2, sort_keys=True) + "\n"
    atomic_write(path, lambda f: f.write(text.encode()), size=len(text.encode()))
