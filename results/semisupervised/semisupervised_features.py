"""The frozen-feature table of results/semisupervised/semisupervised.md.

For n = 100, 600, 1000, 3000 labelled training images (as many of each digit, drawn by
``semisupervised_model.draw_labelled`` with seeds 0..draws-1), the test error of

- a softmax on the paper's trained D's maxout features (pretrained/npgan-mnist-discriminator.npz),
- the same softmax on raw pixels, and on the features of an untrained D of the same shape,
- ``--supervised``: npgan's classifier network (npgan.evaluation.classifier, the maxout network of the
  evaluation metrics) trained by ``classifier.train`` on the n labelled images alone.

    python results/semisupervised/semisupervised_features.py -o results/semisupervised/semisupervised-features.json
    python results/semisupervised/semisupervised_features.py --supervised --draws 3 \
        -o results/semisupervised/semisupervised-supervised.json

Every softmax has the same fixed settings (semisupervised_features: 300 full-batch Adam
steps, rate 0.01, L2 1e-3 on W; features standardised with all 50,000 training images'
statistics); no label outside the n is used for any choice.
"""

import argparse
import dataclasses
import math
import os
import sys
import tempfile
import time

import numpy

from npgan.backend import Random, asarray
from npgan.datasets.idx import load_mnist
from npgan.evaluation import classifier
from npgan.files import write_json
from npgan.models.semisup.features import (
    PRETRAINED_D,
    classification_error,
    feature_sets,
    load_discriminator,
    train_softmax,
)
from npgan.models.semisup.training import draw_labelled

SIZES = (100, 600, 1000, 3000)


def summary(errors):
    values = numpy.asarray(errors)
    return {"errors": [round(float(e), 4) for e in values], "mean": float(values.mean()),
            "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0}


def frozen_features(mnist, D, draws, say):
    sets = feature_sets(mnist, D)
    table = {}
    for n in SIZES:
        table[n] = {name: [] for name in sets}
        for draw in range(draws):
            chosen = draw_labelled(mnist.train_y, n, draw)
            labels = asarray(mnist.train_y[chosen].astype(numpy.int64))
            for name, (train, test) in sets.items():
                layer = train_softmax(train[asarray(chosen)], labels, Random(draw))
                table[n][name].append(classification_error(layer, test, mnist.test_y))
        table[n] = {name: summary(errors) for name, errors in table[n].items()}
        say(f"n = {n:5d}  " + "  ".join(f"{name} {s['mean']:.4f} +- {s['std']:.4f}" for name, s in table[n].items()))
    return table


@dataclasses.dataclass
class _Split:
    """The labelled images as ``classifier.train`` reads a data set: tiled to at least 10,000 rows
    for training (so an epoch is 100 or more updates), untiled as its "validation" images."""
    train_x: object
    train_y: object
    valid_x: object
    valid_y: object
    test_x: object
    test_y: object


def supervised_alone(mnist, draws, epochs, say):
    table = {}
    for n in SIZES:
        errors = []
        for draw in range(draws):
            chosen = draw_labelled(mnist.train_y, n, draw)
            x, y = mnist.train_x[chosen], mnist.train_y[chosen]
            reps = math.ceil(10000 / n)
            data = _Split(numpy.tile(x, (reps, 1)), numpy.tile(y, reps), x, y, mnist.test_x, mnist.test_y)
            config = classifier.ClassifierConfig(epochs=epochs, seed=draw)
            with tempfile.TemporaryDirectory() as scratch:
                start = time.perf_counter()
                _, state = classifier.train(config, data, os.path.join(scratch, "c.npz"), log=lambda line: None)
            errors.append(1.0 - state["test_accuracy"])
            say(f"n = {n:5d} draw {draw}: supervised alone {errors[-1]:.4f} "
                f"({time.perf_counter() - start:.0f} s, best epoch {state['best_epoch']})")
        table[n] = {"supervised alone": summary(errors)}
    return table


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--discriminator", default=PRETRAINED_D, help="a GAN checkpoint or discriminator file")
    p.add_argument("--draws", type=int, default=10, help="label draws per n (seeds 0..draws-1)")
    p.add_argument("--supervised", action="store_true", help="the supervised-alone control instead")
    p.add_argument("--epochs", type=int, default=15, help="--supervised: epochs of the tiled labelled set")
    p.add_argument("-o", "--output", required=True)
    args = p.parse_args(argv)
    mnist = load_mnist()
    start = time.perf_counter()
    if args.supervised:
        table = supervised_alone(mnist, args.draws, args.epochs, print)
    else:
        D, _ = load_discriminator(args.discriminator)
        table = frozen_features(mnist, D, args.draws, print)
    write_json({"command": " ".join(["python", *sys.argv]), "draws": args.draws,
                "seconds": round(time.perf_counter() - start, 1),
                "table": {str(n): row for n, row in table.items()}}, args.output)


if __name__ == "__main__":
    main()
