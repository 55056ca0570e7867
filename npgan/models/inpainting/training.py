"""What the trainer trains for the inpainting family ("inpaint"), its pictures, and its files.

``InpaintModel(config)`` holds an ``Inpainter`` (``build_inpainter``), one optimiser each
for D and G, and the stream of training minibatches (MNIST's, or your own grey 28 x 28
images'); it owns one iteration (a D step, then a G step on the same minibatch with
fresh masks and noise); the loop around it is ``train.Trainer``. A checkpoint holds
``G/``, ``D/``, ``opt_G/``, ``opt_D/`` and names its optimisers in its state. ``common.save_model_file`` writes G alone
(``pretrained/``); ``load_inpainter`` is the family's loader (``npgan.load``).
"""

import os

from npgan import plots
from npgan.backend import Random, asarray, get_backend, to_numpy
from npgan.checkpoint import load_into, restore_training_parts, training_parts
from npgan.checkpoint import read as read_checkpoint
from npgan.datasets.batches import ShuffledBatches
from npgan.files import REPOSITORY
from npgan.models.common import (
    blas_threads_for,
    build_optimizer,
    data_logit_mean,
    file_config,
    image_split,
    load_discriminator,
    momentum_ramp,
    set_epoch_momentum,
    training_images,
)
from npgan.models.inpainting.model import MASKS, PIXELS, Inpainter, compose, observed_mask
from npgan.models.inpainting.network import ConvGenerator, SkipGenerator, widen_generator
from npgan.models.inpainting.scores import missing_error_and_spread
from npgan.models.record import article
from npgan.nn import mlp

OPTIMIZED = ("D", "G")
HELD_OUT = 100  # validation images per mask kind scored after every epoch (two completions each)
PICTURE_IMAGES = 3  # validation images per mask kind in the run folder's pictures


def build_inpainter(config, rng, output_bias=None):
    """The ``Inpainter`` a ``Config`` describes: G on [z, u] (noise_dim + 784) -> 784 (``u`` fed to every
    layer with ``inpaint_skip``; convolutional with ``inpaint_conv``), D on [c, mask] (1568)."""
    if config.inpaint_conv:
        G = ConvGenerator(config.noise_dim, config.inpaint_conv, config.g_hidden[0], rng, config.dtype)
    elif config.inpaint_skip:
        G = SkipGenerator(config.noise_dim, config.g_hidden, PIXELS, rng, config.g_init_range, output_bias,
                          config.dtype)
    else:
        G = mlp.generator(config.noise_dim + PIXELS, config.g_hidden, PIXELS, rng, "sigmoid",
                          config.g_init_range, output_bias, config.dtype)
    D = mlp.discriminator(2 * PIXELS, config.d_hidden, rng, config.d_pieces, config.keep_input,
                             config.keep_hidden, config.d_init_range, config.d_activation, config.dtype,
                             config.d_bias_range)
    return Inpainter(G, D, rng, config.noise_dim, config.noise_scale, config.gen_loss, config.inpaint_l2,
                     config.inpaint_diversity)


class InpaintModel:
    """One iteration of inpainting GAN training, and its state.

    The run's randomness (weights, the order of the examples, masks, noise, dropout)
    comes from one ``Random(config.seed)``, saved in every checkpoint, so a resumed run
    on NumPy ends bit-identical to an uninterrupted one.
    """

    stat_names = ("d_loss", "g_loss", "d_real", "d_fake")
    log_fields = stat_names + ("valid_missing_mse", "valid_spread", "lr")

    def __init__(self, config):
        self.config = config
        self.rng = Random(config.seed)
        x = asarray(training_images(config, config.batch_size), dtype=config.dtype)
        self.data = ShuffledBatches(x, config.batch_size, self.rng)
        bias = data_logit_mean(x, config.dtype) if config.g_output_bias == "data_logit_mean" else None
        self.gan = build_inpainter(config, self.rng, bias)
        self._warm_error = None  # an inpaint_start file that is gone: an error only if the run starts afresh
        if config.inpaint_start:
            try:
                warm_start(self.gan.G, config)
            except FileNotFoundError as exc:
                self._warm_error = exc
        self.gan.config, self.gan.state = config, {}  # as a loaded one carries them
        self.optimizers = {name: build_optimizer(config, getattr(self.gan, name)) for name in OPTIMIZED}
        self.momentum = momentum_ramp(config)
        self.iterations_per_epoch = min(self.data.batches_per_epoch,
                                        config.iters_per_epoch or self.data.batches_per_epoch)
        self._held_out = None

    @property
    def trained(self):
        """The trained object, as ``npgan.load`` gives it from this run's checkpoint."""
        return self.gan

    @property
    def blas_threads(self):
        """1 when the largest product of a step is too small to share between BLAS threads, else ``None``."""
        return blas_threads_for([getattr(self.gan, name) for name in OPTIMIZED], 2 * self.config.batch_size)

    def begin_epoch(self, epoch, fresh):
        if self._warm_error is not None and epoch == 0 and fresh:
            raise ValueError(str(self._warm_error))
        if fresh:
            self.data.new_epoch()
        set_epoch_momentum(self.config, self.momentum, self.optimizers.values(), epoch)

    def step(self, i):
        """Iteration ``i``: one D step and one G step, both on minibatch ``i`` (each its own masks and noise)."""
        real = self.data.batch(i)
        out = self.gan.d_step(real, self.optimizers["D"])
        out.update(self.gan.g_step(real, self.optimizers["G"]))
        return out

    def end_epoch(self, epoch):
        """The log's extra fields: on ``HELD_OUT`` validation images per mask kind, two completions
        each, the squared error on the missing pixels and the spread between the two completions
        (``inpainting_scores.missing_error_and_spread``); and the learning rate."""
        x, observed = self._held_out_set()
        completions = self.gan.complete(x, observed, Random(self.config.seed + 1), per_image=2)
        mse, spread = missing_error_and_spread(x, observed, completions, 2)
        optimizer = self.optimizers["G"]
        return {"valid_missing_mse": mse, "valid_spread": spread, "lr": optimizer.lr_schedule(optimizer.updates - 1)}

    def _held_out_set(self):
        if self._held_out is None:
            self._held_out = held_out_set(self.config, HELD_OUT, Random(self.config.seed + 2))
        return self._held_out

    def checkpoint_parts(self, mid_epoch):
        networks = {name: getattr(self.gan, name) for name in OPTIMIZED}
        return training_parts(networks, self.optimizers, self.rng, self.data, mid_epoch)

    def restore(self, path, state, arrays):
        self._warm_error = None  # the checkpoint holds G: the file it started from is not needed
        networks = {name: getattr(self.gan, name) for name in OPTIMIZED}
        restore_training_parts(path, state, arrays, networks, self.optimizers, self.rng, self.data)


