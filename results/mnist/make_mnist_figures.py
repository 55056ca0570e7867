"""Figures for results/mnist/mnist.md: the Parzen curve, sample grids and the paper's Figure 2.

    python results/mnist/make_mnist_figures.py --run LABEL=RUN_DIR_OR_CSV [--run ...] \
        --generator pretrained/npgan-mnist-generator.npz [--last RUN/snapshots/LAST.npz] [--out-dir results/mnist]

Each ``--run`` is one curve: a run directory's ``parzen.csv`` (written by
``npgan train --parzen-every N``), or a CSV with the same ``epoch`` and
``log_likelihood`` columns (``parzen-averaged.csv`` of a run with ``average_from``,
``results/mnist/mnist-averaged-curve.csv``). They are plotted against epochs beside a PyTorch
reference, the paper's 225 nats and real data's 241. From ``--generator`` it draws a
sample grid and the paper's Figure 2 (samples beside their nearest training images),
and from ``--last`` a second grid from the same noise. Writes mnist_curve.png,
mnist_samples.png, mnist_figure2.png (and mnist_samples_last.png) into ``--out-dir``;
results/mnist/mnist.md gives the command for its figures. The Parzen numbers themselves come
from ``npgan parzen``.
"""

import argparse
import csv
import os

import matplotlib.pyplot as plt

from npgan import load, plots
from npgan.backend import Random
from npgan.datasets.idx import load_mnist
from npgan.evaluation.neighbours import nearest_rows
from npgan.files import atomic_write

HERE = os.path.dirname(os.path.abspath(__file__))
# An independent PyTorch 2.13 implementation of mnist-paper in Algorithm 1 order, from the
# project's design notes: Parzen test log-likelihood (nats, sigma 0.215) by epoch.
REFERENCE = {10: 58, 20: 96, 40: 135, 60: 150, 100: 165, 145: 172}
PAPER, REAL_DATA = 225, 241.2  # Table 1; real training images as the Parzen centres


def read_curve(path):
    """(epochs, log-likelihoods) of a Parzen CSV, or of a run directory's parzen.csv."""
    if not path.endswith(".csv"):
        path = os.path.join(path, "parzen.csv")
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return [int(r["epoch"]) for r in rows], [float(r["log_likelihood"]) for r in rows]


def save(fig, path):
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=100, bbox_inches="tight"))
    plt.close(fig)


def curve_figure(series, path):
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, (epochs, ll) in series.items():
        ax.plot(epochs, ll, marker="o", ms=3, label=label)
    ax.plot(list(REFERENCE), list(REFERENCE.values()), "k--", marker="s", ms=3,
            label="PyTorch reference, Algorithm 1 (DESIGN.md)")
    ax.axhline(PAPER, color="red", lw=0.8, label="paper: 225 +- 2")
    ax.axhline(REAL_DATA, color="gray", lw=0.8, ls=":", label="real training images as centres: 241")
    ax.set_ylim(0, 260)
    ax.set_xlabel("epoch")
    ax.set_ylabel("Parzen test log-likelihood (nats)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    save(fig, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", action="append", default=[], metavar="LABEL=RUN_DIR_OR_CSV")
    parser.add_argument("--generator", required=True, help="the generator of the sample grid and Figure 2")
    parser.add_argument("--last", help="also draw a grid of this generator (e.g. the last iterate)")
    parser.add_argument("--out-dir", default=HERE, help="where the PNGs go (default: results/mnist/)")
    args = parser.parse_args()

    series = {}
    for spec in args.run:
        label, path = spec.split("=", 1)
        series[label] = read_curve(path)
    os.makedirs(args.out_dir, exist_ok=True)
    curve_figure(series, os.path.join(args.out_dir, "mnist_curve.png"))

    samples = load(args.generator).sample(100, rng=Random(0))
    plots.image_grid(samples, os.path.join(args.out_dir, "mnist_samples.png"), title="npgan samples")
    if args.last:
        plots.image_grid(load(args.last).sample(100, rng=Random(0)),
                         os.path.join(args.out_dir, "mnist_samples_last.png"), title="last iterate, same noise")
    train_x = load_mnist().train_x
    few = samples[:30]
    plots.nearest_grid(few, train_x[nearest_rows(few, train_x)], os.path.join(args.out_dir, "mnist_figure2.png"),
                       ncols=6)
    print("wrote the figures in", args.out_dir)


if __name__ == "__main__":
    main()
