"""Trial: mnist-dcgan-long with D's batch norm removed (conv_d_batchnorm 0), its distance per epoch
against the long run's (results/dcgan/dcgan.md).

    python results/dcgan/trial_d_without_batchnorm.py [runs/dcgan-trial-nobn] [--resume]
"""

import os
import sys

from npgan.presets import get_preset
from npgan.train import train

args = [a for a in sys.argv[1:] if a != "--resume"]
out = args[0] if args else os.path.join("runs", "dcgan-trial-nobn")
config = get_preset("mnist-dcgan-long").replace(conv_d_batchnorm=0)
train(config, out, resume=os.path.join(out, "checkpoint.npz") if "--resume" in sys.argv else None)
