"""Pictures: sample grids, 2-D scatter plots, the paper's Figures 1 and 2.

Host-only: every function converts its arrays with ``to_numpy`` first and writes its
PNG atomically (temporary file, then rename). matplotlib runs with the Agg backend
unless a notebook chose another, so no display is needed.
"""

import os
import sys

import numpy

from npgan.backend import Random, asarray, to_numpy
from npgan.datasets.toy import make_toy
from npgan.files import atomic_write


def _pyplot():
    """pyplot, on the Agg backend unless the caller (a notebook) already chose one.

    Imported on the first picture, so that commands and modules that draw none never load
    matplotlib.
    """
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path):
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=100, bbox_inches="tight"))
    _pyplot().close(fig)


def tile_images(images, ncols=10, side=28, pad=1, shape=None):
    """(n, C*H*W) images in [0, 1] -> one mosaic array, (rows*(H+pad)+pad, cols*(W+pad)+pad) for grey
    images and with a last axis of 3 for colour ones; shape: (C, H, W), default (1, side, side)."""
    c, h, w = shape or (1, side, side)
    images = numpy.clip(to_numpy(images).reshape(-1, c, h, w), 0, 1).transpose(0, 2, 3, 1)
    n = images.shape[0]
    nrows = -(-n // ncols)
    canvas = numpy.ones((nrows * (h + pad) + pad, ncols * (w + pad) + pad, c))
    for i, img in enumerate(images):
        r, col = divmod(i, ncols)
        canvas[pad + r * (h + pad):pad + r * (h + pad) + h, pad + col * (w + pad):pad + col * (w + pad) + w] = img
    return canvas[..., 0] if c == 1 else canvas


def _show(ax, canvas):
    """Draw a mosaic: grey on a grey colour map, colour as it is."""
    ax.imshow(canvas, cmap="gray" if canvas.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")


def image_grid(images, path, ncols=10, title=None, shape=None):
    """Save (n, 784) images (or of ``shape`` (C, H, W): your own) as a grid."""
    plt = _pyplot()
    canvas = tile_images(images, ncols, shape=shape)
    h = shape[1] if shape else 28
    fig, ax = plt.subplots(figsize=(canvas.shape[1] / h, canvas.shape[0] / h + (0.4 if title else 0)))
    _show(ax, canvas)
    ax.axis("off")
    if title:
        ax.set_title(title)
    _save(fig, path)


def nearest_grid(samples, neighbours, path, ncols=10, title=None, shape=None):
    """The paper's Figure 2: each sample with its nearest training image beside it.

    Samples fill the even columns, their nearest training images the odd ones; a
    yellow frame marks the training images.
    """
    samples, neighbours = to_numpy(samples), to_numpy(neighbours)
    pairs = numpy.empty((2 * len(samples), samples.shape[1]), dtype=numpy.float64)
    pairs[0::2], pairs[1::2] = samples, neighbours
    plt = _pyplot()
    canvas = tile_images(pairs, 2 * ncols, shape=shape)
    _, h, w = shape or (1, 28, 28)
    fig, ax = plt.subplots(figsize=(canvas.shape[1] / h, canvas.shape[0] / h + 0.4))
    _show(ax, canvas)
    for i in range(len(samples)):
        r, c = divmod(2 * i + 1, 2 * ncols)
        ax.add_patch(plt.Rectangle((c * (w + 1) + 0.5, r * (h + 1) + 0.5), w, h, fill=False, edgecolor="gold",
                                   lw=1))
    ax.axis("off")
    ax.set_title(title or "samples (left) and their nearest training images (right, framed)")
    _save(fig, path)


def originals_and_reconstructions(originals, reconstructions, path, ncols=10, shape=None):
    """Rows of ``ncols`` originals, each with the row of their reconstructions below it."""
    originals, reconstructions = to_numpy(originals), to_numpy(reconstructions)
    rows = []
    for start in range(0, len(originals), ncols):
        block = slice(start, start + ncols)
        pad = ncols - len(originals[block])
        filler = numpy.ones((pad, originals.shape[1]))
        rows += [originals[block], filler, reconstructions[block], filler]
    plt = _pyplot()
    canvas = tile_images(numpy.concatenate(rows), ncols, shape=shape)
    h = shape[1] if shape else 28
    fig, ax = plt.subplots(figsize=(canvas.shape[1] / h, canvas.shape[0] / h + 0.4))
    _show(ax, canvas)
    ax.axis("off")
    ax.set_title("test images (odd rows) and their reconstructions (even rows)")
    _save(fig, path)


def scatter_2d(samples, path, centres=None, title=None):
    """2-D samples as dots, with the data's mode centres as crosses."""
    plt = _pyplot()
    s = to_numpy(samples)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(s[:, 0], s[:, 1], s=2, alpha=0.4, label="G(z)")
    if centres is not None:
        ax.scatter(centres[:, 0], centres[:, 1], marker="x", c="red", s=40, label="modes")
    ax.set_aspect("equal")
    ax.legend(loc="upper right")
    if title:
        ax.set_title(title)
    _save(fig, path)


def figure1(panels, path, title=None):
    """The paper's Figure 1 from real runs: one panel per stage of training.

    panels: list of dicts with ``label``, ``grid`` (points on the line), ``data_density``,
    ``generator_density`` (a histogram density of G's samples on the same grid) and
    ``discriminator`` (``D`` on the grid). Black dots: data; green: generator; blue
    dashes: the discriminator, as in the paper.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.2), squeeze=False)
    for ax, p in zip(axes[0], panels):
        ax.plot(p["grid"], p["data_density"], "k:", lw=2, label="data")
        ax.plot(p["grid"], p["generator_density"], "g-", label="G")
        ax.plot(p["grid"], p["discriminator"], "b--", label="D(x)")
        ax.axhline(0.5, color="gray", lw=0.5)
        top = max(float(numpy.max(p["data_density"])), float(numpy.max(p["generator_density"])))
        ax.set_ylim(0, max(1.05, top * 1.1))  # room for D (at most 1) and both densities
        ax.set_title(p["label"])
    axes[0][0].legend(loc="upper left", fontsize=8)
    if title:
        fig.suptitle(title)
        fig.tight_layout(rect=(0, 0, 1, 0.93))  # keep the panel titles clear of it
    _save(fig, path)


def figure1_grid(data, n=400):
    """Points on the line for a Figure 1 panel: the data's mean +- 10 standard deviations."""
    return numpy.linspace(data.mean - 10 * data.std, data.mean + 10 * data.std, n)


def figure1_panel(gan, data, grid, label, n=20000, seed=1):
    """Densities of the data and of G, and ``D(x)``, on ``grid``: one panel of Figure 1.

    G's density is a histogram of ``n`` samples drawn with their own ``Random(seed)``
    (so drawing a panel never moves the training stream), interpolated onto the grid.
    """
    samples = to_numpy(gan.sample(n, rng=Random(seed)))[:, 0]
    edges = numpy.linspace(grid[0], grid[-1], 81)
    hist, _ = numpy.histogram(samples, bins=edges, density=True)
    centres = (edges[:-1] + edges[1:]) / 2
    d = to_numpy(gan.discriminate(asarray(grid[:, None], dtype=gan.dtype)))
    return {"label": label, "grid": grid, "data_density": data.density(grid),
            "generator_density": numpy.interp(grid, centres, hist), "discriminator": d}


def save_samples(gan, dataset, path, n=None, title=None, seed=1, shape=None):
    """A picture of ``n`` samples of ``gan``: an image grid (MNIST, Fashion-MNIST, or images of ``shape``
    (C, H, W): your own) or a scatter/density (toy data).

    The noise comes from its own ``Random(seed)``, so pictures never disturb the training
    stream and show the same ``z`` at every epoch.
    """
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    rng = Random(seed)
    if dataset in ("mnist", "fashion-mnist") or shape:
        image_grid(gan.sample(n or 100, rng=rng), path, title=title, shape=shape)
        return
    data = make_toy(dataset)
    if data.dim == 2:
        scatter_2d(to_numpy(gan.sample(n or 2500, rng=rng)), path, data.centres, title=title)
    else:
        figure1([figure1_panel(gan, data, figure1_grid(data), title or "", seed=seed)], path)
