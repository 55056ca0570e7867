"""Small image data sets the tests draw themselves with Pillow: "your own images" for ``--data``."""

import os

import numpy as np
from PIL import Image, ImageDraw

CLASSES = ("bars", "blobs")  # vertical bars and filled discs: an MLP tells them apart in a few epochs


def draw(kind, size, rng, colour=False):
    """One image of ``kind`` ("bars" or "blobs"), ``size`` x ``size``, grey ("L") or RGB."""
    image = Image.new("RGB" if colour else "L", (size, size), 0)
    pen = ImageDraw.Draw(image)
    fill = tuple(int(v) for v in rng.integers(128, 256, 3)) if colour else int(rng.integers(160, 256))
    if kind == "bars":
        for x in range(int(rng.integers(0, 3)), size, 4):
            pen.rectangle([x, 0, x + 1, size - 1], fill=fill)
    else:
        r = size // 4
        cx, cy = (int(v) for v in rng.integers(r, size - r, 2))
        pen.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    return image


def shapes_folder(root, per_class=30, size=16, classes=CLASSES, colour=False, suffix=".png", seed=0):
    """``root`` with one subfolder of ``per_class`` drawn images per class (``classes=()``: the images
    directly in ``root``, no labels); returns ``root``."""
    rng = np.random.default_rng(seed)
    for kind in classes or ("bars", "blobs"):
        folder = os.path.join(root, kind) if classes else root
        os.makedirs(folder, exist_ok=True)
        for i in range(per_class):
            draw(kind, size, rng, colour).save(os.path.join(folder, f"{kind}-{i:03d}{suffix}"))
    return root


def shapes_array(n=60, size=16, seed=0):
    """``(images, labels)``: n drawn images as uint8 (n, size, size), alternating classes 0 and 1."""
    rng = np.random.default_rng(seed)
    images = np.stack([np.asarray(draw(CLASSES[i % 2], size, rng)) for i in range(n)])
    return images, np.arange(n) % 2
