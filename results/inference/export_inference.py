"""Write the committed inference models from their training runs (results/inference/inference.md).

    python results/inference/export_inference.py --encoder runs/issue15/mnist-encoder/checkpoint.npz
                                       --bigan runs/issue15/mnist-alice/checkpoint.npz [--force]

* pretrained/npgan-mnist-encoder.npz: E alone, float32, naming its generator
  (npgan-mnist-generator.npz, beside it) by file name and SHA-256;
* pretrained/npgan-mnist-bigan.npz: a BiGAN run's G and E, float16 (D is only for training);
  the committed one is the ALICE variant (preset mnist-alice: its config has bigan_recon > 0).

An existing file is replaced only with --force.
"""

import argparse
import os
import sys

from npgan import load
from npgan.models.common import save_model_file
from npgan.models.inference.encoder_training import save_encoder_file

# This script is in results/inference/; the repository is two folders up.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRETRAINED = os.path.join(ROOT, "pretrained")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--encoder", help="training checkpoint of an mnist-encoder run")
    parser.add_argument("--bigan", help="training checkpoint of an mnist-alice (or mnist-bigan) run")
    parser.add_argument("--force", action="store_true", help="replace existing files")
    args = parser.parse_args()
    jobs = []
    if args.encoder:
        jobs.append((os.path.join(PRETRAINED, "npgan-mnist-encoder.npz"), args.encoder,
                     lambda net, out: save_encoder_file(out, net, epoch=net.state["epoch"])))
    if args.bigan:
        jobs.append((os.path.join(PRETRAINED, "npgan-mnist-bigan.npz"), args.bigan,
                     lambda net, out: save_model_file(out, net, {"epoch": net.state["epoch"],
                                                                 "source": os.path.basename(args.bigan)})))
    for out, source, save in jobs:
        if os.path.exists(out) and not args.force:
            sys.exit(f"{out} exists; pass --force to replace it")
        net = load(source)
        save(net, out)
        print(f"wrote {out} ({os.path.getsize(out) / 2**20:.1f} MiB) from {source}, epoch {net.state['epoch']}")


if __name__ == "__main__":
    main()
