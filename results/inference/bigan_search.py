"""Short BiGAN runs for results/inference/inference.md's search: one configuration, a few epochs, scored.

    python results/inference/bigan_search.py NAME [--epochs 3] [--set KEY=VALUE ...] [--base PRESET]
                                        [--out runs/issue15/search] [--images 1000]

Trains ``BASE`` (default; the first ``mnist-bigan`` preset: the paper's GAN settings with a
512-512 G) or ``get_preset(--base)``, with each ``--set`` override (values as Python literals,
e.g. ``--set optimizer='adam' --set d_hidden=(256,256)``) for ``--epochs`` epochs into
``--out/NAME`` (resumed if the folder holds a checkpoint of fewer epochs), then prints the
run's log and, on the first ``--images`` test images, the reconstruction error per pixel
and the share of classes ``G(E(x))`` keeps (npgan's classifier), and appends one JSON line
with the configuration and those numbers to ``--out/search.jsonl``.
"""

import argparse
import ast
import json
import os

from npgan.backend import asarray
from npgan.datasets.idx import load_mnist
from npgan.evaluation import classifier
from npgan.models.inference.scores import class_kept, pixel_mse
from npgan.presets import Config, get_preset
from npgan.train import train

BASE = Config(model="bigan", g_hidden=(512, 512), update="simultaneous", e_lr_ratio=0.1, instance_noise=0.3,
              instance_noise_epochs=10, epochs=20, sample_every=1)


def overrides(pairs):
    """``{"key": value}`` from ``KEY=VALUE`` strings, values as Python literals (bare words as strings)."""
    out = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep:
            raise SystemExit(f"bigan_search: --set expects KEY=VALUE, got {pair!r}")
        try:
            out[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            out[key] = text
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--set", action="append", default=[], dest="sets")
    parser.add_argument("--base", help="a preset to start from instead of BASE")
    parser.add_argument("--out", default="runs/issue15/search")
    parser.add_argument("--images", type=int, default=1000)
    args = parser.parse_args()
    changes = overrides(args.sets)
    base = get_preset(args.base) if args.base else BASE
    config = base.replace(**dict(dict(sample_every=0), **changes, epochs=args.epochs))
    folder = os.path.join(args.out, args.name)
    checkpoint = os.path.join(folder, "checkpoint.npz")
    gan = train(config, folder, resume=checkpoint if os.path.exists(checkpoint) else None, quiet=True)
    with open(os.path.join(folder, "log.csv")) as f:
        log = f.read()
    print(log)
    mnist = load_mnist()
    x, labels = asarray(mnist.test_x[:args.images]), mnist.test_y[:args.images]
    recon = gan.reconstruct(x)
    kept = class_kept(classifier.load()[0], recon, labels)[0]
    mse = float(pixel_mse(recon, x).mean())
    last = dict(zip(log.splitlines()[0].split(","), log.splitlines()[-1].split(",")))
    print(f"{args.name}: epochs {args.epochs}, error per pixel {mse:.4f}, class kept {kept:.1%}")
    record = {"name": args.name, "base": args.base, "set": {k: repr(v) for k, v in changes.items()},
              "epochs": args.epochs, "pixel_mse": mse, "class_kept": kept, "last_log": last}
    with open(os.path.join(args.out, "search.jsonl"), "a") as f:
        f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
