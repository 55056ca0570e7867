"""Scores of learned inference: how close ``G(z)`` comes to ``x``, whether it keeps the digit,
whether ``E`` inverts ``G`` on G's own samples, and how useful the codes are as features.

Everything takes arrays (images, codes, labels) on the backend or the host, never a
model, so the same functions score the post-hoc encoder, refinement and BiGAN
(``results/inference/inference.py`` makes ``results/inference/inference.md`` with them; tutorial 10 uses them).
"""

import numpy

from npgan.backend import Random, asarray, get_backend, to_numpy
from npgan.evaluation.metrics import nearest_distances
from npgan.evaluation.neighbours import nearest_rows
from npgan.nn import losses
from npgan.nn.layers import Linear
from npgan.nn.optim import Adam


def pixel_mse(a, b):
    """Mean squared error per pixel of each row: ``mean_d (a[n, d] - b[n, d])^2``, (n,) on the backend."""
    a, b = asarray(a), asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"pixel_mse: shapes differ, {tuple(a.shape)} vs {tuple(b.shape)}")
    return ((a - b) ** 2).mean(axis=1)


def nearest_image_mse(x, train):
    """Each image's mean squared error per pixel to its nearest training image, (n,) on the backend:
    the reconstruction a lookup table of the training set would give."""
    x = asarray(x, dtype="float32")
    return nearest_distances(x, asarray(train, dtype="float32")) ** 2 / x.shape[1]


def class_kept(classifier, reconstructions, labels):
    """``(share, predicted)``: the share of reconstructions the classifier labels as their
    original's label, and its predictions (host integers), for a confusion table."""
    predicted = to_numpy(classifier.logits(reconstructions).argmax(axis=1))
    return float((predicted == numpy.asarray(to_numpy(labels))).mean()), predicted


def confusions(labels, predicted, top=5):
    """The ``top`` most frequent ``(true, predicted, count)`` with ``true != predicted``."""
    labels, predicted = numpy.asarray(to_numpy(labels)), numpy.asarray(predicted)
    pairs = {}
    for t, p in zip(labels[labels != predicted].tolist(), predicted[labels != predicted].tolist()):
        pairs[(t, p)] = pairs.get((t, p), 0) + 1
    return [(t, p, n) for (t, p), n in sorted(pairs.items(), key=lambda item: -item[1])[:top]]


def code_agreement(codes, z):
    """How well ``codes = E(G(z))`` recover ``z`` (both (n, K)): the mean squared error per code
    dimension, and the Pearson correlation of each dimension across the n samples, averaged
    over dimensions (1: every coordinate recovered up to scale; 0: none)."""
    c, z = numpy.asarray(to_numpy(codes), numpy.float64), numpy.asarray(to_numpy(z), numpy.float64)
    if c.shape != z.shape:
        raise ValueError(f"code_agreement: shapes differ, {c.shape} vs {z.shape}")
    c0, z0 = c - c.mean(axis=0), z - z.mean(axis=0)
    correlation = (c0 * z0).sum(axis=0) / numpy.maximum(numpy.sqrt((c0 ** 2).sum(axis=0) * (z0 ** 2).sum(axis=0)),
                                                          1e-12)
    return {"mse": float(((c - z) ** 2).mean()), "correlation": float(correlation.mean())}


def one_nn_accuracy(train, train_labels, test, test_labels, cosine=False):
    """Share of ``test`` rows whose nearest ``train`` row (Euclidean, or cosine: rows scaled to
    unit length first) has their label."""
    xp = get_backend()
    train, test = asarray(train, dtype="float32"), asarray(test, dtype="float32")
    if cosine:
        train = train / xp.maximum(xp.sqrt((train ** 2).sum(axis=1, keepdims=True)), 1e-12)
        test = test / xp.maximum(xp.sqrt((test ** 2).sum(axis=1, keepdims=True)), 1e-12)
    nearest = nearest_rows(test, train)
    return float((numpy.asarray(to_numpy(train_labels))[nearest] == numpy.asarray(to_numpy(test_labels))).mean())


def linear_probe(train, train_labels, valid, valid_labels, test, test_labels, epochs=10, lr=1e-3, seed=0,
                 batch_size=100):
    """A linear softmax classifier on features: ``softmax(f W + b)`` trained by Adam on
    ``losses.softmax_cross_entropy``, each feature standardised with the training rows' mean
    and standard deviation; the epoch with the best validation accuracy is kept.

    Returns ``{"valid": accuracy, "test": accuracy, "epoch": e}`` of that epoch.
    """
    xp = get_backend()
    train, valid, test = (asarray(a, dtype="float32") for a in (train, valid, test))
    mean, std = train.mean(axis=0), xp.maximum(train.std(axis=0), 1e-6)
    train, valid, test = ((a - mean) / std for a in (train, valid, test))
    y = asarray(to_numpy(train_labels).astype(numpy.int64))
    rng = Random(seed)
    classes = int(max(int(to_numpy(train_labels).max()), int(to_numpy(test_labels).max()))) + 1
    layer = Linear(train.shape[1], classes, rng, init_range=0.01)
    optimizer = Adam(_Single(layer), lr=lr, beta1=0.9)

    def accuracy(features, labels):
        predicted = to_numpy(layer.forward(features, training=False).argmax(axis=1))
        return float((predicted == numpy.asarray(to_numpy(labels))).mean())

    best = {"valid": -1.0}
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(train))
        for start in range(0, len(train) - batch_size + 1, batch_size):
            rows = order[start:start + batch_size]
            _, dlogits = losses.softmax_cross_entropy(layer.forward(train[rows]), y[rows])
            layer.backward(dlogits, input_grad=False)
            optimizer.step()
        score = accuracy(valid, valid_labels)
        if score > best["valid"]:
            best = {"valid": score, "test": accuracy(test, test_labels), "epoch": epoch}
    return best


class _Single:
    """One layer as an optimiser sees a network (``parameters()``)."""

    def __init__(self, layer):
        self.layer = layer

    def parameters(self):
        for name in self.layer.params:
            yield name, self.layer, name
