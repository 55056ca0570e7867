"""What the trainer trains for a BiGAN ("bigan" family), its run folder's pictures, and its files.

``BiGANModel(config)`` holds a ``BiGAN`` (``bigan.build_bigan``), one optimiser each for
D, E and G, and the stream of real minibatches (``gan_model.real_batches``); it owns one
iteration (``step``), the loop around it is ``train.Trainer``. A checkpoint holds
``D/``, ``E/``, ``G/`` and ``opt_D/``, ``opt_E/``, ``opt_G/`` and names its optimisers in
its state. ``common.save_model_file`` writes E and G alone (``pretrained/``); ``load_bigan`` is
the family's loader (``npgan.load``).
"""

import os

from npgan import plots
from npgan.backend import Random, asarray, get_backend
from npgan.checkpoint import load_into, restore_training_parts, training_parts
from npgan.datasets import GREY_28, OWN
from npgan.datasets.toy import make_toy
from npgan.models.common import (
    blas_threads_for,
    build_optimizer,
    data_logit_mean,
    image_shape,
    image_split,
    load_discriminator,
    momentum_ramp,
    set_epoch_momentum,
)
from npgan.models.gan.training import real_batches
from npgan.models.inference.bigan import build_bigan
from npgan.nn.remedies import annealed_std

OPTIMIZED = ("D", "E", "G")  # each with its own optimiser
HELD_OUT = 1000  # codes (Random(seed + 1)) and validation images (or toy draws) scored after every epoch


