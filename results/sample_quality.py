"""Is a generator's Parzen score bought with blur? Two checks beside the Parzen number.

    python results/sample_quality.py LABEL=GENERATOR.npz [LABEL=...] [--n 10000]

For real test images and 10,000 samples of each generator (seed 0):
* ink per image: pixels above 0.1;
* grey share of ink: the fraction of those below 0.9. Blurry samples have more grey
  pixels than real digits (whose strokes are mostly saturated, with grey edges);
* 1-NN class shares: each of 2,000 images takes the label of its nearest training
  image (Euclidean); the shares show which digits the generator under- or over-produces.
"""

import argparse

import numpy

from npgan import load
from npgan.backend import Generator, to_numpy
from npgan.data import load_mnist
from npgan.neighbours import nearest_rows


def describe(label, images, mnist):
    x = to_numpy(images)
    ink = x > 0.1
    grey = ink & (x < 0.9)
    labels = mnist.train_y[nearest_rows(x[:2000], mnist.train_x)]
    shares = numpy.bincount(labels, minlength=10) / len(labels)
    print(f"| {label} | {ink.sum(axis=1).mean():.1f} | {grey.sum() / ink.sum():.3f} | "
          + " ".join(f"{s:.2f}" for s in shares) + " |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("generators", nargs="+", metavar="LABEL=FILE")
    parser.add_argument("--n", type=int, default=10000)
    args = parser.parse_args()
    mnist = load_mnist()
    print("| images | ink pixels / image | grey share of ink | 1-NN class shares 0..9 |")
    print("|---|---|---|---|")
    describe("real test images", mnist.test_x[:args.n], mnist)
    for spec in args.generators:
        label, path = spec.split("=", 1)
        describe(label, load(path).sample(args.n, rng=Generator(0)), mnist)


if __name__ == "__main__":
    main()
