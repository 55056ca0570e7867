"""Continue a training run with a faster learning-rate decay, from the rate it has reached.

    cp -r RUN ANNEAL                    # RUN/checkpoint.npz at the epoch to branch from
    python results/mnist/anneal_branch.py ANNEAL/checkpoint.npz --lr-decay 1.000115 --epochs 260

npgan's learning rate after t updates is ``max(lr / lr_decay**t, lr_min)``
(``optim.ExponentialDecay``), t counted from the start of the run. To change the decay at
update t0 without a jump in the rate, the branch's ``Config`` gets

    lr' = rate(t0) * lr_decay'**t0,   so that   lr' / lr_decay'**t = rate(t0) / lr_decay'**(t - t0)

and everything else (networks, momentum, data order, random state) continues from the
checkpoint. The branch trains in the checkpoint's folder (so copy the run first), writes
the same outputs as ``npgan train`` (log.csv, parzen.csv, snapshots) and saves the new
``Config`` in its checkpoints, so ``npgan train --resume`` continues it as a branch.
``--lr-decay 1.000115`` divides the rate by 10 every 40 epochs of 500 updates
(1.000115**20000 = 10); results/mnist/mnist.md's annealed branch is this from epoch 221.
"""

import argparse
import os

from npgan import checkpoint, loading
from npgan.models.gan.outputs import epoch_outputs
from npgan.models.gan.training import GANModel
from npgan.nn.optim import ExponentialDecay
from npgan.train import Interrupted, Trainer


def branch_config(path, lr_decay, epochs):
    """The checkpoint's ``Config`` with ``lr_decay`` from now on and the rate continuous; also t0."""
    config, _, arrays = loading.read(path)
    updates = {name: int(checkpoint.optimizer_state(arrays, name)["updates"]) for name in ("D", "G")}
    if updates["D"] != updates["G"]:
        raise SystemExit(f"{path}: D has taken {updates['D']} updates and G {updates['G']} (k > 1); "
                         "one learning-rate schedule cannot continue both")
    t0 = updates["G"]
    rate = ExponentialDecay(config.lr, config.lr_decay, config.lr_min)(t0)
    return config.replace(lr=rate * lr_decay**t0, lr_decay=lr_decay, epochs=epochs), t0, rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint", help="a training checkpoint, in the folder the branch trains in")
    parser.add_argument("--lr-decay", type=float, required=True, help="the branch's decay per update (>= 1)")
    parser.add_argument("--epochs", type=int, required=True, help="train the branch up to this epoch")
    args = parser.parse_args()
    config, t0, rate = branch_config(args.checkpoint, args.lr_decay, args.epochs)
    trainer = Trainer(GANModel(config), os.path.dirname(os.path.abspath(args.checkpoint)), epoch_outputs)
    trainer.restore(args.checkpoint)
    print(f"branch at epoch {trainer.epoch} (update {t0}, learning rate {rate:.4g}): "
          f"lr_decay {config.lr_decay} up to epoch {config.epochs}", flush=True)
    try:
        trainer.run()
    except Interrupted as exc:
        raise SystemExit(str(exc)) from None


if __name__ == "__main__":
    main()
