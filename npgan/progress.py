"""Progress of a long wait, with an estimate of the time left, on stderr.

One helper for every command and library function that can work for more than a few
seconds (training epochs, ``evaluate``, ``elbo``, ``parzen``, large ``sample``, ...):

    with Progress(total, "ELBO", unit="images") as bar:
        for chunk in chunks:
            ...
            bar.update(len(chunk))

How it shows depends on where stderr goes:

* a terminal: a tqdm bar (elapsed, rate and time left), drawn only once the wait has
  lasted ``BAR_DELAY`` seconds, so quick calls leave the screen alone;
* anything else (a log file, a notebook, CI): one plain line at most every
  ``$NPGAN_PROGRESS_INTERVAL`` seconds (default 15), the first one after that interval,
  so a wait shorter than it prints nothing, e.g.
  ``npgan: ELBO 4000/10000 images (40%), 1m05s elapsed, about 1m38s left``.

``$NPGAN_PROGRESS`` chooses: ``auto`` (the default, as above), ``bar``, ``lines``, or
``off``. ``silenced()`` turns progress off inside a block (a quiet training run, and the
evaluations it makes between epochs). The estimate is the elapsed time scaled by the
work left, ``elapsed * (total - done) / done``; work whose steps cost unequal amounts
passes its own weights to ``update``.
"""

import contextlib
import math
import os
import sys
import time

DEFAULT_INTERVAL = 15.0  # seconds between plain lines
BAR_DELAY = 2.0  # seconds before a terminal bar appears
MODES = ("auto", "bar", "lines", "off")

_silenced = 0  # depth of ``silenced()`` blocks


def interval():
    """Seconds between plain lines: ``$NPGAN_PROGRESS_INTERVAL``, default 15 (0: at every update)."""
    text = os.environ.get("NPGAN_PROGRESS_INTERVAL", "").strip()
    try:
        value = float(text) if text else DEFAULT_INTERVAL
    except ValueError:
        return DEFAULT_INTERVAL
    return value if math.isfinite(value) and value >= 0 else DEFAULT_INTERVAL


def mode(file=None):
    """``"bar"``, ``"lines"`` or ``"off"``: how progress shows now on ``file`` (default stderr)."""
    if _silenced:
        return "off"
    chosen = os.environ.get("NPGAN_PROGRESS", "auto").strip().lower() or "auto"
    if chosen not in MODES:
        chosen = "auto"
    if chosen != "auto":
        return chosen
    file = sys.stderr if file is None else file
    try:
        return "bar" if file.isatty() else "lines"
    except (AttributeError, ValueError):  # closed, or not a real stream
        return "lines"


@contextlib.contextmanager
def silenced(really=True):
    """No progress inside this block (when ``really``)."""
    global _silenced
    _silenced += bool(really)
    try:
        yield
    finally:
        _silenced -= bool(really)


def _columns(file):
    """The width of the terminal ``file`` writes to (0 when it says none)."""
    try:
        return os.get_terminal_size(file.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 0


def duration(seconds):
    """``"42s"``, ``"3m05s"``, ``"2h07m"``."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _amount(value):
    return f"{value:g}" if isinstance(value, float) and not value.is_integer() else f"{int(value)}"


class Progress:
    """Progress through ``total`` units of work called ``what`` (module docstring).

    unit: what the counts count ("images", "iterations"; "" shows a percentage only).
    initial: work already done (a resumed epoch). file: default stderr. show: ``False``
    for none at all, else the mode of ``mode()``. clock: the time function (tests).
    """

    def __init__(self, total, what, unit="", initial=0, file=None, show=True, clock=time.monotonic):
        self.total, self.what, self.unit = float(total), what, unit
        self.done = float(initial)
        self.file = sys.stderr if file is None else file
        self.clock = clock
        self.start = self._last_line = clock()
        self._initial = float(initial)
        self.mode = mode(self.file) if show else "off"
        self.interval = interval()
        self.lines = 0  # plain lines written
        self._bar = None
        if self.mode == "bar":
            from tqdm import tqdm

            sized = _columns(self.file) > 0  # some terminals (script, CI ptys) report 0 columns
            self._bar = tqdm(total=total, initial=initial, desc=what, unit=f" {unit}" if unit else "it",
                             leave=False, file=self.file, delay=BAR_DELAY, dynamic_ncols=sized,
                             ncols=None if sized else 80, nrows=None if sized else 24)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def update(self, amount=1):
        """``amount`` more units done."""
        self.done += amount
        if self._bar is not None:
            self._bar.update(amount)
        elif self.mode == "lines":
            now = self.clock()
            if now - self._last_line >= self.interval and self.done < self.total:
                self._last_line = now
                self._write(self.line(now))

    def remaining(self, now=None):
        """Estimated seconds left (``None`` before any work was done)."""
        now = self.clock() if now is None else now
        done = self.done - self._initial
        if done <= 0:
            return None
        return (now - self.start) * max(0.0, self.total - self.done) / done

    def line(self, now=None):
        """The plain line for the progress so far."""
        now = self.clock() if now is None else now
        share = 100 * self.done / self.total if self.total else 100.0
        count = f"{share:.0f}%"
        if self.unit:
            count = f"{_amount(self.done)}/{_amount(self.total)} {self.unit} ({count})"
        left = self.remaining(now)
        eta = "time left unknown" if left is None else f"about {duration(left)} left"
        return f"npgan: {self.what} {count}, {duration(now - self.start)} elapsed, {eta}"

    def _write(self, text):
        try:
            print(text, file=self.file, flush=True)
            self.lines += 1
        except (OSError, ValueError):  # the stream went away: progress is not worth failing for
            self.mode = "off"

    def close(self):
        """Finish: remove the bar; after plain lines, one last line saying how long it took."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.mode == "lines" and self.lines:
            self._write(f"npgan: {self.what} done in {duration(self.clock() - self.start)}")
        self.mode = "off"


def track(iterable, what, total=None, unit="", show=True):
    """Yield from ``iterable`` with a ``Progress`` of one unit per item (``total``: its length if it has one)."""
    if total is None:
        total = len(iterable)
    with Progress(total, what, unit=unit, show=show) as progress:
        for item in iterable:
            yield item
            progress.update(1)


def in_chunks(fn, x, what, rows=1000, unit="images", join=None):
    """``fn(x)`` computed ``rows`` rows at a time with progress, the parts joined by ``join``
    (default: the backend's ``concatenate``). For a row-wise ``fn`` the result equals ``fn(x)``."""
    if join is None:
        from npgan.backend import get_backend

        join = get_backend().concatenate
    n = len(x)
    if n <= rows:
        return fn(x)
    parts = []
    with Progress(n, what, unit=unit) as progress:
        for start in range(0, n, rows):
            parts.append(fn(x[start:start + rows]))
            progress.update(min(rows, n - start))
    return join(parts)
