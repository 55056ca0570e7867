"""What the model families share: their data's shape, optimisers, BLAS threads, loading D.

A family imports this module, never another family's (``npgan.models`` says what each may
import).
"""

import json

from npgan import checkpoint
from npgan.backend import get_backend
from npgan.checkpoint import CheckpointError, load_into
from npgan.datasets import GREY_28, IMAGE_SHAPES, OWN, load_images
from npgan.datasets.toy import make_toy
from npgan.nn.optim import Adam, ExponentialDecay, LinearRamp, MomentumSGD

MNIST_FEATURES = 784  # 28 x 28 pixels


def feature_count(config):
    """Features per example of ``config.dataset``: its pixels (784 for (Fashion-)MNIST, channels x side x
    side for your own images), else the toy's dimension."""
    if config.dataset in GREY_28:
        return MNIST_FEATURES
    shape = image_shape(config)
    return shape[0] * shape[1] * shape[2] if shape else make_toy(config.dataset).dim


def image_shape(config):
    """``(channels, side, side)`` of the run's images (``config.image_shape`` for your own), ``None`` for toy data."""
    return tuple(config.image_shape) if config.dataset == OWN else IMAGE_SHAPES.get(config.dataset)


def image_split(config):
    """The train/valid/test ``Split`` of the run's image data: a named data set's, or your own
    (``npgan.datasets.own``: ``config.data`` read at ``config.image_shape``)."""
    return load_images(config.dataset, config.data, config.image_shape)


def own_data(config):
    """The ``npgan.datasets.own.OwnData`` of a run on your own images (decoded once per process), else ``None``."""
    if config.dataset != OWN:
        return None
    from npgan.datasets import own

    return own.load(config.data, config.image_shape[1], config.image_shape[0])


def training_images(config, rows):
    """The run's training images (n, features), host float32; ``ValueError`` in one line when your own
    data has fewer than ``rows`` (one minibatch) of them."""
    x = image_split(config).train_x
    if config.dataset == OWN and len(x) < rows:
        total = own_data(config).fingerprint.count
        raise ValueError(f"{config.data}: {len(x)} training images ({total - len(x)} of its {total} are held out) "
                         f"are fewer than one minibatch of {rows}; use --batch-size {len(x)} or less, or more images")
    return x


def labelled_images(config, rows):
    """``(x, labels)``: the run's training images and their integer labels; ``ValueError`` in one line
    for your own data without labels (a folder without class subfolders, an array without ``y``)."""
    x = training_images(config, rows)
    labels = image_split(config).train_y
    if labels is None:
        raise ValueError(f"model {config.model!r} needs labelled images: {config.data} has none (put each class's "
                         "images in a subfolder of its own, or the labels in the .npz under 'y')")
    return x, labels


def class_count(config, default):
    """How many classes a conditional family's networks have: your own data's, else ``default`` (MNIST's 10)."""
    return config.classes if getattr(config, "dataset", None) == OWN else default


def data_logit_mean(x, dtype="float32"):
    """The logit of the per-pixel mean of ``x`` (n, features), clipped away from 0 and 1.

    The paper's G starts with this as its output bias, so that ``sigmoid`` of it, G's
    first output for any ``z`` once its weights are small, is the mean training image.
    """
    xp = get_backend()
    mean = xp.clip(x.mean(axis=0), 1e-7, 1 - 1e-7)
    return xp.log(mean / (1 - mean)).astype(dtype)


def build_optimizer(config, network, scale=1.0):
    """Momentum SGD (the paper's) or Adam over ``network``, as ``config.optimizer`` says.

    The learning rate is ``config.lr * scale`` and decays as ``config`` says (pylearn2's
    ``ExponentialDecay``: held for the first ``config.lr_decay_start`` updates, then divided
    by ``lr_decay`` per update down to ``lr_min * scale``). ``scale``: a second time scale,
    e.g. G's rate over D's.
    """
    lr = config.lr * scale
    decay = ExponentialDecay(lr, config.lr_decay, config.lr_min * scale, config.lr_decay_start)
    if config.optimizer == "adam":
        return Adam(network, lr, config.adam_beta1, config.adam_beta2, lr_schedule=decay)
    return MomentumSGD(network, lr, config.momentum_start, decay)


def momentum_ramp(config):
    """The momentum as a function of the epoch (pylearn2's ``MomentumAdjustor``)."""
    return LinearRamp(config.momentum_start, config.momentum_end,
                      config.momentum_start_epoch, config.momentum_saturate_epoch)


def set_epoch_momentum(config, ramp, optimizers, epoch):
    """Give momentum-SGD ``optimizers`` the momentum of epoch ``epoch`` (0-based); Adam has none.

    pylearn2's MomentumAdjustor sets epoch e's momentum (e counted from 1) from the ramp at
    e; ``momentum_ramp="late"`` (runs from before that field) reads it at e - 1.
    """
    if config.optimizer != "momentum":
        return
    value = ramp(epoch + 1 if config.momentum_ramp == "pylearn2" else epoch)
    for optimizer in optimizers:
        optimizer.momentum = value


# Below this many multiply-adds in the largest matrix product of a step, BLAS runs on one
# thread: the toy presets (at most 200 x 128 x 640 = 1.6e7) are far below, MNIST
# (200 x 784 x 1200 = 1.9e8) above.
SMALL_PRODUCT = 10**8


def blas_threads_for(networks, rows):
    """1 when ``rows`` rows times the largest weight matrix of ``networks`` fall below
    ``SMALL_PRODUCT`` multiply-adds (too small to share between BLAS threads), else ``None``."""
    largest = max(layer.params["W"].size for net in networks for layer in net.layers if "W" in layer.params)
    return 1 if rows * largest < SMALL_PRODUCT else None


# The networks a model file holds: what is used after training (D only judges while training).
FILE_NETWORKS = ("G", "E")


def save_model_file(path, model, state, dtype="float16"):
    """Write a trained model's G and E (those it has) alone: a file to use, not to resume.

    The file is a checkpoint of kind "generator" (weights only; ``npgan train --resume``
    refuses it) that ``npgan.load`` reads like a training checkpoint, without D. float16
    by default: the networks are only run forward (sampling, encoding, completing), half
    precision halves the file, and the loader computes in the config's dtype again;
    ``state["stored_dtype"]`` records what the weights were stored in.
    """
    networks = {name: getattr(model, name) for name in FILE_NETWORKS if getattr(model, name, None) is not None}
    if not networks:
        raise ValueError(f"save_model_file: {type(model).__name__} has no G or E to write")
    state = dict(state, networks=f"{' and '.join(networks)} (D is used only in training and is not stored)")
    checkpoint.save_weights(path, model.config, state, networks, dtype)
    return networks


def file_config(path, values, config_type):
    """The configuration ``values`` (``checkpoint.read``'s dict) of the file at ``path``, as a
    ``config_type`` (``Config``; a family passes ``type(config)`` of one it holds, since
    ``Config`` sits above the families). ``CheckpointError`` naming the file if invalid."""
    try:
        return config_type.from_json(json.dumps(values))
    except ValueError as exc:
        raise CheckpointError(f"{path}: damaged configuration ({exc})") from None


def load_discriminator(path, arrays, state, model):
    """``model.D`` from a training checkpoint; a model file (``pretrained/``) holds no D, and
    ``model.D`` becomes ``None`` (what every family's loader does with its D)."""
    if state["kind"] == "training":
        load_into(path, arrays, "D", model.D)
    else:
        model.D = None
