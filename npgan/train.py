"""The training loop: epochs, checkpoints, logs, signals and resume, for any model.

``Trainer(model, out_dir)`` runs ``model`` until ``model.config.epochs``. The loop owns
the epochs, the run folder and the faults; the model owns one training step, what that
step consumes, and its state. A model has:

    config                          the run's ``Config`` (saved in every checkpoint)
    stat_names                      statistics each step returns (0-d arrays), logged as epoch means
    log_fields                      stat_names and the extra fields ``end_epoch`` returns
    iterations_per_epoch            steps in one epoch
    blas_threads                    BLAS threads to use (1 for tiny networks; None: all)
    begin_epoch(epoch, fresh)       before an epoch's steps (``fresh``: not resumed inside it)
    step(i) -> {stat: value}        iteration ``i`` of the epoch
    end_epoch(epoch) -> {field: value}   after its last step (``epoch``: epochs now done)
    checkpoint_parts(mid_epoch) -> (state, networks, optimizers)
    restore(path, state, arrays)    the inverse, from a checkpoint
    trained                         the trained object (what ``npgan.load`` gives from the checkpoint)

and ``outputs(model, epoch, out_dir, say)``, given beside it, writes pictures and
evaluations after each epoch, just before its checkpoint (and at epoch 0, before a new
run's first step). An epoch that is run again after a crash redoes them, so they must
replace, not repeat, what they wrote for it.

A run directory ``OUT`` holds ``checkpoint.npz`` (every epoch end, and on SIGINT/SIGTERM)
and ``log.csv`` (one row per epoch: seconds and the model's log fields), and whatever
``outputs`` writes (for a GAN, ``gan_outputs``: samples, Figure 1, Parzen logs), and the
training movie (``npgan.movie``): a snapshot ``movie/epoch-NNNN.npz`` beside the outputs of
about 50 epochs, drawn into ``training.gif`` when the run ends (``movie=False``: none).

Faults: SIGINT or SIGTERM sets a flag that is checked after every iteration; the loop
then saves a checkpoint at that point and raises ``Interrupted`` (the command line exits
non-zero and prints how to resume). A file of the run that cannot be written (a full
disk, a refused write, a picture folder that is a file) raises ``RunFault``, one line
saying what was kept and the command that resumes: an epoch whose pictures fail is saved
all the same (no epoch is lost to a picture), and a checkpoint that cannot be written
leaves the previous one whole (``files.atomic_write``). A NaN or Inf in a statistic raises
``NonFiniteError`` naming the epoch and iteration; no checkpoint is written after it, so
the last good one stays. At an epoch's end the checkpoint is written before the log
row, and the row is also kept in the checkpoint (without its seconds), so a resume
repairs ``log.csv`` to exactly the rows of the epochs the checkpoint holds: after any
interrupt the log equals an uninterrupted run's, seconds aside (a row restored from the
checkpoint reads ``nan`` seconds), and so do the checkpoint's bytes. On the NumPy backend a resumed run ends
bit-identical to an uninterrupted one.
"""

import csv
import errno
import io
import os
import signal
import time

import numpy

from npgan import checkpoint
from npgan import movie as movies
from npgan.backend import blas_threads, get_backend, keep_freed_memory, to_numpy
from npgan.errors import FaultError
from npgan.files import WriteError, atomic_write, write_error
from npgan.models import family
from npgan.models.common import own_data
from npgan.progress import Progress, silenced
from npgan.runfolder import PYTHON_WORDS, check_log, claim, read_log

CHECK_EVERY = 50  # iterations between NaN checks (each check is one device->host copy)


class Interrupted(Exception):
    """Training stopped by a signal after saving a checkpoint."""


class NonFiniteError(FloatingPointError):
    """A training statistic became NaN or Inf."""


class RunFault(FaultError):
    """A file of the run could not be written; the message says what was kept and how to go on."""


def _cannot_write(exc, what):
    """One phrase for an ``OSError`` met while writing ``what`` (a path, when the error names none)."""
    if isinstance(exc, WriteError):
        return str(exc)
    return str(write_error(getattr(exc, "filename", None) or what, exc))


