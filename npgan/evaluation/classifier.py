"""npgan's own MNIST classifier: the feature space of the evaluation metrics.

The metrics of ``npgan.evaluation.metrics`` (Frechet distance, the Inception-score analogue,
precision and recall, class balance) need a network that knows what digits look like.
Instead of an outside model (Inception), npgan trains one from its own layers: the
permutation-invariant maxout network of Goodfellow et al. (2013, *Maxout Networks*),
which is the paper's discriminator with ten outputs instead of one:

    Dropout(keep 0.8) -> Maxout(784, 240 x 5) -> Dropout(keep 0.5)
      -> Maxout(240, 240 x 5) -> Dropout(keep 0.5) -> Linear(240, 10) -> softmax

trained with ``losses.softmax_cross_entropy`` (``dL/dl = softmax(l) - onehot(y)``) by
momentum SGD on the 50,000 training images, the epoch kept being the one with the best
accuracy on the 10,000 validation images, reported on the test set.

The *features* of an image are the 240 outputs of the second maxout layer in
evaluation mode (no dropout): the penultimate layer, the place FID takes Inception's
pool features from.

Files: a classifier is an ``.npz`` without pickle (``format``, ``config`` and ``state``
as JSON strings, ``params/<key>`` float32 arrays, ``reference/<name>`` arrays about the
data set that evaluation reuses), about 5 MB for MNIST's (Fashion-MNIST's is narrower and
stored in float16: under 1 MB). It is small enough that
it has its own ``save``/``load`` here rather than ``npgan.checkpoint``'s, whose kinds are
a GAN's. A training checkpoint adds ``velocity/<key>`` (the optimiser), ``best/<key>``
(the parameters of the best validation epoch so far) and the random generator's state,
so an interrupted run resumes exactly (on NumPy).
"""

import dataclasses
import json
import os
import time
import zipfile

import numpy

from npgan.backend import Random, asarray, get_backend, to_numpy
from npgan.files import PRETRAINED, atomic_write
from npgan.nn import losses
from npgan.nn.layers import Dropout, Linear, Maxout, Sequential
from npgan.nn.optim import ExponentialDecay, LinearRamp, MomentumSGD

FORMAT = "npgan-classifier-1"
# the committed classifier of each data set whose samples npgan evaluate scores
PRETRAINED_FOR = {"mnist": os.path.join(PRETRAINED, "npgan-mnist-classifier.npz"),
                  "fashion-mnist": os.path.join(PRETRAINED, "npgan-fashion-classifier.npz")}
PRETRAINED = PRETRAINED_FOR["mnist"]


@dataclasses.dataclass(frozen=True)
class ClassifierConfig:
    """The network and its training; saved in every classifier file as JSON."""

    dataset: str = "mnist"
    n_in: int = 784
    n_classes: int = 10
    hidden: tuple = (240, 240)
    pieces: int = 5
    keep_input: float = 0.8
    keep_hidden: float = 0.5
    init_range: float = 0.005
    batch_size: int = 100
    lr: float = 0.1
    lr_decay: float = 1.00005  # divided per update: 0.1 falls to 0.022 in 60 epochs of 500 updates
    lr_min: float = 0.001
    momentum_start: float = 0.5
    momentum_end: float = 0.7  # reached at momentum_saturate_epoch; 0.9 with lr 0.1 diverged
    momentum_saturate_epoch: int = 5
    max_norm: float = 1.9365  # the maxout paper's limit on each unit's incoming weights
    epochs: int = 60
    seed: int = 0

    def to_json(self):
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text):
        values = json.loads(text)
        values["hidden"] = tuple(values["hidden"])
        return cls(**values)


