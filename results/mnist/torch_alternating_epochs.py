"""Algorithm 1 on mnist-paper in an independent PyTorch port: does D win in it too?

    python results/mnist/torch_alternating_epochs.py SEED [--epochs 6] [--threads 1]

Trains ``benchmarks/train_step.py``'s ``TorchRun`` (the mnist-paper model and
hyper-parameters written in PyTorch: maxout D with dropout, ReLU G, momentum SGD with
the decaying learning rate, G's initial output bias the logit of the mean training
image) in Algorithm 1 order (k = 1: a D step on fresh data and noise, then a G step on
fresh noise), seeded by ``torch.manual_seed(SEED)``. After each epoch of 500 iterations
it prints one line, ``epoch  mean D loss  mean G loss  seconds``: the format of
``results/mnist/logs/torch-alternating-seed*.log``, which ``results/mnist/mnist.md`` ("Why
mnist-paper uses the simultaneous update") compares with npgan's own logs.

Needs torch (``pip install -e .[bench]``) and MNIST ($NPGAN_DATA_DIR, or
../shared/data/mnist beside the repository). About a minute per epoch on one core.
"""

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "benchmarks"))
from train_step import TorchRun, load_train

from npgan.backend import asarray, to_numpy
from npgan.models.common import data_logit_mean

ITERATIONS = 500  # one epoch: 50,000 training images in minibatches of 100


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("seed", type=int)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x, source = load_train()
    if source == "random":
        parser.exit(1, "MNIST not found: set NPGAN_DATA_DIR to the directory of its four files\n")
    x = x.copy()  # writable: torch.from_numpy shares the memory
    run = TorchRun(x, to_numpy(data_logit_mean(asarray(x))), "cpu", seed=args.seed)
    for epoch in range(1, args.epochs + 1):
        start, d_total, g_total = time.perf_counter(), 0.0, 0.0
        for _ in range(ITERATIONS):
            d_loss, g_loss = run.step()
            d_total += d_loss.item()
            g_total += g_loss.item()
        print(epoch, round(d_total / ITERATIONS, 4), round(g_total / ITERATIONS, 4),
              round(time.perf_counter() - start, 1), flush=True)


if __name__ == "__main__":
    main()
