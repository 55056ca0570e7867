"""What the trainer trains for the autoencoder families ("ae", "dae", "vae"), their run folders and files.

``AutoencoderModel(config)`` holds an ``Autoencoder`` or ``VAE`` (``autoencoders.build``),
one optimiser for its encoder ``E`` and one for its decoder ``G``, and the stream of
training minibatches (MNIST's, or your own images'); the loop around it (checkpoints, logs, signals, resume) is
``train.Trainer``, as for the GAN. ``autoencoder_outputs`` draws the run folder's
pictures; ``load_autoencoder`` is the families' loader (``npgan.load``);
``common.save_model_file`` writes the weights alone (``pretrained/``).

A checkpoint holds ``E/<key>``, ``G/<key>``, ``opt_E/...``, ``opt_G/...`` and names its
optimisers in its state (``"optimizers": ["E", "G"]``).
"""

import os

from npgan import plots
from npgan.backend import Random, asarray
from npgan.checkpoint import load_into, restore_training_parts, training_parts
from npgan.datasets import OWN
from npgan.datasets.batches import ShuffledBatches
from npgan.datasets.idx import load_mnist_test
from npgan.models.autoencoders.model import binarize, build
from npgan.models.common import image_shape, image_split, momentum_ramp, set_epoch_momentum, training_images
from npgan.nn.optim import Adam, ExponentialDecay, MomentumSGD

OPTIMIZED = ("E", "G")  # the networks, each with its own optimiser
# The validation and test images of a binarised model are binarised once, with this seed,
# so that every evaluation of every such model scores the same 0/1 images.
EVALUATION_BINARIZATION_SEED = 0
VALID_BATCH = 1000


def evaluation_images(config, split, n=None):
    """The first ``n`` images of the run's ``split`` ("valid" or "test": MNIST's, or your own held-out
    images) as the model sees them, on the backend.

    Grey pixels, or for ``ae_binarize = "stochastic"`` 0/1 pixels drawn once with
    ``Random(EVALUATION_BINARIZATION_SEED)`` over the whole split (so the first ``n`` are
    the same whatever ``n``).
    """
    if split == "test" and config.dataset == "mnist":  # the test files alone: the training files not read
        x = asarray(load_mnist_test()[0], dtype=config.dtype)
    else:
        x = asarray(getattr(image_split(config), f"{split}_x"), dtype=config.dtype)
    if config.ae_binarize == "stochastic":
        x = binarize(x, Random(EVALUATION_BINARIZATION_SEED))
    return x[:n]


def build_optimizer(config, network):
    """Momentum SGD or Adam over ``network``, the learning rate decaying as ``config`` says."""
    decay = ExponentialDecay(config.lr, config.lr_decay, config.lr_min)
    if config.optimizer == "adam":
        return Adam(network, config.lr, config.adam_beta1, config.adam_beta2, lr_schedule=decay)
    return MomentumSGD(network, config.lr, config.momentum_start, decay)


