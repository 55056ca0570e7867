"""A fork of the long DCGAN run: the rate annealed tenfold over two more epochs.

    mkdir -p runs/dcgan-anneal
    cp runs/mnist-dcgan/checkpoint.npz runs/mnist-dcgan/*.csv runs/dcgan-anneal/   # at an epoch's end (28 here)
    python results/dcgan/fork_annealed.py [runs/dcgan-anneal]

Trains the checkpoint's configuration two epochs further with the rate divided by
10^(1/780) per step from the fork on (390 steps an epoch), down to 2e-5: is the constant
rate what holds the distance up? (results/dcgan/dcgan.md: it is not.)
"""

import os
import sys

from npgan import checkpoint
from npgan.presets import Config
from npgan.train import train

folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join("runs", "dcgan-anneal")
path = os.path.join(folder, "checkpoint.npz")
fields, state, _ = checkpoint.read(path)
if state["iteration"]:
    sys.exit(f"{path}: stopped inside an epoch; fork at an epoch's end")
config = Config(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})
epoch, steps = state["epoch"], 50000 // config.batch_size
config = config.replace(epochs=epoch + 2, lr_decay_start=epoch * steps, lr_decay=10 ** (1 / (2 * steps)), lr_min=2e-5)
print(f"fork at epoch {epoch}: the rate falls from update {config.lr_decay_start}, by {config.lr_decay:.6f} per update")
train(config, folder, resume=path)
