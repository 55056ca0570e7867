"""Figures and the Fashion-MNIST Parzen numbers of results/dcgan/dcgan.md.

    python results/dcgan/dcgan_figures.py --mnist-dcgan GEN.npz --fashion-dcgan GEN.npz --mlp CKPT.npz \
        [--out-dir results/dcgan] [--fashion-reference]

From three generators (checkpoints or generator files): ``dcgan_samples.png`` (100
samples of each, the same noise seed), ``dcgan_figure2_mnist.png`` and
``dcgan_figure2_fashion.png`` (the paper's Figure 2: samples beside their nearest
training images, in pixels), and ``fashion-dcgan-parzen.json``: the paper's Parzen
protocol on Fashion-MNIST (10,000 samples, sigma chosen on the first 1,000 validation
images, the 10,000 test images scored), which ``npgan parzen`` does only for MNIST.
``--fashion-reference`` also writes ``fashion-real-parzen.json``: the same protocol with
the first 10,000 Fashion-MNIST training images in place of samples, the ceiling to read
the generator's number against. MNIST's numbers come from ``npgan evaluate``.
"""

import argparse
import os

import matplotlib.pyplot as plt

from npgan import load, plots
from npgan.backend import Random, asarray, to_numpy
from npgan.datasets.fashion import load_fashion_mnist
from npgan.datasets.idx import load_mnist
from npgan.evaluation.neighbours import nearest_rows
from npgan.evaluation.parzen import parzen_protocol
from npgan.files import atomic_write, write_json


def save(fig, path):
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=100, bbox_inches="tight"))
    plt.close(fig)


def samples_figure(generators, path, n=100, seed=1):
    fig, axes = plt.subplots(1, len(generators), figsize=(5 * len(generators), 5.6))
    for ax, (title, gan) in zip(axes, generators.items()):
        ax.imshow(plots.tile_images(gan.sample(n, rng=Random(seed))), cmap="gray", vmin=0, vmax=1,
                  interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.tight_layout()
    save(fig, path)


def figure2(gan, train_x, path, title, n=30, seed=2):
    samples = to_numpy(gan.sample(n, rng=Random(seed)))
    plots.nearest_grid(samples, train_x[nearest_rows(samples, train_x)], path, ncols=6, title=title)


def parzen(centres, split, source, seed):
    result = parzen_protocol(asarray(centres), asarray(split.valid_x), asarray(split.test_x))
    result.update(source=source, seed=seed, dataset="fashion-mnist")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mnist-dcgan", required=True)
    parser.add_argument("--fashion-dcgan", required=True)
    parser.add_argument("--mlp", required=True, help="the MLP GAN trained for the same time as --mnist-dcgan")
    parser.add_argument("--out-dir", default=os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--fashion-reference", action="store_true")
    args = parser.parse_args(argv)
    mnist, fashion = load_mnist(), load_fashion_mnist()
    dcgan, fashion_dcgan, mlp = load(args.mnist_dcgan), load(args.fashion_dcgan), load(args.mlp)
    samples_figure({"MLP GAN (mnist preset), same time": mlp, "DCGAN, MNIST": dcgan,
                    "DCGAN, Fashion-MNIST": fashion_dcgan}, os.path.join(args.out_dir, "dcgan_samples.png"))
    figure2(dcgan, mnist.train_x, os.path.join(args.out_dir, "dcgan_figure2_mnist.png"),
            "DCGAN samples (left) and their nearest MNIST training images (right, framed)")
    figure2(fashion_dcgan, fashion.train_x, os.path.join(args.out_dir, "dcgan_figure2_fashion.png"),
            "DCGAN samples (left) and their nearest Fashion-MNIST training images (right, framed)")
    result = parzen(fashion_dcgan.sample(10000, rng=Random(0)), fashion, args.fashion_dcgan, 0)
    write_json(result, os.path.join(args.out_dir, "fashion-dcgan-parzen.json"))
    print(f"Fashion-MNIST DCGAN: Parzen {result['test_ll']:.2f} +- {result['test_se']:.2f} nats "
          f"(sigma {result['sigma']:.3f})")
    if args.fashion_reference:
        real = parzen(fashion.train_x[:10000], fashion, "Fashion-MNIST training images 0..9,999", None)
        write_json(real, os.path.join(args.out_dir, "fashion-real-parzen.json"))
        print(f"real Fashion-MNIST training images: Parzen {real['test_ll']:.2f} +- {real['test_se']:.2f} nats "
              f"(sigma {real['sigma']:.3f})")


if __name__ == "__main__":
    main()