class AutoencoderModel:
    """One training step of an autoencoder, a denoising autoencoder or a VAE, and its state.

    The run's randomness (initial weights, the order of the examples, the binarisation,
    the corruption, ``eps``) comes from one ``Random(config.seed)``, saved in every
    checkpoint, so a resumed run on NumPy ends bit-identical to an uninterrupted one.
    """

    blas_threads = 1  # products of at most 100 x 784 x 500: too small to share between threads

    def __init__(self, config):
        self.config = config
        self.rng = Random(config.seed)
        x = asarray(training_images(config, config.batch_size), dtype=config.dtype)
        self.data = ShuffledBatches(x, config.batch_size, self.rng)
        self.net = build(config, self.rng)
        self.net.config = config  # as a loaded one has it (load_autoencoder)
        self.optimizers = {name: build_optimizer(config, getattr(self.net, name)) for name in OPTIMIZED}
        self.momentum = momentum_ramp(config)
        self.iterations_per_epoch = self.data.batches_per_epoch
        self.stat_names = self.net.stat_names
        self.log_fields = self.stat_names + ("valid_loss", "lr")
        self._valid = None  # the validation images, read at the first end of an epoch

    @property
    def trained(self):
        """The trained object, as ``npgan.load`` gives it from this run's checkpoint."""
        return self.net
    def begin_epoch(self, epoch, fresh):
        """Before the steps of epoch ``epoch`` (0-based): a new order of the examples, the epoch's momentum."""
        if fresh:
            self.data.new_epoch()
        set_epoch_momentum(self.config, self.momentum, self.optimizers.values(), epoch)

    def step(self, i):
        """Minibatch ``i``: binarise (if asked), corrupt (a DAE), forward, backward, update E and G."""
        x = self.data.batch(i)
        if self.config.ae_binarize == "stochastic":
            x = binarize(x, self.rng)
        if self.config.model == "vae":
            stats, _ = self.net.loss(x)
        else:
            stats, _ = self.net.loss(self.net.corrupt(x), x)
        for optimizer in self.optimizers.values():
            optimizer.step()
        return stats

    def end_epoch(self, epoch):
        """The log's extra fields: ``valid_loss`` (the training loss on the validation images) and ``lr``.

        For a DAE the validation images go in clean (what ``reconstruct`` does); for a VAE
        the loss is the negative ELBO with one ``eps`` per image, drawn from its own
        ``Random`` so that the training stream does not move.
        """
        if self._valid is None:
            self._valid = evaluation_images(self.config, "valid")
        rng, total = Random(self.config.seed + 1), 0.0
        for start in range(0, len(self._valid), VALID_BATCH):
            x = self._valid[start:start + VALID_BATCH]
            if self.config.model == "vae":
                eps = rng.normal((len(x), self.net.code_dim), dtype=self.config.dtype)
                stats, _ = self.net.loss(x, eps=eps, backward=False)
            else:
                stats, _ = self.net.loss(x, x, backward=False)
            total += float(stats["loss"]) * len(x)
        optimizer = self.optimizers["G"]
        return {"valid_loss": total / len(self._valid), "lr": optimizer.lr_schedule(optimizer.updates - 1)}

    # ---- checkpoints -----------------------------------------------------------------

    def checkpoint_parts(self, mid_epoch):
        """``(state, networks, optimizers)`` for ``checkpoint.save``; ``state`` is JSON-ready."""
        networks = {name: getattr(self.net, name) for name in OPTIMIZED}
        return training_parts(networks, self.optimizers, self.rng, self.data, mid_epoch)

    def restore(self, path, state, arrays):
        """Parameters, optimisers, random state and the epoch's order from a checkpoint read from ``path``."""
        networks = {name: getattr(self.net, name) for name in OPTIMIZED}
        restore_training_parts(path, state, arrays, networks, self.optimizers, self.rng, self.data)


def autoencoder_outputs(model, epoch, out_dir, say):
    """Every ``sample_every`` epochs and at the last: ``reconstructions/epoch-NNNN.png`` (the first
    50 test images above their reconstructions) and, for a VAE, ``samples/epoch-NNNN.png`` (100
    draws from the prior, the same ``z`` every time). Neither moves the training stream."""
    config = model.config
    every = config.sample_every
    if epoch == 0 or not every or (epoch % every and epoch != config.epochs):
        return
    originals = evaluation_images(config, "test", 50)
    path = os.path.join(out_dir, "reconstructions", f"epoch-{epoch:04d}.png")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shape = image_shape(config) if config.dataset == OWN else None
    plots.originals_and_reconstructions(originals, model.net.reconstruct(originals), path, shape=shape)
    if config.model == "vae":
        plots.save_samples(model.net, "mnist", os.path.join(out_dir, "samples", f"epoch-{epoch:04d}.png"),
                           title=f"epoch {epoch}", shape=shape)


def load_autoencoder(path, config, state, arrays, averaged=False):
    """The ``Autoencoder`` or ``VAE`` of a file already read (``checkpoint.read``), with ``.config`` and ``.state``.

    A training checkpoint or a model file (``common.save_model_file``) both hold ``E`` and ``G``.
    """
    net = build(config, Random(config.seed))
    for name in OPTIMIZED:
        load_into(path, arrays, name, getattr(net, name))
    net.config, net.state = config, state
    return net