class Classifier:
    """A softmax classifier network with its config; evaluation-mode helpers.

    ``network`` is a ``Sequential`` whose last layer is the ``Linear`` to the logits;
    everything before it computes the features.
    """

    def __init__(self, config, rng, dtype="float32"):
        self.config = config
        layers, width = [Dropout(config.keep_input, rng=rng)], config.n_in
        for i, units in enumerate(config.hidden):
            if i:
                layers.append(Dropout(config.keep_hidden, rng=rng))
            layers.append(Maxout(width, units, config.pieces, rng=rng, init_range=config.init_range, dtype=dtype))
            width = units
        layers += [Dropout(config.keep_hidden, rng=rng),
                   Linear(width, config.n_classes, rng=rng, init_range=config.init_range, dtype=dtype)]
        self.network = Sequential(*layers)
        self.n_features = width
        self.reference = {}  # data-set arrays stored beside the weights (see ``save``)

    def _batches(self, x, fn, batch_size):
        xp = get_backend()
        dtype = self.network.layers[-1].params["W"].dtype
        parts = [fn(asarray(x[i:i + batch_size], dtype=dtype)) for i in range(0, len(x), batch_size)]
        return xp.concatenate(parts) if parts else xp.zeros((0, self.n_features), dtype=dtype)

    def features(self, x, batch_size=2000):
        """Penultimate activations (n, 240) in evaluation mode, on the active backend."""
        body = self.network.layers[:-1]

        def run(batch):
            for layer in body:
                batch = layer.forward(batch, training=False)
            return batch

        return self._batches(x, run, batch_size)

    def logits_from_features(self, features):
        """The output layer alone: ``logits = features W + b`` (n, 10)."""
        return self.network.layers[-1].forward(features, training=False)

    def logits(self, x, batch_size=2000):
        return self._batches(x, lambda b: self.network.forward(b, training=False), batch_size)

    def accuracy(self, x, labels, batch_size=2000):
        """Share of ``x`` whose most probable class is its label (a Python float)."""
        predicted = to_numpy(self.logits(x, batch_size).argmax(axis=1))
        return float((predicted == numpy.asarray(to_numpy(labels))).mean())


def constrain_norms(network, max_norm):
    """Rescale each unit's incoming weight vector (a column of ``W``) to norm <= ``max_norm``.

    The maxout paper's constraint: after each update, ``W[:, j] *= min(1, c / |W[:, j]|)``.
    Dropout nets trained with large learning rates need it to stay bounded.
    """
    xp = get_backend()
    for key, layer, name in network.parameters():
        if name == "W":
            w = layer.params[name]
            norms = xp.sqrt((w * w).sum(axis=0))  # (n_out,)
            w *= xp.minimum(1.0, max_norm / xp.maximum(norms, 1e-12))


# ---- files ------------------------------------------------------------------------

def _write(path, config, state, groups):
    arrays = {"format": numpy.asarray(FORMAT), "config": numpy.asarray(config.to_json()),
              "state": numpy.asarray(json.dumps(state))}
    for prefix, values in groups.items():
        for key, value in values.items():
            arrays[f"{prefix}/{key}"] = to_numpy(value)
    atomic_write(path, lambda f: numpy.savez(f, **arrays))


def _read(path):
    from npgan.errors import UsageError

    if os.path.isdir(path):
        raise UsageError(f"{path} is a folder; expected a classifier file (.npz)")
    try:
        with numpy.load(path, allow_pickle=False) as z:
            arrays = {name: z[name] for name in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, AttributeError) as exc:
        reason = "it holds Python objects" if "allow_pickle" in str(exc) else exc
        raise UsageError(f"{path}: not a readable classifier file ({reason})") from None
    if "format" not in arrays or str(arrays["format"]) != FORMAT:
        raise UsageError(f"{path}: not an npgan classifier file (expected format {FORMAT})")
    try:
        config = ClassifierConfig.from_json(str(arrays["config"]))
        state = json.loads(str(arrays["state"]))
    except (KeyError, ValueError, TypeError) as exc:
        raise UsageError(f"{path}: damaged classifier configuration or state ({exc})") from None
    return config, state, arrays


def _copy_into(path, arrays, prefix, network):
    from npgan.errors import UsageError

    head = f"{prefix}/"
    unknown = sorted(name for name in arrays if name.startswith(head) and name[len(head):] not in network.params)
    if unknown:
        raise UsageError(f"{path}: holds parameter {unknown[0]}, which the network its config builds does not have")
    for key, value in network.params.items():
        saved = arrays.get(f"{prefix}/{key}")
        if saved is None or saved.shape != tuple(value.shape):
            raise UsageError(f"{path}: parameter {prefix}/{key} missing or not of shape {tuple(value.shape)}")
        if saved.dtype.kind != "f" or not numpy.isfinite(saved).all():
            raise UsageError(f"{path}: parameter {prefix}/{key} holds NaN, Inf or non-float values")
        value[...] = asarray(saved, dtype=value.dtype)


def save(path, classifier, state, reference=None, dtype="float32"):
    """Write the classifier's parameters (in ``dtype``), ``state`` (a JSON-able dict) and ``reference``.

    dtype: "float32", or "float16" for a smaller file (the weights are only used for
    inference; ``load`` widens them to its own dtype).

    reference: named host arrays about the data set that evaluation needs and that do
    not depend on what is evaluated (``test_to_train``: each test image's distance to its
    nearest training image, for the copy detector); stored as ``reference/<name>``.
    """
    params = {k: to_numpy(v).astype(dtype) for k, v in classifier.network.params.items()}
    _write(path, classifier.config, state, {"params": params, "reference": reference or {}})


