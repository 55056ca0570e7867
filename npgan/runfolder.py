"""A run folder's promises: one run per folder, locked while it trains, never overwritten by surprise.

``claim(out_dir, resume, overwrite)`` is what ``npgan train`` and ``npgan.train.train`` do
before anything else:

- a folder holds a run when it holds any of a run's parts (``RUN_FILES``, ``RUN_FOLDERS``,
  or the temporary file of one, which a run killed during its first checkpoint leaves);
- a *new* run refuses a folder that already holds a run, and says how to go on:
  ``--resume DIR/checkpoint.npz`` to continue it, or another ``--out``; with ``overwrite``
  the old run is moved aside to ``DIR.replaced-N`` (nothing is deleted) and the new one
  starts in an empty ``DIR``;
- a *resumed* run refuses ``overwrite`` (a resume continues a run, it never replaces one),
  a checkpoint whose own folder another process is training (its checkpoint changes under
  it every epoch, and the copy would fork that run without a word), and an ``out_dir``
  other than the checkpoint's folder that holds another run;
- each part must be what it should be (a picture folder a folder, a log a readable text
  file, ``log.csv``'s columns those of the run resumed: ``check_log``), checked before
  anything is written, so that a damaged folder costs no training;
- either way the folder is locked for the run's life with an OS file lock on
  ``DIR/.lock`` (``fcntl.flock``), which the OS drops when the process ends however it
  ends, so a killed run never leaves a stale lock; a second run into the same folder is
  refused, naming the first one's process id. Holding the lock, ``claim`` removes the
  temporary files a killed run left (no other run can be writing them).
"""

import csv
import fcntl
import os

from npgan.errors import UsageError
from npgan.files import TEMPORARY_PREFIX, writable

# What a run of any family writes in its folder (the families' outputs name the same files).
RUN_FILES = ("checkpoint.npz", "log.csv", "parzen.csv", "parzen-averaged.csv", "metrics.csv",
             "metrics-averaged.csv", "labels.csv", "labels-averaged.csv", "figure1.png",
             "training.gif", "training.mp4")  # the training movie: npgan.movie
RUN_FOLDERS = ("samples", "snapshots", "reconstructions", "completions", "movie")
LOGS = tuple(name for name in RUN_FILES if name.endswith(".csv"))
LOCK_NAME = ".lock"

# How a refusal tells the user to go on, from the command line or from Python.
COMMAND_WORDS = {"resume": "--resume {}", "out": "another --out", "overwrite": "--overwrite"}
PYTHON_WORDS = {"resume": "train(..., resume={!r})", "out": "another out_dir", "overwrite": "overwrite=True"}


class RunLock:
    """An exclusive lock on a run folder; ``release()`` (or process exit) drops it."""

    def __init__(self, out_dir, words=COMMAND_WORDS):
        self.path = os.path.join(out_dir, LOCK_NAME)
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise UsageError(f"cannot lock {out_dir} for the run: {self.path}: {exc.strerror}") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(self._fd)
            raise UsageError(f"{out_dir} is being trained by another npgan process (pid {holder}); "
                             f"wait for it to finish or stop it, or use {words['out']}") from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)

    def release(self):
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def trained_by(out_dir):
    """The process id (text) of the npgan process training in ``out_dir`` now, else ``None``.

    Creates nothing: a folder without a lock file is trained by no one.
    """
    try:
        fd = os.open(os.path.join(out_dir, LOCK_NAME), os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def stale_temporaries(out_dir):
    """The temporary files of a run's parts left in ``out_dir`` by a killed process."""
    found = []
    if not os.path.isdir(out_dir):
        return found
    for name in os.listdir(out_dir):
        path = os.path.join(out_dir, name)
        if name.startswith(TEMPORARY_PREFIX) and name.endswith(RUN_FILES + (".probe",)) and os.path.isfile(path):
            found.append(path)
    for folder in RUN_FOLDERS:
        inside = os.path.join(out_dir, folder)
        if os.path.isdir(inside):
            found += [os.path.join(inside, name) for name in os.listdir(inside)
                      if name.startswith(TEMPORARY_PREFIX) and os.path.isfile(os.path.join(inside, name))]
    return sorted(found)


def holds_a_run(out_dir):
    """Whether ``out_dir`` holds any part of a run (of any family), finished or not."""
    if not os.path.isdir(out_dir):
        return False
    return (any(os.path.lexists(os.path.join(out_dir, name)) for name in RUN_FILES + RUN_FOLDERS)
            or bool(stale_temporaries(out_dir)))


def check_parts(out_dir):
    """``UsageError`` in one line for a part of the run in ``out_dir`` that is not what it should be."""
    for name in RUN_FILES + (LOCK_NAME,):
        path = os.path.join(out_dir, name)
        if os.path.isdir(path):
            raise UsageError(f"{path} is a folder; the run keeps a file there: move it away")
    for name in RUN_FOLDERS:
        path = os.path.join(out_dir, name)
        if os.path.lexists(path) and not os.path.isdir(path):
            raise UsageError(f"{path} is a file; the run keeps a folder of pictures or files there: move it away")
    for name in LOGS:
        path = os.path.join(out_dir, name)
        if os.path.isfile(path):
            read_log(path)


def read_log(path):
    """``(columns, rows)`` of a CSV log of a run, each row a dict; ``UsageError`` if it is not one.

    A log is UTF-8 text whose first column is ``epoch``, an integer in every row.
    """
    try:
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            columns = list(reader.fieldnames or [])
            rows = list(reader)
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not a log of npgan (it is not text); move it away to go on "
                         "without it") from None
    except (OSError, csv.Error) as exc:
        raise UsageError(f"{path} cannot be read as a log of npgan ({exc}); move it away to go on "
                         "without it") from None
    if columns and columns[0] != "epoch":
        raise UsageError(f"{path} is not a log of npgan (its first column is {columns[0][:40]!r}, "
                         "not 'epoch'); move it away to go on without it")
    for line, row in enumerate(rows, start=2):
        try:
            int(row["epoch"])
        except (TypeError, ValueError):
            raise UsageError(f"{path}, line {line}: the epoch {str(row['epoch'])[:40]!r} is not an integer; "
                             "move the file away to go on without it") from None
    return columns, rows