class Trainer:
    """Runs a model's epochs into ``out_dir``; ``run()`` trains to ``model.config.epochs``."""

    def __init__(self, model, out_dir, outputs=None, quiet=False, progress=None, movie=True):
        self.model, self.config, self.outputs, self.movie = model, model.config, outputs, movie
        self.out_dir, self.quiet = os.fspath(out_dir), quiet
        self.progress = not quiet if progress is None else progress  # how it shows: npgan.progress
        self.epoch, self.iteration = 0, 0
        self.stats = None  # (iterations, stats) of the current epoch, on the backend
        self.stop_signal = None
        self._saved_any = False
        self._saved_at = None  # (epoch, iteration) of the last checkpoint written or restored
        self._last_checkpoint = None  # and its path
        self._resumed_log_row = None  # set by restore; run() repairs the log with it

    @property
    def checkpoint_path(self):
        return os.path.join(self.out_dir, "checkpoint.npz")

    @property
    def log_path(self):
        return os.path.join(self.out_dir, "log.csv")

    @property
    def log_columns(self):
        """The columns of ``log.csv``: epoch, seconds and the model's log fields."""
        return ["epoch", "seconds", *self.model.log_fields]

    @property
    def _timings(self):
        """The log's measured times (wall clock, and the model's own, such as CPU time)."""
        return ("seconds", *getattr(self.model, "timings", ()))

    def _resume_command(self):
        return f"npgan train --resume {self._last_checkpoint or self.checkpoint_path}"

    # ---- checkpoints -------------------------------------------------------------

    def save(self, log_row=None):
        """Write the checkpoint; ``log_row``: the epoch's log row, kept (seconds aside) to repair the log."""
        mid_epoch = self.iteration > 0
        state, networks, optimizers = self.model.checkpoint_parts(mid_epoch)
        if log_row is not None:  # the times measured stay out: the same run, the same bytes
            log_row = {key: value for key, value in log_row.items() if key not in self._timings}
        state.update(epoch=self.epoch, iteration=self.iteration, log_row=log_row)
        data = own_data(self.config)
        if data is not None:  # your own images: what they were, so that a resume on others is refused
            state["data"] = data.fingerprint.record()
        if mid_epoch:  # inside an epoch: keep the statistics so far
            state["stats"] = to_numpy(self.stats[:self.iteration]).tolist()
        try:
            checkpoint.save(self.checkpoint_path, self.config, state, networks, optimizers)
        except WriteError as exc:
            fix = "free some space" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "fix that"
            if self._saved_at is None:
                then = (f"no checkpoint was written before it: {fix}, then start the run again "
                        "(--overwrite moves this one aside)")
            else:
                epoch, iteration = self._saved_at
                at = f"epoch {epoch}" + (f", iteration {iteration}" if iteration else "")
                then = f"the checkpoint of {at} is whole: {fix}, then resume with: {self._resume_command()}"
            raise RunFault(f"{exc}; {then}") from None
        self._saved_any = True
        self._saved_at, self._last_checkpoint = (self.epoch, self.iteration), self.checkpoint_path

    def restore(self, path):
        """Continue from the checkpoint at ``path``: the model's state and the loop's counters."""
        _, state, arrays = checkpoint.read(path)
        if state["kind"] != "training":
            raise checkpoint.CheckpointError(f"{path}: a generator-only file cannot be resumed")
        data = own_data(self.config)
        differs = data.fingerprint.differs(state.get("data")) if data is not None else ""
        if differs:
            raise checkpoint.CheckpointError(f"{path} {differs}; resume it on the data it was trained on")
        self.model.restore(path, state, arrays)
        self.epoch, self.iteration = int(state["epoch"]), int(state["iteration"])
        if self.iteration:
            stats = numpy.asarray(state["stats"], dtype=numpy.float64)
            self._new_stats()
            self.stats[:self.iteration] = get_backend().asarray(stats)
        self._saved_any = True
        self._saved_at, self._last_checkpoint = (self.epoch, self.iteration), os.fspath(path)
        self._resumed_log_row = state.get("log_row")

    def _repair_log(self, last_row):
        """Make ``log.csv`` hold exactly the rows of epochs 1..epoch (the checkpoint's), rewritten atomically.

        A row cut short (a process killed, or a disk that filled, while appending it) is
        dropped, and the checkpoint's own row of its epoch put in its place.
        """
        if not os.path.exists(self.log_path):
            return
        _, found = read_log(self.log_path)
        rows = [row for row in found if int(row["epoch"]) <= self.epoch
                and None not in row and None not in row.values()]
        if last_row and self.epoch and (not rows or int(rows[-1]["epoch"]) < self.epoch):
            rows.append({**last_row, **dict.fromkeys(self._timings, "nan")})  # lost after the checkpoint
        columns = self.log_columns

        def write(f):
            text = io.StringIO(newline="")
            writer = csv.DictWriter(text, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
            f.write(text.getvalue().encode())

        try:
            atomic_write(self.log_path, write)
        except WriteError as exc:
            raise RunFault(f"{exc}; nothing was trained or lost: fix that, then resume with: "
                           f"{self._resume_command()}") from None

    # ---- the loop -----------------------------------------------------------------

    def run(self):
        """Train until ``config.epochs``; returns the model."""
        os.makedirs(self.out_dir, exist_ok=True)
        if self._saved_any:  # resumed: the log holds exactly the checkpoint's epochs
            check_log(self.out_dir, self.log_columns, self._last_checkpoint)
            self._repair_log(self._resumed_log_row)
        keep_freed_memory()  # each step's large temporaries reuse the last step's pages
        handlers = {s: signal.signal(s, self._handle_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            with blas_threads(self.model.blas_threads), silenced(not self.progress):
                if self.epoch == 0 and self.iteration == 0:
                    try:
                        self._outputs()  # the run as initialised
                    except OSError as exc:
                        raise RunFault(f"{_cannot_write(exc, self.out_dir)}; nothing was trained yet") from None
                while self.epoch < self.config.epochs:
                    self._run_epoch()
                self._write_movie()
        finally:
            for s, h in handlers.items():
                signal.signal(s, h)
        return self.model

    def _handle_signal(self, signum, frame):
        self.stop_signal = signum

    def _new_stats(self):
        shape = (self.model.iterations_per_epoch, len(self.model.stat_names))
        self.stats = get_backend().zeros(shape, dtype="float64")

    def _run_epoch(self):
        n = self.model.iterations_per_epoch
        fresh = self.iteration == 0
        if fresh:
            self._new_stats()
        self.model.begin_epoch(self.epoch, fresh)
        bar = self._progress_bar(n)
        start = time.perf_counter()
        while self.iteration < n:
            out = self.model.step(self.iteration)
            for j, name in enumerate(self.model.stat_names):
                self.stats[self.iteration, j] = out[name]
            self.iteration += 1
            if bar is not None:
                bar.update(1)
            if self.iteration % CHECK_EVERY == 0 or self.iteration == n or self.stop_signal:
                self._check_finite(self.iteration)
            if self.stop_signal and self.iteration < n:
                self.save()
                raise Interrupted(self._interrupt_message())
        if bar is not None:
            bar.close()
        seconds = time.perf_counter() - start
        means = to_numpy(self.stats.mean(axis=0))
        self.epoch, self.iteration = self.epoch + 1, 0
        row = {"epoch": self.epoch, "seconds": seconds, **dict(zip(self.model.stat_names, means)),
               **self.model.end_epoch(self.epoch)}
        row = {key: (f"{value:.6g}" if isinstance(value, float) else str(value)) for key, value in row.items()}
        try:
            self._outputs()  # before the save: what they add to the model's state is saved with it
        except Exception as exc:  # the epoch is trained: no picture may lose it
            self.save(log_row=row)
            self._log(row)
            if isinstance(exc, OSError):
                raise RunFault(f"{_cannot_write(exc, self.out_dir)}; epoch {self.epoch} is saved all the same: "
                               f"fix that, then resume with: {self._resume_command()}") from None
            raise
        self.save(log_row=row)
        self._log(row)
        if self.stop_signal:
            raise Interrupted(self._interrupt_message())

    def _check_finite(self, upto):
        rows = to_numpy(self.stats[:upto])
        bad = ~numpy.isfinite(rows)
        if bad.any():
            i, j = numpy.argwhere(bad)[0]
            last = (f"the last good checkpoint is {self.checkpoint_path}" if self._saved_any
                    else "no checkpoint was written before it")
            raise NonFiniteError(f"{self.model.stat_names[j]} became {rows[i, j]} at epoch {self.epoch + 1}, "
                                 f"iteration {i + 1}; stopped without saving, {last}")

    def _interrupt_message(self):
        name = signal.Signals(self.stop_signal).name
        return (f"{name}: saved {self.checkpoint_path} at epoch {self.epoch}, iteration {self.iteration}; "
                f"resume with: npgan train --resume {self.checkpoint_path}")

    # ---- what the user sees ------------------------------------------------------------

    def _outputs(self):
        if self.outputs is not None:
            self.outputs(self.model, self.epoch, self.out_dir, self._say)
        if self.movie and movies.due(self.epoch, self.config.epochs):
            try:
                movies.capture(self.model, self.epoch, self.out_dir)
            except Exception as exc:  # a picture is not worth a run: say so, and train on
                self._say(f"training movie: no snapshot after epoch {self.epoch} ({type(exc).__name__}: {exc})")

    def _write_movie(self):
        if self.movie:
            for path in movies.write_movie(self.out_dir):
                self._say(f"training movie: {path}")

    def _say(self, text):
        if not self.quiet:
            print(text, flush=True)

    def _progress_bar(self, total):
        if not self.progress:
            return None
        return Progress(total, f"epoch {self.epoch + 1}/{self.config.epochs}", unit="iterations",
                        initial=self.iteration)

    def _log(self, row):
        new = not os.path.exists(self.log_path)
        try:
            with open(self.log_path, "a", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=self.log_columns)
                if new:
                    writer.writeheader()
                writer.writerow(row)
        except OSError as exc:
            raise RunFault(f"{_cannot_write(exc, self.log_path)}; the checkpoint of epoch {self.epoch} holds its "
                           f"row: fix that, then resume with: {self._resume_command()} (which repairs the log)"
                           ) from None
        self._say(f"epoch {self.epoch:4d}/{self.config.epochs}  {float(row['seconds']):6.1f}s  "
                  + "  ".join(f"{name} {float(row[name]):.4g}" for name in self.model.log_fields))


def train(config, out_dir, resume=None, quiet=False, progress=None, overwrite=False):
    """Train ``config`` into ``out_dir`` (optionally resuming a checkpoint); returns the trained model.

    The model is the object ``npgan.load`` gives for the run's checkpoint, of any family
    (``npgan.models``): for a GAN the ``GAN`` itself, ready to sample from; for an
    autoencoder its networks, ready to encode and reconstruct; with ``.config`` and ``.state``.

    The run folder is claimed as ``npgan train`` claims it (``runfolder.claim``): locked
    for the run's life, so that a second run into it is refused while this one trains, and
    a new run refuses a folder that holds one (``UsageError``) unless ``overwrite=True``
    moves the old run aside to ``OUT.replaced-N``.
    """
    chosen = family(config.model)
    trainer = Trainer(chosen.build(config), out_dir, chosen.outputs, quiet=quiet, progress=progress)
    if resume:
        trainer.restore(resume)
    lock, moved = claim(out_dir, resume=resume, overwrite=overwrite, words=PYTHON_WORDS,
                        log_columns=trainer.log_columns)
    try:
        if moved and not quiet:
            print(f"moved the run that was in {out_dir} to {moved}")
        trained = trainer.run().trained
    finally:
        lock.release()
    trained.config = config
    if getattr(trained, "state", None) is None:
        trained.state = {"kind": "training", "epoch": trainer.epoch}
    return trained
