"""Trials of one change each to the long DCGAN run's recipe (mnist-dcgan-long), its distance
per epoch against the long run's (results/dcgan/dcgan.md, "What each change bought").

    python results/dcgan/trials.py NAME [--out runs/dcgan-trial-NAME] [--epochs 10] [--resume]

NAME is one of the trials below. Each trains the preset with that one change, from the
start, writing the usual run folder (log.csv, metrics.csv: the Frechet distance of 2,000
samples after every epoch); --resume continues an interrupted trial from its checkpoint.
"""

import argparse
import os
import sys

from npgan.presets import get_preset
from npgan.train import Interrupted, train

TRIALS = {
    # D judges each image alone: no batch norm after its second convolution (which keeps its bias)
    "d-without-batchnorm": dict(conv_d_batchnorm=0),
    # G twice as wide as D (256 -> 128 channels where D has 64 -> 128): D wins the game in the
    # long run (D(G(z)) about 0.18), so give G more capacity; 1.8 M parameters, 3.6 MB in float16
    "wide-g": dict(conv_g_width=128),
    # two time scales the other way round: G's rate twice D's
    "g-rate-2x": dict(g_lr_ratio=2.0),
    # a fully connected hidden layer of 128 units in each net, as InfoGAN's MNIST networks have
    # (theirs has 1024; 128 keeps G at 0.95 M parameters, 3.8 MB in float32)
    "fc-128": dict(conv_fc_units=128),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", choices=sorted(TRIALS))
    parser.add_argument("--out", help="run folder (default: runs/dcgan-trial-NAME)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--resume", action="store_true", help="continue the trial in --out from its checkpoint")
    args = parser.parse_args()
    out = args.out or os.path.join("runs", f"dcgan-trial-{args.name}")
    config = get_preset("mnist-dcgan-long").replace(epochs=args.epochs, **TRIALS[args.name])
    try:
        train(config, out, resume=os.path.join(out, "checkpoint.npz") if args.resume else None)
    except Interrupted as stop:  # Ctrl-C: the checkpoint is saved; say so in one line
        sys.exit(f"trials.py: {stop}")


if __name__ == "__main__":
    main()