def load(path=PRETRAINED, dtype="float32"):
    """A ``Classifier`` from a file written by ``save`` (default: the committed one).

    Returns ``(classifier, state)``; the state holds its accuracies and how it was made,
    and ``classifier.reference`` the file's reference arrays (host NumPy).
    """
    config, state, arrays = _read(path)
    classifier = Classifier(config, Random(0), dtype=dtype)  # the draws are overwritten
    _copy_into(path, arrays, "params", classifier.network)
    classifier.reference = {name[len("reference/"):]: value for name, value in arrays.items()
                            if name.startswith("reference/")}
    return classifier, state


# ---- training -----------------------------------------------------------------------

def _train_epoch(network, optimizer, x, y, order, batch, max_norm):
    """One pass of minibatch SGD over ``x, y`` in the shuffled ``order``; returns the summed loss (0-d, float64)."""
    total = get_backend().zeros((), dtype="float64")
    for i in range(0, len(order) - batch + 1, batch):
        index = order[i:i + batch]
        logits = network.forward(x[index], training=True)
        loss, dlogits = losses.softmax_cross_entropy(logits, y[index])
        network.backward(dlogits, input_grad=False)
        optimizer.step()
        if max_norm:
            constrain_norms(network, max_norm)
        total += loss
    return total


def train(config, data, checkpoint_path, log=print):
    """Train (or resume) a classifier; keep the parameters of the best validation epoch.

    data: an ``npgan.datasets.idx.MNIST``. After every epoch the whole training state is written
    to ``checkpoint_path`` (atomically), and an existing file there is resumed from (its
    configuration must be ``config``'s, but for ``epochs``), so a killed run loses at
    most one epoch. Returns ``(classifier, state)`` with the best
    epoch's parameters loaded and its validation and test accuracy in ``state``.
    """
    rng = Random(config.seed)
    classifier = Classifier(config, rng)
    network = classifier.network
    optimizer = MomentumSGD(network, lr=config.lr, momentum=config.momentum_start,
                            lr_schedule=ExponentialDecay(config.lr, config.lr_decay, config.lr_min))
    momentum = LinearRamp(config.momentum_start, config.momentum_end, 0, config.momentum_saturate_epoch)
    best = {k: v.copy() for k, v in network.params.items()}
    state = {"epoch": 0, "best_epoch": 0, "best_valid_accuracy": 0.0, "seconds": 0.0, "history": []}
    if os.path.exists(checkpoint_path):
        saved_config, state, arrays = _read(checkpoint_path)
        if dataclasses.replace(saved_config, epochs=config.epochs) != config:
            raise ValueError(f"{checkpoint_path}: holds a run with another configuration (only epochs may "
                             "change on resuming); remove it or use another path")
        _copy_into(checkpoint_path, arrays, "params", network)
        for key in best:
            best[key][...] = asarray(arrays[f"best/{key}"])
        optimizer.load_state_dict({k[len("opt/"):]: v for k, v in arrays.items() if k.startswith("opt/")})
        rng.set_state(state.pop("rng"))
        log(f"resumed {checkpoint_path} at epoch {state['epoch']}")

    train_x, train_y = asarray(data.train_x), asarray(data.train_y.astype(numpy.int64))
    n, batch = len(train_x), config.batch_size
    while state["epoch"] < config.epochs:
        start = time.perf_counter()
        optimizer.momentum = momentum(state["epoch"])
        order = rng.permutation(n)
        total = _train_epoch(network, optimizer, train_x, train_y, order, batch, config.max_norm)
        valid = classifier.accuracy(data.valid_x, data.valid_y)
        state["epoch"] += 1
        state["seconds"] += time.perf_counter() - start
        row = {"epoch": state["epoch"], "loss": float(total) / (n // batch), "valid_accuracy": valid,
               "seconds": round(time.perf_counter() - start, 2)}
        state["history"].append(row)
        if valid > state["best_valid_accuracy"]:
            state["best_epoch"], state["best_valid_accuracy"] = state["epoch"], valid
            for key, value in network.params.items():
                best[key][...] = value
        log(f"epoch {row['epoch']:3d}  loss {row['loss']:.4f}  valid {valid:.4f}  "
            f"(best {state['best_valid_accuracy']:.4f} at {state['best_epoch']})  {row['seconds']:.1f} s")
        _write(checkpoint_path, config, dict(state, rng=rng.get_state()),
               {"params": network.params, "best": best, "opt": optimizer.state_dict()})

    for key, value in network.params.items():
        value[...] = best[key]
    state["test_accuracy"] = classifier.accuracy(data.test_x, data.test_y)
    return classifier, state
