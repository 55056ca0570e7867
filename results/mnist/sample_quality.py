"""Is a generator's Parzen score bought with blur? Two checks beside the Parzen number.

    python results/mnist/sample_quality.py LABEL=GENERATOR.npz [LABEL=...] [--n 10000]

For real test images and 10,000 samples of each generator (seed 0):
* ink per image: pixels above 0.1;
* grey share of ink: the fraction of those below 0.9. Blurry samples have more grey
  pixels than real digits (whose strokes are mostly saturated, with grey edges);
* distance to the nearest training image (Euclidean, 2,000 images): real test images are
  not in the training set, so theirs is the distance of a new digit; a generator that
  copied training images would sit far below it;
* 1-NN class shares: each of those images takes the label of its nearest training
  image; the shares show which digits the generator under- or over-produces.
"""

import argparse

import numpy

from npgan import load
from npgan.backend import Random, to_numpy
from npgan.datasets.idx import load_mnist
from npgan.evaluation.neighbours import nearest_rows


def describe(label, images, mnist):
    x = to_numpy(images)
    ink = x > 0.1
    grey = ink & (x < 0.9)
    nearest = nearest_rows(x[:2000], mnist.train_x)
    distance = numpy.linalg.norm(x[:2000] - mnist.train_x[nearest], axis=1)
    labels = mnist.train_y[nearest]
    shares = numpy.bincount(labels, minlength=10) / len(labels)
    print(f"| {label} | {ink.sum(axis=1).mean():.1f} | {grey.sum() / ink.sum():.3f} | "
          f"{numpy.median(distance):.2f} ({numpy.percentile(distance, 10):.2f}) | "
          + " ".join(f"{s:.2f}" for s in shares) + " |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("generators", nargs="+", metavar="LABEL=FILE")
    parser.add_argument("--n", type=int, default=10000)
    args = parser.parse_args()
    mnist = load_mnist()
    print("| images | ink pixels / image | grey share of ink "
          "| distance to nearest training image, median (10th pct) | 1-NN class shares 0..9 |")
    print("|---|---|---|---|---|")
    describe("real test images", mnist.test_x[:args.n], mnist)
    for spec in args.generators:
        label, path = spec.split("=", 1)
        describe(label, load(path).sample(args.n, rng=Random(0)), mnist)


if __name__ == "__main__":
    main()
