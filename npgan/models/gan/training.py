"""A GAN from a ``Config``, and ``GANModel``: what the trainer trains for a GAN.

``build_gan`` makes the networks (the paper's initial output bias is
``common.data_logit_mean``), ``build_optimizers`` the two optimisers (momentum SGD or
Adam). ``GANModel`` holds them with the real data stream and owns one training iteration
(``step``) and its state; the loop around it, with checkpoints, logs and signals, is
``train.Trainer``. Every parameter is drawn from the ``Random`` passed in (``GANModel``:
``Random(config.seed)``); nothing here has a seed of its own. ``load_gan`` builds the GAN
a file describes and fills it.
"""

import copy
import os
import time

from npgan.backend import Random, asarray, get_backend
from npgan.checkpoint import CheckpointError, NamedArrays, load_into, optimizer_state
from npgan.datasets import GREY_28, OWN
from npgan.datasets.batches import DistributionBatches, ShuffledBatches
from npgan.datasets.toy import make_toy
from npgan.models.common import (
    blas_threads_for,
    build_optimizer,
    data_logit_mean,
    feature_count,
    load_discriminator,
    momentum_ramp,
    set_epoch_momentum,
    training_images,
)
from npgan.models.gan.model import GAN
from npgan.nn import mlp
from npgan.nn.image_layers import measure_running_statistics
from npgan.nn.remedies import annealed_std


def build_gan(config, rng, output_bias=None):
    """The ``GAN`` a ``Config`` describes, its parameters drawn from ``rng``.

    output_bias: the generator's initial output bias (``data_logit_mean`` of the training
    images, for ``g_output_bias = "data_logit_mean"``), or ``None`` for zeros.
    """
    features = feature_count(config)
    G = mlp.generator(config.noise_dim, config.g_hidden, features, rng, config.g_output,
                         config.g_init_range, output_bias, config.dtype)
    D = mlp.discriminator(features, config.d_hidden, rng, config.d_pieces, config.keep_input,
                             config.keep_hidden, config.d_init_range, config.d_activation,
                             config.dtype, config.d_bias_range, config.pack, config.minibatch_std)
    return GAN(G, D, rng, config.noise_dim, config.noise, config.noise_scale, config.gen_loss,
               config.label_smoothing)


def measure_batch_norm(gan, batch_size, batches=20, seed=0):
    """Measure the running statistics of G's batch norms (if any) on ``batches`` minibatches of
    its own samples, from noise of ``Random(seed)``: G's training stream is not touched, and
    the same G always gets the same statistics. For an averaged G, whose averaged running
    statistics belong to no generator (``image_layers.measure_running_statistics``)."""
    rng = Random(seed)
    measure_running_statistics(gan.G, (gan.sample_noise(batch_size, rng) for _ in range(batches)))


def build_optimizers(config, gan):
    """``(d_optimizer, g_optimizer)``: one for D and one for G, each with its own state
    (``common.build_optimizer``); G's rate and its floor are ``config.g_lr_ratio`` times D's
    (two time scales).
    """
    return build_optimizer(config, gan.D), build_optimizer(config, gan.G, config.g_lr_ratio)


