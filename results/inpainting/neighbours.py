"""How far copying goes: the mean of the k nearest training images on the observed pixels.

    python results/inpainting/neighbours.py [--images 10000] [--split test] [--k 1,3,5,10] [--seed 0]

The nearest-neighbour baseline of results/inpainting/inpainting.md copies the missing pixels
of the one training image nearest on the observed ones. Here the missing pixels are the
mean of the k nearest (k = 1 is that baseline), and beside them the share of inputs whose k
nearest neighbours' majority label is the original's, which asks the same question without
drawing anything: how often does the observed half pick out the right digit by lookup?
Scored by npgan's classifier on the first --images images of --split, per half mask
(masks drawn from Random(seed), as inpainting.py measure draws them).
"""

import argparse

import numpy

from npgan.backend import Random, asarray, to_numpy
from npgan.datasets.idx import load_mnist
from npgan.evaluation import classifier
from npgan.models.inpainting.model import compose, observed_mask
from npgan.models.inpainting.scores import observed_scores

HALVES = ("top", "bottom", "left", "right")


def nearest_k(x, observed, train, k, chunk=500):
    """Indices (N, k) of the k training images nearest to each row of x on its observed pixels,
    nearest first: ``observed_scores``, a chunk of queries at a time, sorted instead of argmin'd."""
    rows = []
    for i in range(0, len(x), chunk):
        scores = to_numpy(observed_scores(x[i:i + chunk], observed[i:i + chunk])(train))
        part = numpy.argpartition(scores, k - 1, axis=1)[:, :k]
        order = numpy.take_along_axis(scores, part, axis=1).argsort(axis=1)
        rows.append(numpy.take_along_axis(part, order, axis=1))
    return numpy.concatenate(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=10000)
    parser.add_argument("--split", choices=("test", "valid"), default="test")
    parser.add_argument("--k", default="1,3,5,10", help="neighbour counts, comma-separated")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ks = sorted({int(k) for k in args.k.split(",")})
    data = load_mnist()
    clf, _ = classifier.load()
    images, labels = (data.test_x, data.test_y) if args.split == "test" else (data.valid_x, data.valid_y)
    x, labels = asarray(images[:args.images], dtype="float32"), numpy.asarray(labels[:args.images])
    train, train_labels = asarray(data.train_x, dtype="float32"), numpy.asarray(data.train_y)
    print(f"{len(x)} {args.split} images, {len(train)} training images; accuracy of the completion / "
          "of the neighbours' majority label")
    print("| mask | " + " | ".join(f"k = {k}" for k in ks) + " |")
    print("|---|" + "---|" * len(ks))
    for name in HALVES:
        observed = observed_mask(name, len(x), Random(args.seed))
        index = nearest_k(x, observed, train, max(ks))
        cells = []
        for k in ks:
            mean = train[asarray(index[:, :k])].mean(axis=1)
            accuracy = clf.accuracy(compose(x, observed, mean), labels)
            votes = numpy.array([numpy.bincount(row, minlength=10).argmax() for row in train_labels[index[:, :k]]])
            cells.append(f"{100 * accuracy:.1f}% / {100 * (votes == labels).mean():.1f}%")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
