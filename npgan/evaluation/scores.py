"""Scoring a set of images every way npgan knows (the library side of ``npgan evaluate``).

``evaluate(images, data, classifier)`` computes the metrics of ``npgan.evaluation.metrics`` in the
feature space of npgan's own classifier against the test images, the copy detector in
pixel space against the training images, and the paper's Parzen-window estimate.
``training_scores`` is the cheap part a training run logs every ``eval_every`` epochs.
"""

import functools
import time

import numpy

from npgan.backend import asarray, to_numpy
from npgan.datasets import load_images
from npgan.errors import UsageError
from npgan.evaluation import classifier as classifiers
from npgan.evaluation import metrics
from npgan.evaluation.parzen import parzen_protocol
from npgan.progress import Progress

# Each step's share of the time ``evaluate`` takes (seconds for 10,000 MNIST samples on 2
# cores), so that its progress estimates the time left from the steps done.
STEP_WEIGHTS = {"features": 0.8, "frechet_distance": 0.1, "inception_score": 0.05, "precision_recall": 4.4,
                "class_balance": 0.05, "copy_threshold": 8.5, "copy_share": 8.5, "parzen": 2.4}

# The measures taken in a classifier's features: what a data set without a classifier goes without.
CLASSIFIER_MEASURES = ("frechet_distance", "inception_score", "precision", "recall", "class_balance")


def evaluate(images, data, classifier, n_images=None, k=3, parzen=True):
    """Every metric for ``images`` (n, 784) against a data set's ``Split`` (MNIST's, Fashion-MNIST's, your own).

    classifier: ``None`` where the data has no classifier (your own images, until you train
    one): the measures in its features (Frechet distance, the Inception-score analogue,
    precision and recall, class balance) are then ``None``, and ``result["without_classifier"]``
    names them; the copy detector and Parzen work in pixel space and are computed.
    n_images: use the first ``n_images`` test images (default all). parzen: ``False`` for
    images made from the test images themselves (an autoencoder's reconstructions), whose
    Parzen window would sit on the very images it scores; ``result["parzen"]`` is then
    ``None``. Returns a dict of Python numbers, with ``seconds`` per metric.
    """
    test = asarray(data.test_x[:n_images])
    k = max(1, min(k, len(test) - 1))  # a few held-out images of your own: the neighbours there are
    samples = asarray(images)
    seconds, result = {}, {"n": int(len(images)), "test_images": int(len(test))}
    known = getattr(classifier, "reference", {}).get("test_to_train")
    known = known if known is not None and len(known) >= len(test) else None  # stored with the classifier
    skipped = ("copy_threshold",) * (known is not None) + ("parzen",) * (not parzen)
    progress = Progress(sum(STEP_WEIGHTS.values()) - sum(STEP_WEIGHTS[name] for name in skipped), "evaluate")

    def timed(name, fn):
        start = time.perf_counter()
        value = fn()
        seconds[name] = round(time.perf_counter() - start, 3)
        progress.update(STEP_WEIGHTS[name])
        return value

    if classifier is None:
        result.update(dict.fromkeys(CLASSIFIER_MEASURES), without_classifier=list(CLASSIFIER_MEASURES))
    else:
        with numpy.errstate(over="ignore", invalid="ignore"):  # checked below, in one line
            sample_features, test_features = timed(
                "features", lambda: (classifier.features(samples), classifier.features(test)))
        check_features(sample_features, "the images'")
        check_features(test_features, "the test images'")
        logits = classifier.logits_from_features(sample_features)
        result["frechet_distance"] = timed("frechet_distance",
                                           lambda: metrics.frechet_distance(sample_features, test_features))
        result["inception_score"] = timed("inception_score", lambda: metrics.inception_score(logits))
        result.update(timed("precision_recall", lambda: metrics.precision_recall(test_features, sample_features, k)))
        result["class_balance"] = timed("class_balance", lambda: metrics.class_balance(logits))
    train = asarray(data.train_x)
    if known is not None:  # no need to recompute
        result["copy_threshold"] = metrics.copy_threshold(test_to_train=known[:len(test)])
    else:
        result["copy_threshold"] = timed("copy_threshold", lambda: metrics.copy_threshold(train, test))
    result["copy_share"] = timed("copy_share", lambda: metrics.copy_share(samples, train, result["copy_threshold"]))
    result["parzen"] = None
    if parzen:
        window = timed("parzen", lambda: parzen_protocol(samples, asarray(data.valid_x), test))
        result["parzen"] = {key: window[key] for key in ("test_ll", "test_se", "sigma")}
    progress.close()
    result["seconds"] = seconds
    return result


def check_features(features, whose):
    """``UsageError`` unless every feature is finite: a Frechet distance of NaN or Inf features
    would be NaN, or never end (SciPy's matrix square root of a non-finite product)."""
    if not numpy.isfinite(to_numpy(features)).all():
        raise UsageError(f"the classifier's features of {whose} hold NaN or Inf (its weights are too large "
                         "for their type, or damaged); no Frechet distance can be computed from them")


@functools.lru_cache(maxsize=1)
def _reference(classifier_path, n_images, dataset):
    """The classifier and the features of the first ``n_images`` test images of ``dataset`` (cached)."""
    classifier, _ = classifiers.load(classifier_path)
    return classifier, classifier.features(load_images(dataset).test_x[:n_images])


def training_scores(samples, classifier_path=None, n_images=10000, dataset="mnist"):
    """The cheap metrics a training run logs beside Parzen: Frechet distance and class balance.

    ``{"frechet_distance", "class_kl", "mean_confidence"}`` for ``samples`` (n, 784) against
    ``dataset``'s test images, in the features of its classifier (default the committed
    one, ``classifier.PRETRAINED_FOR``); the classifier and the test features are loaded
    once per process.
    """
    path = classifier_path or classifiers.PRETRAINED_FOR[dataset]
    classifier, test_features = _reference(path, n_images, dataset)
    with numpy.errstate(over="ignore", invalid="ignore"):  # checked below, in one line
        features = classifier.features(samples)
    check_features(test_features, "the test images'")
    check_features(features, "the samples'")
    balance = metrics.class_balance(classifier.logits_from_features(features))
    return {"frechet_distance": metrics.frechet_distance(features, test_features),
            "class_kl": balance["kl_to_uniform"], "mean_confidence": balance["mean_confidence"]}