def warm_start(G, config):
    """Start ``G`` from the G of the inpainter in ``config.inpaint_start`` (a model file or a training
    checkpoint, as given or under the repository, of the same noise and hidden widths): as it is,
    or, for a skip G (``config.inpaint_skip`` 1), widened (``network.widen_generator``) from a plain G
    or a narrower one, computing the file's G's function at the start. ``ValueError`` naming the
    file and the mismatch, ``FileNotFoundError`` for a missing file (a resumed run does not need it)."""
    path = config.inpaint_start
    if not os.path.isfile(path) and os.path.isfile(os.path.join(REPOSITORY, path)):
        path = os.path.join(REPOSITORY, path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"inpaint_start {config.inpaint_start}: no such file; expected an inpainter's "
                                "model file or training checkpoint (e.g. pretrained/npgan-mnist-inpaint.npz)")
    values, state, arrays = read_checkpoint(path)
    source = file_config(path, values, type(config))
    if source.model != "inpaint":
        raise ValueError(f"inpaint_start {path}: holds {article(source.model)} model; expected an inpainter's")
    same = tuple(source.g_hidden) == tuple(config.g_hidden)
    wider = config.inpaint_skip and len(source.g_hidden) == len(config.g_hidden) and all(
        a <= b for a, b in zip(source.g_hidden, config.g_hidden))
    if source.noise_dim != config.noise_dim or not (same or wider):
        raise ValueError(f"inpaint_start {path}: its G has noise {source.noise_dim} and widths "
                         f"{tuple(source.g_hidden)}, this run's {config.noise_dim} and {tuple(config.g_hidden)} "
                         "(a skip G may be wider, layer by layer)")
    if source.inpaint_skip and not config.inpaint_skip:
        raise ValueError(f"inpaint_start {path}: its G reads the observed pixels in every layer "
                         "(inpaint_skip 1); it cannot start a plain G")
    stored = build_inpainter(source.replace(dtype=config.dtype), Random(0)).G
    load_into(path, arrays, "G", stored)
    if config.inpaint_skip and not (source.inpaint_skip and same):
        widen_generator(stored, G)
    else:
        for key, value in stored.params.items():
            G.params[key][...] = value


def held_out_set(config, per_kind, rng):
    """``(x, observed)``: the first ``per_kind`` validation images (or all, if fewer) under each of the seven masks."""
    xp = get_backend()
    x = asarray(image_split(config).valid_x[:per_kind], dtype=config.dtype)  # fewer if the data has fewer
    observed = xp.concatenate([observed_mask(name, len(x), rng, config.dtype) for name in MASKS])
    return xp.concatenate([x] * len(MASKS)), observed


def completion_rows(x, observed, completions, per_image):
    """Host images (N * (2 + per_image), 784): per image, the original, the masked input (missing
    pixels mid-grey) and its completions, for ``plots.image_grid(..., ncols=2 + per_image)``."""
    xp = get_backend()
    n = len(x)
    masked = compose(x, observed, xp.full(x.shape, 0.5, dtype=x.dtype))
    c = completions.reshape(n, per_image, PIXELS)
    return to_numpy(xp.concatenate([x[:, None, :], masked[:, None, :], c], axis=1).reshape(-1, PIXELS))


def inpaint_outputs(model, epoch, out_dir, say):
    """Every ``sample_every`` epochs and at the last: ``completions/epoch-NNNN.png``, three
    validation images per mask kind, each: original, masked input, four completions."""
    c = model.config
    if epoch == 0 or not c.sample_every or (epoch % c.sample_every and epoch != c.epochs):
        return
    x, observed = held_out_set(c, PICTURE_IMAGES, Random(c.seed + 3))
    completions = model.gan.complete(x, observed, Random(c.seed + 4), per_image=4)
    path = os.path.join(out_dir, "completions", f"epoch-{epoch:04d}.png")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    plots.image_grid(completion_rows(x, observed, completions, 4), path, ncols=6,
                     title=f"epoch {epoch}: original, masked, 4 completions")


def load_inpainter(path, config, state, arrays, averaged=False):
    """The ``Inpainter`` of a training checkpoint (G and D) or a model file (G; ``D`` is ``None``)."""
    gan = build_inpainter(config, Random(config.seed))
    load_into(path, arrays, "G", gan.G)
    load_discriminator(path, arrays, state, gan)
    gan.config, gan.state = config, state
    return gan