class GANModel:
    """What ``train.Trainer`` trains for a GAN: the networks, their optimisers, the real data
    stream, and the running average of G. The trainer owns the loop; this owns one step.

    The whole run's randomness (initial weights, the order of the examples, noise,
    dropout masks) comes from one ``Random(config.seed)``, saved in every checkpoint.
    """

    stat_names = ("d_loss", "g_loss", "d_real", "d_fake")
    # cpu_seconds: the CPU time of the epoch's steps, every thread of the process
    # (time.process_time), for the training-efficiency curves; the pictures and scores after the
    # steps are not counted, and a resumed epoch counts from the resume. Like ``seconds``, a
    # measurement: the checkpoint's copy of the log row leaves it out.
    log_fields = stat_names + ("lr", "momentum", "cpu_seconds")
    timings = ("cpu_seconds",)

    def __init__(self, config):
        self.config = config
        self.rng = Random(config.seed)
        self.data = self.build_data(self.rng)
        bias = None
        if config.dataset in GREY_28 + (OWN,) and config.g_output_bias == "data_logit_mean":
            bias = data_logit_mean(self.data.x, config.dtype)
        self.gan = self.build_networks(self.rng, bias)
        self.d_optimizer, self.g_optimizer = build_optimizers(config, self.gan)
        self.momentum = momentum_ramp(config)
        self.iterations_per_epoch = self.data.batches_per_epoch // (1 if config.update == "simultaneous" else config.k)
        if self.iterations_per_epoch < 1:
            raise ValueError(f"k = {config.k} discriminator steps need more than the "
                             f"{self.data.batches_per_epoch} minibatches of an epoch; expected k <= "
                             f"{self.data.batches_per_epoch}")
        self.g_average, self.n_averaged = None, 0  # mean of G's parameters (average_from)
        self.figure1 = []  # panels of Figure 1 drawn so far (1-D data)
        self.epoch = 0  # the epoch being trained (from 0), for the instance-noise schedule

    # What a family built on this model changes (npgan.models.dcgan.model: other networks and data sets).

    @property
    def trained(self):
        """The trained object, as ``npgan.load`` gives it from this run's checkpoint."""
        return self.gan
    def build_networks(self, rng, output_bias):
        """The ``GAN`` this model trains, its parameters drawn from ``rng``."""
        return build_gan(self.config, rng, output_bias)

    def build_data(self, rng):
        """The stream of real minibatches (``batches``)."""
        return real_batches(self.config, rng)

    @property
    def blas_threads(self):
        """1 for networks whose products are too small to share between BLAS threads, else ``None``."""
        return blas_threads_for((self.gan.G, self.gan.D), 2 * self.config.batch_size)  # D sees two batches at once

    def begin_epoch(self, epoch, fresh):
        """Before the steps of epoch ``epoch`` (0-based); ``fresh``: from its first step, not a resume."""
        self.epoch = epoch
        self._cpu_start = time.process_time()
        if fresh:
            self.data.new_epoch()
        set_epoch_momentum(self.config, self.momentum, (self.d_optimizer, self.g_optimizer), epoch)

    def step(self, i):
        """Iteration ``i`` of the epoch: Algorithm 1's k discriminator steps, then one generator step."""
        config, gan = self.config, self.gan
        # Instance noise, annealed over the run's iterations (a "gan"-family remedy: Config
        # refuses it for the others, whose steps take no input_noise).
        noise = {}
        if config.instance_noise:
            t = self.epoch * self.iterations_per_epoch + i
            noise["input_noise"] = annealed_std(config.instance_noise,
                                                config.instance_noise_epochs * self.iterations_per_epoch, t)
        if config.update == "simultaneous":
            out = gan.simultaneous_step(self.data.batch(i), self.d_optimizer, self.g_optimizer, **noise)
        else:
            for j in range(config.k):  # lines 2-6: k steps of the discriminator, each on a fresh minibatch
                out = gan.d_step(self.data.batch(i * config.k + j), self.d_optimizer, **noise)
            out.update(gan.g_step(self.data.batch_size, self.g_optimizer, **noise))  # lines 7-8: one generator step
        if config.average_rate and self.epoch + 1 >= config.average_from:
            self._fold_into_average(config.average_rate)
        return out

    def end_epoch(self, epoch):
        """After the last step of epoch ``epoch`` (now 1-based: epochs done); returns the log's extra fields.

        ``lr`` is the learning rate of the epoch's last update, ``momentum`` the epoch's momentum.
        """
        cpu_seconds = time.process_time() - self._cpu_start
        if self.config.average_from and not self.config.average_rate and epoch >= self.config.average_from:
            self._fold_into_average(None)
        opt = self.g_optimizer
        return {"lr": opt.lr_schedule(opt.updates - 1), "momentum": opt.momentum, "cpu_seconds": cpu_seconds}

    def _fold_into_average(self, rate):
        """Fold G's parameters as they are now into their average (float64).

        ``rate`` None: the plain mean, mean_n = mean_{n-1} + (p - mean_{n-1}) / n, which after
        n epochs is the average of the n end-of-epoch generators (Polyak averaging of the
        iterates). A ``rate`` r: the exponential average avg <- avg + r (p - avg), after every
        step. Either starts at G's parameters; ``n_averaged`` counts what was folded in.
        """
        self.n_averaged += 1
        if self.g_average is None:
            self.g_average = {key: p.astype("float64") for key, p in self.gan.G.params.items()}
            return
        for key, p in self.gan.G.params.items():
            mean = self.g_average[key]
            mean += (p - mean) * (rate or 1.0 / self.n_averaged)

    def averaged_gan(self):
        """A copy of the GAN whose G holds the averaged parameters (``None`` before any), its batch
        norms' running statistics measured on its own samples (``measure_batch_norm``)."""
        if self.g_average is None:
            return None
        gan = copy.copy(self.gan)
        gan.G = self.build_networks(Random(0), None).G  # a fresh G (a deep copy would copy the layers' caches too)
        for key, value in gan.G.params.items():
            value[...] = self.g_average[key].astype(value.dtype)
        measure_batch_norm(gan, self.config.batch_size)
        return gan

    # ---- checkpoints -----------------------------------------------------------------

    def checkpoint_parts(self, mid_epoch):
        """``(state, networks, optimizers)`` for ``checkpoint.save``; ``state`` is JSON-ready."""
        state = {"rng": self.rng.get_state(), "figure1": self.figure1}
        if mid_epoch:
            state["order"] = self.data.state()
        networks = {"G": self.gan.G, "D": self.gan.D}
        if self.g_average is not None:
            state["n_averaged"] = self.n_averaged
            networks["Gavg"] = NamedArrays(self.g_average)
        return state, networks, {"G": self.g_optimizer, "D": self.d_optimizer}

    def restore(self, path, state, arrays):
        """Parameters, optimisers, random state and averages from a checkpoint read from ``path``."""
        load_into(path, arrays, "G", self.gan.G)
        load_into(path, arrays, "D", self.gan.D)
        self.g_optimizer.load_state_dict(optimizer_state(arrays, "G"))
        self.d_optimizer.load_state_dict(optimizer_state(arrays, "D"))
        self.rng.set_state(state["rng"])
        self.data.restore(state.get("order"))
        self.figure1 = state.get("figure1", [])
        self.n_averaged = int(state.get("n_averaged", 0))
        if self.n_averaged:
            xp = get_backend()
            self.g_average = {key: xp.zeros(p.shape, dtype="float64") for key, p in self.gan.G.params.items()}
            load_into(path, arrays, "Gavg", NamedArrays(self.g_average))