def check_log(out_dir, columns, checkpoint):
    """``UsageError`` unless ``out_dir/log.csv`` (if any) is a log of the run in ``checkpoint``.

    columns: the log's columns for that run. A log of fewer columns (an older npgan's)
    is accepted; one with a column this run does not log is another run's.
    """
    path = os.path.join(out_dir, "log.csv")
    if not os.path.isfile(path):
        return
    found, _ = read_log(path)
    foreign = [name for name in found if name not in columns]
    if foreign or found[:2] != ["epoch", "seconds"]:
        raise UsageError(f"{path} is the log of another kind of run (columns {', '.join(found)[:120]}), "
                         f"not of {checkpoint}'s (columns {', '.join(columns)}); resume the checkpoint in an "
                         "empty folder, or move the log away")


def _aside_name(out_dir):
    n = 1
    while os.path.exists(f"{out_dir}.replaced-{n}"):
        n += 1
    return f"{out_dir}.replaced-{n}"


def _check_resume(out_dir, resume, overwrite, words):
    """The refusals of a resume (see the module docstring), before anything is written."""
    if overwrite:
        raise UsageError(f"{words['overwrite']} starts a new run and cannot be combined with resuming "
                         f"{resume}, which continues one")
    source = os.path.dirname(os.path.abspath(resume))
    if os.path.abspath(out_dir) == source:
        return
    holder = trained_by(source)
    if holder is not None:
        raise UsageError(f"{resume} belongs to a run that another npgan process (pid {holder}) is training; "
                         "its checkpoint changes every epoch, so a resume elsewhere would fork that run: "
                         "wait for it to finish or stop it (or copy the checkpoint and resume the copy)")
    if holds_a_run(out_dir):
        raise UsageError(f"{out_dir} already holds another run; resume {resume} in its own folder "
                         "or into an empty one")


def claim(out_dir, resume=None, overwrite=False, words=COMMAND_WORDS, log_columns=None):
    """Check, prepare and lock ``out_dir`` for a run; ``UsageError`` in one line if it cannot.

    resume: the checkpoint a resumed run continues from (``None`` for a new run; ``True``
    for a resume whose checkpoint is in ``out_dir``). log_columns: the columns of the
    resumed run's ``log.csv``, which a log in ``out_dir`` must match (``check_log``),
    checked before anything is written. words: how the refusals name the
    ways to go on (``COMMAND_WORDS`` or ``PYTHON_WORDS``). Returns ``(lock, moved)`` where
    ``lock`` is the ``RunLock`` and ``moved`` where an overwritten run went (or ``None``).
    """
    out_dir = os.path.normpath(os.fspath(out_dir))
    parent = os.path.dirname(os.path.abspath(out_dir))
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise UsageError(f"output directory {out_dir} is a file")
    if not os.path.isdir(parent) and os.path.exists(parent):
        raise UsageError(f"output directory {out_dir} is under {parent}, which is a file")
    if resume and resume is not True:
        _check_resume(out_dir, os.fspath(resume), overwrite, words)
    elif resume and overwrite:
        raise UsageError(f"{words['overwrite']} starts a new run and cannot be combined with resuming one")
    moved = None
    if not resume and holds_a_run(out_dir):
        if not overwrite:
            checkpoint = os.path.join(out_dir, "checkpoint.npz")
            if os.path.isfile(checkpoint):
                how = f"continue it with {words['resume'].format(checkpoint)}, or train into {words['out']}"
            else:
                how = f"it has no checkpoint to continue from: train into {words['out']}"
            raise UsageError(f"{out_dir} already holds a run; {how} "
                             f"(or pass {words['overwrite']} to move the old run aside)")
        RunLock(out_dir, words).release()  # refuse to move a folder that is training right now
        moved = _aside_name(out_dir)
        try:
            os.rename(out_dir, moved)
        except OSError as exc:
            raise UsageError(f"cannot move the run in {out_dir} aside to {moved} ({exc.strerror})") from None
    elif os.path.isdir(out_dir):
        check_parts(out_dir)
        if resume and log_columns is not None:
            check_log(out_dir, log_columns, resume if resume is not True else "the checkpoint")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create output directory {out_dir} ({exc.strerror})") from None
    reason = writable(out_dir)
    if reason is not None:
        raise UsageError(f"output directory {out_dir} is not writable ({reason})")
    lock = RunLock(out_dir, words)
    for path in stale_temporaries(out_dir):  # a killed run's; the lock says no one writes them now
        try:
            os.unlink(path)
        except OSError:
            pass
    return lock, moved