class BiGANModel:
    """One iteration of BiGAN training, and its state.

    The run's randomness (initial weights, the order of the examples, noise, dropout
    masks) comes from one ``Random(config.seed)``, saved in every checkpoint, so a
    resumed run on NumPy ends bit-identical to an uninterrupted one. ``gan`` is the
    ``BiGAN`` (what ``train.train`` returns).
    """

    stat_names = ("d_loss", "eg_loss", "d_real", "d_fake")
    log_fields = stat_names + ("held_out_code_mse", "valid_pixel_mse", "lr")

    def __init__(self, config):
        self.config = config
        self.rng = Random(config.seed)
        self.data = real_batches(config, self.rng)
        bias = None
        if config.dataset in ("mnist", OWN) and config.g_output_bias == "data_logit_mean":
            bias = data_logit_mean(self.data.x, config.dtype)
        self.gan = build_bigan(config, self.rng, bias)
        self.gan.config, self.gan.state = config, {}  # as a loaded one carries them
        # E's rate and floor are e_lr_ratio times D's, G's g_lr_ratio times D's (two time scales)
        ratios = {"D": 1.0, "E": config.e_lr_ratio, "G": config.g_lr_ratio}
        self.optimizers = {name: build_optimizer(config.replace(lr=config.lr * ratios[name],
                                                                lr_min=config.lr_min * ratios[name]),
                                                 getattr(self.gan, name)) for name in OPTIMIZED}
        self.momentum = momentum_ramp(config)
        self.iterations_per_epoch = self.data.batches_per_epoch // (1 if config.update == "simultaneous" else config.k)
        if self.iterations_per_epoch < 1:
            raise ValueError(f"k = {config.k} discriminator steps need more than the {self.data.batches_per_epoch} "
                             f"minibatches of an epoch; expected k <= {self.data.batches_per_epoch}")
        self._held_out = None  # (z, images): what end_epoch scores, drawn at its first call
        self.epoch = 0  # the epoch being run (begin_epoch), for the instance noise's annealing

    @property
    def trained(self):
        """The trained object, as ``npgan.load`` gives it from this run's checkpoint."""
        return self.gan

    @property
    def blas_threads(self):
        """1 when the largest product of a step is too small to share between BLAS threads, else ``None``."""
        return blas_threads_for([getattr(self.gan, name) for name in OPTIMIZED], 2 * self.config.batch_size)

    def begin_epoch(self, epoch, fresh):
        self.epoch = epoch
        if fresh:
            self.data.new_epoch()
        set_epoch_momentum(self.config, self.momentum, self.optimizers.values(), epoch)

    def step(self, i):
        """Iteration ``i``: k steps of D, then one of E and G on the last real minibatch (or the simultaneous step)."""
        c, gan, opt = self.config, self.gan, self.optimizers
        noise = annealed_std(c.instance_noise, c.instance_noise_epochs * self.iterations_per_epoch,
                             self.epoch * self.iterations_per_epoch + i)
        if c.update == "simultaneous":
            return gan.simultaneous_step(self.data.batch(i), opt["D"], opt["E"], opt["G"], noise)
        for j in range(c.k):
            real = self.data.batch(i * c.k + j)
            out = gan.d_step(real, opt["D"], noise)
        out.update(gan.eg_step(real, opt["E"], opt["G"], noise))
        return out

    def _held_out_set(self):
        if self._held_out is None:
            c = self.config
            z = self.gan.sample_noise(HELD_OUT, Random(c.seed + 1))
            if c.dataset in GREY_28 + (OWN,):
                x = asarray(image_split(c).valid_x[:HELD_OUT], dtype=c.dtype)
            else:
                x = make_toy(c.dataset).sample(HELD_OUT, Random(c.seed + 2), c.dtype)
            self._held_out = z, x
        return self._held_out

    def end_epoch(self, epoch):
        """The log's extra fields: ``held_out_code_mse`` (``E(G(z))`` against ``z``), ``valid_pixel_mse``
        (``G(E(x))`` against ``x``: MNIST's or your own validation images, or fresh draws of toy data), ``lr``."""
        xp = get_backend()
        z, x = self._held_out_set()
        codes = self.gan.encode(self.gan.G.forward(z, training=False))
        optimizer = self.optimizers["G"]
        return {"held_out_code_mse": float(xp.mean((codes - z) ** 2)),
                "valid_pixel_mse": float(xp.mean((self.gan.reconstruct(x) - x) ** 2)),
                "lr": optimizer.lr_schedule(optimizer.updates - 1)}

    def checkpoint_parts(self, mid_epoch):
        networks = {name: getattr(self.gan, name) for name in OPTIMIZED}
        return training_parts(networks, self.optimizers, self.rng, self.data, mid_epoch)

    def restore(self, path, state, arrays):
        networks = {name: getattr(self.gan, name) for name in OPTIMIZED}
        restore_training_parts(path, state, arrays, networks, self.optimizers, self.rng, self.data)


def bigan_outputs(model, epoch, out_dir, say):
    """Every ``sample_every`` epochs and at the last: ``samples/epoch-NNNN.png`` and, for images
    (MNIST, your own), ``reconstructions/epoch-NNNN.png`` (the first 50 test images above
    ``G(E(x))``). Neither moves the training stream."""
    c = model.config
    if epoch == 0 or not c.sample_every or (epoch % c.sample_every and epoch != c.epochs):
        return
    shape = image_shape(c) if c.dataset == OWN else None
    plots.save_samples(model.gan, c.dataset, os.path.join(out_dir, "samples", f"epoch-{epoch:04d}.png"),
                       title=f"epoch {epoch}", shape=shape)
    if c.dataset in ("mnist", OWN):
        originals = asarray(image_split(c).test_x[:50], dtype=c.dtype)
        path = os.path.join(out_dir, "reconstructions", f"epoch-{epoch:04d}.png")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        plots.originals_and_reconstructions(originals, model.gan.reconstruct(originals), path, shape=shape)


def load_bigan(path, config, state, arrays, averaged=False):
    """The ``BiGAN`` of a training checkpoint (G, E and D) or a model file (G and E; ``D`` is ``None``)."""
    gan = build_bigan(config, Random(config.seed))
    load_into(path, arrays, "G", gan.G)
    load_into(path, arrays, "E", gan.E)
    load_discriminator(path, arrays, state, gan)
    gan.config, gan.state = config, state
    return gan