def real_batches(config, rng):
    """The stream of real minibatches: the training images of (Fashion-)MNIST or your own in shuffled
    epochs, or a toy distribution.

    A minibatch holds ``batch_size * pack`` examples: with PacGAN's packing
    (``config.pack``), ``batch_size`` counts D's packed rows.
    """
    m = config.batch_size * config.pack
    if config.dataset in GREY_28 + (OWN,):
        return ShuffledBatches(asarray(training_images(config, m), dtype=config.dtype), m, rng)
    return DistributionBatches(make_toy(config.dataset), m, config.iters_per_epoch, rng, config.dtype)


def load_gan(path, config, state, arrays, averaged=False, build=build_gan):
    """The GAN of a checkpoint already read (``checkpoint.read``), its networks made by ``build``.

    A training checkpoint gives G and D; a generator file (``pretrained/``) gives G,
    and ``gan.D`` is ``None``. ``averaged=True`` takes G's parameters from the running
    mean that a run with ``average_from`` keeps (training checkpoints only). The GAN's
    noise comes from ``Random(config.seed)``; pass your own ``Random`` to
    ``gan.sample(n, rng=...)`` for other draws.
    """
    rng = Random(config.seed)
    gan = build(config, rng)
    if averaged and not state.get("n_averaged"):
        raise CheckpointError(
            f"{os.fspath(path)}: holds no averaged generator (a training checkpoint of a run with "
            f"average_from > 0, from epoch average_from on, has one)")
    load_into(path, arrays, "Gavg" if averaged else "G", gan.G)
    load_discriminator(path, arrays, state, gan)
    if averaged:
        measure_batch_norm(gan, config.batch_size)
        if config.average_rate:  # an exponential average over the steps since epoch average_from began
            state["moving_average"] = {"rate": config.average_rate, "steps": int(state["n_averaged"]),
                                       "from_epoch": config.average_from}
        else:  # the mean runs over the ends of the last n_averaged epochs
            last = int(state["epoch"])
            state["averaged_epochs"] = list(range(last - int(state["n_averaged"]) + 1, last + 1))
    gan.config, gan.state = config, state
    return gan
