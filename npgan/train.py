"""The training loop: Algorithm 1 in epochs, with logs, pictures, checkpoints and resume.

A run directory ``OUT`` holds:

    checkpoint.npz     the latest checkpoint (every epoch end, and on SIGINT/SIGTERM)
    log.csv            one row per epoch: seconds, objectives, mean D(x), D(G(z)), lr, momentum
    samples/           a picture every ``sample_every`` epochs
    parzen.csv         Parzen-window log-likelihood every ``parzen_every`` epochs (MNIST)
    parzen-averaged.csv  the same for the averaged generator (``average_from`` > 0)
    snapshots/         the generator (float32) at every Parzen evaluation
    figure1.png        the paper's Figure 1 at stages of training (1-D data)

With ``average_from`` = a > 0 the trainer also keeps the mean of G's parameters over the
ends of epochs a, a+1, ... (in the checkpoint as ``Gavg/...``; ``npgan.load(path,
averaged=True)``, ``npgan export --averaged``). Training does not depend on it.

Faults: SIGINT or SIGTERM sets a flag that is checked after every iteration; the loop
then saves a checkpoint at that point and raises ``Interrupted`` (the command line exits
non-zero and prints how to resume). A NaN or Inf in any objective raises
``NonFiniteError`` naming the epoch and iteration; no checkpoint is written after it, so
the last good one stays. ``--resume`` continues exactly where a checkpoint stopped: on
the NumPy backend the parameters end bit-identical to an uninterrupted run.
"""

import copy
import csv
import os
import signal
import sys
import time

import numpy

from npgan import checkpoint, plots
from npgan.backend import Random, asarray, backend_name, blas_threads, get_backend, to_numpy
from npgan.gan import build_gan, data_features
from npgan.optim import ExponentialDecay, LinearRamp, MomentumSGD

LOG_FIELDS = ["epoch", "seconds", "d_loss", "g_loss", "d_real", "d_fake", "lr", "momentum"]
STATS = ["d_loss", "g_loss", "d_real", "d_fake"]
CHECK_EVERY = 50  # iterations between NaN checks (each check is one device->host copy)


class Interrupted(Exception):
    """Training stopped by a signal after saving a checkpoint."""


# Below this many multiply-adds in the largest matrix product of a step, BLAS runs on one
# thread: the toy presets (at most 200 x 128 x 640 = 1.6e7) are far below, MNIST
# (200 x 784 x 1200 = 1.9e8) above.
SMALL_PRODUCT = 10**8


def largest_product(config):
    """Multiply-adds of the largest matrix product in a step (D sees 2 batches at once)."""
    features = data_features(config)
    g = [config.noise_dim, *config.g_hidden, features]
    pieces = config.d_pieces if config.d_activation == "maxout" else 1
    d = [features, *config.d_hidden]
    widths = list(zip(g, g[1:])) + [(a, b * pieces) for a, b in zip(d, d[1:])]
    return 2 * config.batch_size * max(a * b for a, b in widths)


class NonFiniteError(FloatingPointError):
    """An objective became NaN or Inf."""


