"""The picture of results/semisupervised/semisupervised.md's samples section.

100 samples of the semi-supervised G (a mnist-semisup training checkpoint) beside 100 of
the plain GAN's committed generator (pretrained/npgan-mnist-generator.npz), the same seed:

    python results/semisupervised/semisupervised_samples.py runs/issue17/labels100-seed0/checkpoint.npz \\
        -o results/semisupervised/semisupervised_samples.png
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import npgan
from npgan.backend import Random, to_numpy
from npgan.plots import tile_images


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("semisup", help="a mnist-semisup training checkpoint (it holds G)")
    p.add_argument("--plain", default="pretrained/npgan-mnist-generator.npz", help="the plain GAN's generator file")
    p.add_argument("-o", "--output", required=True)
    args = p.parse_args(argv)
    fig, axes = plt.subplots(1, 2, figsize=(8, 4.3))
    for ax, (path, title) in zip(axes, ((args.semisup, "semi-supervised G (feature matching, 20 epochs)"),
                                        (args.plain, "plain GAN's G (the committed one, averaged)"))):
        images = to_numpy(npgan.load(path).sample(100, rng=Random(0)))
        ax.imshow(tile_images(images, 10), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(args.output, dpi=80)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
