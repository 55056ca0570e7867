"""Figures and numbers for results/mnist.md, from training run directories.

    python results/make_mnist_figures.py --run sim=/path/to/run [--run other=/path ...] \
        [--run averaged=results/mnist-averaged-curve.csv] \
        --generator pretrained/npgan-mnist-generator.npz [--last RUN/snapshots/LAST.npz]

Reads each run's parzen.csv (written by `npgan train --parzen-every N`), plots the test
log-likelihood against epochs beside the reference curve quoted in DESIGN.md, and for
the given generator file draws a sample grid and the paper's Figure 2 (samples with
their nearest training images). The Parzen number itself comes from `npgan parzen`.
"""

import argparse
import csv
import os

from npgan import load, plots
from npgan.backend import Random
from npgan.data import load_mnist
from npgan.neighbours import nearest_rows

HERE = os.path.dirname(os.path.abspath(__file__))
# An independent PyTorch implementation in Algorithm 1 order (DESIGN.md), for orientation.
REFERENCE = {10: 58, 20: 96, 40: 135, 60: 150, 100: 165, 145: 172}


def read_curve(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return [int(r["epoch"]) for r in rows], [float(r["log_likelihood"]) for r in rows]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", action="append", default=[], help="LABEL=RUN_DIR")
    parser.add_argument("--generator", required=True)
    parser.add_argument("--last", help="also draw a grid of this generator (e.g. the last iterate)")
    args = parser.parse_args()

    series = {}
    for spec in args.run:
        label, run = spec.split("=", 1)
        series[label] = read_curve(run if run.endswith(".csv") else os.path.join(run, "parzen.csv"))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for label, (epochs, ll) in series.items():
        ax.plot(epochs, ll, marker="o", ms=3, label=label)
    ax.plot(list(REFERENCE), list(REFERENCE.values()), "k--", marker="s", ms=3,
            label="PyTorch reference, Algorithm 1 (DESIGN.md)")
    ax.axhline(225, color="red", lw=0.8, label="paper: 225 +- 2")
    ax.axhline(241.2, color="gray", lw=0.8, ls=":", label="real training images as centres: 241")
    ax.set_ylim(0, 260)
    ax.set_xlabel("epoch")
    ax.set_ylabel("Parzen test log-likelihood (nats)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    plots._save(fig, os.path.join(HERE, "mnist_curve.png"))

    gan = load(args.generator)
    samples = gan.sample(100, rng=Random(0))
    plots.image_grid(samples, os.path.join(HERE, "mnist_samples.png"), title="npgan samples")
    if args.last:
        plots.image_grid(load(args.last).sample(100, rng=Random(0)), os.path.join(HERE, "mnist_samples_last.png"),
                         title="last iterate, same noise")
    train_x = load_mnist().train_x
    few = samples[:30]
    plots.nearest_grid(few, train_x[nearest_rows(few, train_x)], os.path.join(HERE, "mnist_figure2.png"),
                       ncols=6)
    print("wrote mnist_curve.png, mnist_samples.png, mnist_figure2.png in", HERE)


if __name__ == "__main__":
    main()