class _Data:
    """Real minibatches: MNIST in shuffled epochs, or fresh draws from a toy distribution."""

    def __init__(self, config, rng):
        self.config, self.rng = config, rng
        if config.dataset == "mnist":
            from npgan.data import load_mnist

            self.x = asarray(load_mnist().train_x, dtype=config.dtype)
            self.toy = None
            self.iterations = (self.x.shape[0] // config.batch_size) // config.k
        else:
            from npgan.toy import make_toy

            self.x, self.toy = None, make_toy(config.dataset)
            self.iterations = config.iters_per_epoch

    def new_epoch(self):
        """Draw the epoch's order of examples (MNIST); returns it so it can be saved."""
        return None if self.toy else self.rng.permutation(self.x.shape[0])

    def batch(self, order, index):
        """The ``index``-th real minibatch of the epoch."""
        m = self.config.batch_size
        if self.toy is not None:
            return self.toy.sample(m, self.rng, self.config.dtype)
        return self.x[order[index * m:(index + 1) * m]]

    def output_bias(self):
        """Logit of the per-pixel training mean, clipped away from 0 and 1 (paper's G)."""
        if self.toy is not None or self.config.g_output_bias != "data_logit_mean":
            return None
        xp = get_backend()
        mean = xp.clip(self.x.mean(axis=0), 1e-7, 1 - 1e-7)
        return xp.log(mean / (1 - mean)).astype(self.config.dtype)


class Trainer:
    """Holds a run's GAN, optimisers, data and counters; ``run()`` trains to ``config.epochs``."""

    def __init__(self, config, out_dir, quiet=False, progress=None):
        self.config, self.out_dir, self.quiet = config, os.fspath(out_dir), quiet
        self.progress = (not quiet and sys.stderr.isatty()) if progress is None else progress
        self.rng = Random(config.seed)
        self.data = _Data(config, self.rng)
        self.gan = build_gan(config, self.rng, self.data.output_bias())
        c = config
        self.d_opt = MomentumSGD(self.gan.D, c.lr, c.momentum_start, ExponentialDecay(c.lr, c.lr_decay, c.lr_min))
        self.g_opt = MomentumSGD(self.gan.G, c.lr, c.momentum_start, ExponentialDecay(c.lr, c.lr_decay, c.lr_min))
        self.momentum = LinearRamp(c.momentum_start, c.momentum_end, c.momentum_start_epoch, c.momentum_saturate_epoch)
        self.epoch, self.iteration, self.order = 0, 0, None
        self.g_average, self.n_averaged = None, 0  # mean of G's parameters (average_from)
        self.stats = None
        self._stop_signal = None
        self._figure1 = []

    @property
    def checkpoint_path(self):
        return os.path.join(self.out_dir, "checkpoint.npz")

    # ---- checkpoints -------------------------------------------------------

    def save(self):
        state = {"epoch": self.epoch, "iteration": self.iteration, "rng": self.rng.get_state(),
                 "backend": backend_name()}
        if self.iteration:  # inside an epoch: keep the order and the statistics so far
            state["order"] = to_numpy(self.order).tolist() if self.order is not None else None
            state["stats"] = to_numpy(self.stats[:self.iteration]).tolist()
        networks = {"G": self.gan.G, "D": self.gan.D}
        if self.g_average is not None:
            state["n_averaged"] = self.n_averaged
            networks["Gavg"] = checkpoint.Parameters(self.g_average)
        checkpoint.save(self.checkpoint_path, self.config, state, networks, {"G": self.g_opt, "D": self.d_opt})

    def restore(self, path):
        """Load parameters, optimisers, generator state and counters from ``path``."""
        config, state, arrays = checkpoint.read(path)
        if state["kind"] != "training":
            raise checkpoint.CheckpointError(f"{path}: a generator-only file cannot be resumed")
        checkpoint.load_into(path, arrays, "G", self.gan.G)
        checkpoint.load_into(path, arrays, "D", self.gan.D)
        self.g_opt.load_state_dict(checkpoint.optimizer_state(arrays, "G"))
        self.d_opt.load_state_dict(checkpoint.optimizer_state(arrays, "D"))
        self.rng.set_state(state["rng"])
        self.epoch, self.iteration = int(state["epoch"]), int(state["iteration"])
        xp = get_backend()
        self.n_averaged = int(state.get("n_averaged", 0))
        if self.n_averaged:
            self.g_average = {key: xp.zeros(p.shape, dtype="float64") for key, p in self.gan.G.params.items()}
            checkpoint.load_into(path, arrays, "Gavg", checkpoint.Parameters(self.g_average))
        if self.iteration:
            self.order = None if state.get("order") is None else xp.asarray(state["order"])
            self.stats = xp.zeros((self.data.iterations, len(STATS)), dtype="float64")
            self.stats[:self.iteration] = xp.asarray(state["stats"])

    # ---- the loop --------------------------------------------------------------

    def _step(self, index):
        """One iteration of Algorithm 1: k discriminator steps, then one generator step."""
        c, gan = self.config, self.gan
        if c.update == "simultaneous":
            return gan.simultaneous_step(self.data.batch(self.order, index), self.d_opt, self.g_opt)
        for j in range(c.k):  # lines 2-6: k steps of the discriminator
            out = gan.d_step(self.data.batch(self.order, index * c.k + j), self.d_opt)
        out.update(gan.g_step(c.batch_size, self.g_opt))  # lines 7-8: one generator step
        return out

    def _check_finite(self, upto):
        rows = to_numpy(self.stats[:upto])
        bad = ~numpy.isfinite(rows)
        if bad.any():
            i, j = numpy.argwhere(bad)[0]
            raise NonFiniteError(
                f"{STATS[j]} became {rows[i, j]} at epoch {self.epoch + 1}, iteration {i + 1}; "
                f"stopped without saving, the last good checkpoint is {self.checkpoint_path}")

    def _handle_signal(self, signum, frame):
        self._stop_signal = signum

    def run(self):
        """Train until ``config.epochs``; returns the GAN."""
        os.makedirs(self.out_dir, exist_ok=True)
        handlers = {s: signal.signal(s, self._handle_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            with blas_threads(1 if largest_product(self.config) < SMALL_PRODUCT else None):
                if self.config.dataset == "gaussian-1d" and self.epoch == 0 and self.iteration == 0:
                    self._figure1_stage()  # panel "start": G and D as initialised
                while self.epoch < self.config.epochs:
                    self._run_epoch()
        finally:
            for s, h in handlers.items():
                signal.signal(s, h)
        return self.gan

    def _run_epoch(self):
        xp, c, n = get_backend(), self.config, self.data.iterations
        if self.iteration == 0:
            self.order = self.data.new_epoch()
            self.stats = xp.zeros((n, len(STATS)), dtype="float64")
        self.d_opt.momentum = self.g_opt.momentum = self.momentum(self.epoch)
        lr = self.g_opt.lr
        bar = self._progress_bar(n)
        start = time.perf_counter()
        while self.iteration < n:
            out = self._step(self.iteration)
            for j, name in enumerate(STATS):
                self.stats[self.iteration, j] = out[name]
            self.iteration += 1
            if bar is not None:
                bar.update(1)
            if self.iteration % CHECK_EVERY == 0 or self.iteration == n or self._stop_signal:
                self._check_finite(self.iteration)
            if self._stop_signal and self.iteration < n:
                self.save()
                raise Interrupted(self._interrupt_message())
        if bar is not None:
            bar.close()
        seconds = time.perf_counter() - start
        means = to_numpy(self.stats.mean(axis=0))
        self.epoch, self.iteration = self.epoch + 1, 0
        self._update_average()
        row = dict(zip(STATS, means), epoch=self.epoch, seconds=seconds, lr=lr, momentum=self.d_opt.momentum)
        self._log(row)
        self._pictures()
        self.save()
        if self._stop_signal:
            raise Interrupted(self._interrupt_message())

    def _update_average(self):
        """Fold G's parameters at the end of this epoch into their running mean (float64).

        mean_n = mean_{n-1} + (p - mean_{n-1}) / n: after n epochs it is the plain average
        of the n end-of-epoch generators (Polyak averaging of the iterates).
        """
        if not self.config.average_from or self.epoch < self.config.average_from:
            return
        self.n_averaged += 1
        if self.g_average is None:
            self.g_average = {key: p.astype("float64") for key, p in self.gan.G.params.items()}
            return
        for key, p in self.gan.G.params.items():
            mean = self.g_average[key]
            mean += (p - mean) / self.n_averaged

    def averaged_gan(self):
        """A copy of the GAN whose G holds the averaged parameters (``None`` before any)."""
        if self.g_average is None:
            return None
        gan = copy.copy(self.gan)
        gan.G = copy.deepcopy(self.gan.G)
        for key, value in gan.G.params.items():
            value[...] = self.g_average[key].astype(value.dtype)
        return gan

    def _interrupt_message(self):
        name = signal.Signals(self._stop_signal).name
        return (f"{name}: saved {self.checkpoint_path} at epoch {self.epoch}, iteration {self.iteration}; "
                f"resume with: npgan train --resume {self.checkpoint_path}")

    # ---- logs and pictures ------------------------------------------------------

    def _progress_bar(self, total):
        if not self.progress:
            return None
        from tqdm import tqdm

        return tqdm(total=total, initial=self.iteration, desc=f"epoch {self.epoch + 1}/{self.config.epochs}",
                    leave=False, file=sys.stderr)

    def _log(self, row):
        path = os.path.join(self.out_dir, "log.csv")
        new = not os.path.exists(path)
        with open(path, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=LOG_FIELDS)
            if new:
                writer.writeheader()
            writer.writerow({k: (f"{row[k]:.6g}" if isinstance(row[k], float) else row[k]) for k in LOG_FIELDS})
        if not self.quiet:
            print(f"epoch {row['epoch']:4d}/{self.config.epochs}  {row['seconds']:6.1f}s  "
                  f"D loss {row['d_loss']:.4f}  G loss {row['g_loss']:.4f}  "
                  f"D(x) {row['d_real']:.3f}  D(G(z)) {row['d_fake']:.3f}  "
                  f"lr {row['lr']:.4g}  momentum {row['momentum']:.3f}", flush=True)

    def _pictures(self):
        c, e = self.config, self.epoch
        if c.dataset == "gaussian-1d":
            self._figure1_stage()
        if c.sample_every and (e % c.sample_every == 0 or e == c.epochs):
            plots.save_samples(self.gan, c.dataset, os.path.join(self.out_dir, "samples", f"epoch-{e:04d}.png"),
                         title=f"epoch {e}")
        if c.parzen_every and c.dataset == "mnist" and (e % c.parzen_every == 0 or e == c.epochs):
            self._parzen()

    def _figure1_stage(self):
        """Record a Figure 1 panel after epochs 0 (start), 1, a third, and the last."""
        from npgan.toy import make_toy

        c, e = self.config, self.epoch
        if e not in {0, 1, max(2, c.epochs // 3), c.epochs}:
            return
        data = make_toy(c.dataset)
        grid = plots.figure1_grid(data)
        self._figure1.append(plots.figure1_panel(self.gan, data, grid, "start" if e == 0 else f"epoch {e}"))
        plots.figure1(self._figure1, os.path.join(self.out_dir, "figure1.png"),
                      title="Figure 1 from a real run: data (black), G (green), D (blue)")

    def _parzen(self):
        from npgan.data import load_mnist
        from npgan.parzen import parzen_protocol

        mnist = load_mnist()
        snapshot = os.path.join(self.out_dir, "snapshots", f"generator-epoch-{self.epoch:04d}.npz")
        os.makedirs(os.path.dirname(snapshot), exist_ok=True)
        checkpoint.save(snapshot, self.config, {"epoch": self.epoch}, {"G": self.gan.G},
                        kind="generator", dtype="float32")
        for name, gan in (("parzen.csv", self.gan), ("parzen-averaged.csv", self.averaged_gan())):
            if gan is None:
                continue
            samples = gan.sample(10000, rng=Random(self.config.seed + 1))
            result = parzen_protocol(samples, asarray(mnist.valid_x), asarray(mnist.test_x))
            path = os.path.join(self.out_dir, name)
            new = not os.path.exists(path)
            with open(path, "a") as f:
                if new:
                    f.write("epoch,sigma,log_likelihood,standard_error\n")
                f.write(f"{self.epoch},{result['sigma']:.6g},{result['test_ll']:.4f},{result['test_se']:.4f}\n")
            if not self.quiet:
                what = "Parzen" if gan is self.gan else f"Parzen, G averaged over {self.n_averaged} epochs"
                print(f"  {what}: {result['test_ll']:.1f} +- {result['test_se']:.1f} nats "
                      f"(sigma {result['sigma']:.3f})", flush=True)


def train(config, out_dir, resume=None, quiet=False, progress=None):
    """Train ``config`` into ``out_dir`` (optionally resuming a checkpoint); returns the GAN."""
    trainer = Trainer(config, out_dir, quiet=quiet, progress=progress)
    if resume:
        trainer.restore(resume)
    return trainer.run()
