"""The paper's version of semi-supervised learning: a trained discriminator's features, frozen.

"Features from the discriminator ... could improve performance of classifiers when
limited labeled data is available." Here: the hidden maxout activations of the paper's
MNIST D (both layers, 240 + 240 units, evaluation mode: no dropout), standardised with
the mean and standard deviation of all 50,000 training images' features (no labels
needed for that), and a softmax classifier ``logits = f W + b`` trained on ``n`` labelled
images only (``train_softmax``). The same classifier on raw pixels, and on the features
of an *untrained* D of the same shape, are the controls: the first says whether D's
features beat the pixels, the second whether the gain is learning rather than a random
expansion into 480 maxout units.

``load_discriminator`` reads the paper-shaped D from a GAN training checkpoint or from
``pretrained/npgan-mnist-discriminator.npz`` (``export_discriminator``: D alone, float16).
"""

import os
from types import SimpleNamespace

import numpy

from npgan.backend import Random, asarray, get_backend, to_numpy
from npgan.checkpoint import CheckpointError, load_into, read, save
from npgan.files import PRETRAINED
from npgan.models.record import article
from npgan.nn import losses, mlp
from npgan.nn.layers import Linear, Maxout, Sequential
from npgan.nn.optim import Adam

PRETRAINED_D = os.path.join(PRETRAINED, "npgan-mnist-discriminator.npz")
WEIGHT_DECAY = 1e-3  # the classifier's L2 penalty on W (fixed beforehand, the same for every feature kind)
STEPS = 300  # full-batch Adam steps
LR = 0.01


def build_discriminator(config, rng):
    """The paper-shaped D a GAN ``Config`` describes (``mlp.discriminator``), drawn from ``rng``."""
    return mlp.discriminator(784, config.d_hidden, rng, config.d_pieces, config.keep_input,
                                config.keep_hidden, config.d_init_range, config.d_activation, config.dtype,
                                config.d_bias_range)


def load_discriminator(path=PRETRAINED_D):
    """``(D, config)`` from a "gan" training checkpoint or a discriminator file; ``CheckpointError`` otherwise.

    config: the file's configuration fields as attributes (the fields D is built from).
    """
    values, state, arrays = read(path)
    config = SimpleNamespace(**values)
    if config.model != "gan" or config.dataset != "mnist" or config.d_activation != "maxout":
        raise CheckpointError(f"{os.fspath(path)}: holds {article(config.model)} model on {config.dataset}; "
                              "expected the paper's MNIST GAN (a maxout D)")
    D = build_discriminator(config, Random(config.seed))
    load_into(path, arrays, "D", D)
    return D, config


def export_discriminator(checkpoint_path, out_path):
    """Write D alone, float16 (it is only evaluated), from a GAN training checkpoint."""
    D, config = load_discriminator(checkpoint_path)
    _, state, _ = read(checkpoint_path)
    note = {"contents": "D only (the paper's MNIST discriminator), float16: for features, not for training",
            "source": os.fspath(checkpoint_path), "epoch": state.get("epoch")}
    save(out_path, vars(config), note, {"D": D}, kind="generator", dtype="float16")


def maxout_features(D, x, batch_size=2000):
    """The outputs of every Maxout layer of ``D`` in evaluation mode, side by side: (n, sum of units)."""
    xp = get_backend()
    dtype = next(iter(D.params.values())).dtype
    parts = []
    for i in range(0, len(x), batch_size):
        h, kept = asarray(x[i:i + batch_size], dtype=dtype), []
        for layer in D.layers:
            h = layer.forward(h, training=False)
            if isinstance(layer, Maxout):
                kept.append(h)
        parts.append(xp.concatenate(kept, axis=1))
    return xp.concatenate(parts)


def standardiser(features):
    """``f -> (f - mean) / std`` with the statistics of ``features`` (std floored at 1e-6)."""
    mean = features.mean(axis=0)
    std = get_backend().maximum(features.std(axis=0), 1e-6)
    return lambda f: (f - mean) / std


def softmax_objective(layer, features, labels, weight_decay):
    """``L = CE(softmax(f W + b), y) + weight_decay / 2 |W|^2`` and its gradients, left in ``layer.grads``.

    The penalty's gradient is ``weight_decay W`` (d/dW of ``1/2 sum W^2``), added to the
    cross-entropy's ``dW = f^T dlogits`` (``losses.softmax_cross_entropy``, ``Linear``).
    Returns the loss.
    """
    logits = layer.forward(features)
    loss, dlogits = losses.softmax_cross_entropy(logits, labels)
    layer.backward(dlogits, input_grad=False)
    W = layer.params["W"]
    layer.grads["W"] = layer.grads["W"] + weight_decay * W
    return loss + 0.5 * weight_decay * (W * W).sum()


def train_softmax(features, labels, rng, classes=10, steps=STEPS, lr=LR, weight_decay=WEIGHT_DECAY):
    """A ``Linear`` to ``classes`` logits fitted to (features, labels) by full-batch Adam."""
    layer = Linear(features.shape[1], classes, rng, init_range=0.01, dtype=features.dtype)
    optimizer = Adam(Sequential(layer), lr, beta1=0.9, beta2=0.999)  # it updates the layer's own arrays
    for _ in range(steps):
        softmax_objective(layer, features, labels, weight_decay)
        optimizer.step()
    return layer


def classification_error(layer, features, labels):
    """Share of rows whose argmax logit is not their label (a Python float)."""
    predicted = to_numpy(layer.forward(features, training=False).argmax(axis=1))
    return float((predicted != numpy.asarray(labels)).mean())


def feature_sets(mnist, D, seed=0):
    """``{name: (train_features, test_features)}`` standardised: pixels, the untrained D, the trained D."""
    untrained = build_discriminator_like(D, Random(seed))
    sets = {}
    for name, fn in (("pixels", lambda x: asarray(x)), ("untrained D", lambda x: maxout_features(untrained, x)),
                     ("trained D", lambda x: maxout_features(D, x))):
        train, test = fn(mnist.train_x), fn(mnist.test_x)
        scale = standardiser(train)
        sets[name] = (scale(train), scale(test))
    return sets


def build_discriminator_like(D, rng):
    """A fresh D of the same layers as ``D`` (maxout widths and pieces), at the paper's initial range."""
    maxouts = [layer for layer in D.layers if isinstance(layer, Maxout)]
    hidden = tuple(layer.n_units for layer in maxouts)
    return mlp.discriminator(784, hidden, rng, maxouts[0].n_pieces, dtype=str(maxouts[0].params["W"].dtype))
