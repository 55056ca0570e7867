"""A run folder's promises: one run per folder, locked while it trains, never overwritten by surprise.

``claim(out_dir, resume, overwrite)`` is what ``npgan train`` does before anything else:

- a *new* run refuses a folder that already holds a run (a ``checkpoint.npz`` or a
  ``log.csv``), and says how to go on: ``--resume DIR/checkpoint.npz`` to continue it, or
  another ``--out``; with ``overwrite`` the old run is moved aside to ``DIR.replaced-N``
  (nothing is deleted) and the new one starts in an empty ``DIR``;
- either way the folder is locked for the run's life with an OS file lock on
  ``DIR/.lock`` (``fcntl.flock``), which the OS drops when the process ends however it
  ends, so a killed run never leaves a stale lock; a second run into the same folder is
  refused, naming the first one's process id.
"""

import fcntl
import os

from npgan.errors import UsageError

RUN_FILES = ("checkpoint.npz", "log.csv")
LOCK_NAME = ".lock"


class RunLock:
    """An exclusive lock on a run folder; ``release()`` (or process exit) drops it."""

    def __init__(self, out_dir):
        self.path = os.path.join(out_dir, LOCK_NAME)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(self._fd)
            raise UsageError(f"{out_dir} is being trained by another npgan process (pid {holder}); "
                             "wait for it to finish or stop it, or use another --out") from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)

    def release(self):
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def holds_a_run(out_dir):
    return any(os.path.exists(os.path.join(out_dir, name)) for name in RUN_FILES)


def _aside_name(out_dir):
    n = 1
    while os.path.exists(f"{out_dir}.replaced-{n}"):
        n += 1
    return f"{out_dir}.replaced-{n}"


def claim(out_dir, resume=False, overwrite=False):
    """Check, prepare and lock ``out_dir`` for a run; returns the ``RunLock`` (``UsageError`` if it cannot).

    Returns ``(lock, moved)`` where ``moved`` is where an overwritten run went (or ``None``).
    """
    out_dir = os.path.normpath(out_dir)
    parent = os.path.dirname(os.path.abspath(out_dir))
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise UsageError(f"output directory {out_dir} is a file")
    if not os.path.isdir(parent) and os.path.exists(parent):
        raise UsageError(f"output directory {out_dir} is under {parent}, which is a file")
    moved = None
    if not resume and os.path.isdir(out_dir) and holds_a_run(out_dir):
        if not overwrite:
            checkpoint = os.path.join(out_dir, "checkpoint.npz")
            raise UsageError(f"{out_dir} already holds a run; continue it with --resume {checkpoint}, "
                             "or train into another --out (or pass --overwrite to move the old run aside)")
        RunLock(out_dir).release()  # refuse to move a folder that is training right now
        moved = _aside_name(out_dir)
        os.rename(out_dir, moved)
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create output directory {out_dir} ({exc.strerror})") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise UsageError(f"output directory {out_dir} is not writable")
    return RunLock(out_dir), moved
