"""mnist-dcgan trained in PyTorch and scored by npgan: is the slow fall of the distance npgan's?

    python results/dcgan/torch_reference.py [--epochs 10] [--seed 0] [--threads 1] [--out LOG.csv]

Trains ``benchmarks/conv.py``'s ``TorchDCGAN`` (the preset's model written in PyTorch:
the same layers, initialisation, two-pass D step, G step and Adam 2e-4, beta1 0.5) on
npgan's 50,000 MNIST training images, reshuffled every epoch, 390 minibatches of 128 an
epoch as ``npgan train --preset mnist-dcgan`` takes them. After every epoch it scores
2,000 samples of G in evaluation mode (batch norm on its running statistics) as npgan's
own runs do (``npgan.evaluation.scores.training_scores``: Frechet distance and class KL
in the features of npgan's classifier, against the 10,000 test images), prints a line
and appends it to ``--out`` (CSV: ``epoch, cpu_seconds, frechet_distance, class_kl``;
``cpu_seconds`` is the epoch's training steps, the scoring excluded). The same epochs of
an npgan run are in its ``metrics.csv`` (``results/dcgan/logs/mnist-dcgan/``).

Needs torch (``pip install -e .[bench]``) and MNIST ($NPGAN_DATA_DIR). About 1.5
CPU-minutes an epoch on one core.
"""

import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "benchmarks"))
from conv import TorchDCGAN

from npgan.datasets.idx import load_mnist
from npgan.evaluation.scores import training_scores
from npgan.files import atomic_write

BATCH = 128
SAMPLES = 2000


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0, help="the data order's and the noise's seed (the weights "
                        "start from TorchDCGAN's own seed, 0)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--out", help="CSV log to write (refused if it exists)")
    args = parser.parse_args(argv)
    if args.out and os.path.exists(args.out):
        parser.error(f"--out {args.out} exists: give a new file")
    torch.set_num_threads(args.threads)
    train = np.ascontiguousarray(np.asarray(load_mnist().train_x, dtype=np.float32))
    model = TorchDCGAN(BATCH, torch)
    torch.manual_seed(args.seed)
    order = np.random.default_rng(args.seed)
    rows = ["epoch,cpu_seconds,frechet_distance,class_kl"]
    for epoch in range(1, args.epochs + 1):
        start = time.process_time()
        for batch in order.permutation(len(train))[:len(train) // BATCH * BATCH].reshape(-1, BATCH):
            model.real = torch.from_numpy(train[batch])
            model.step()
        seconds = time.process_time() - start
        model.G.eval()
        with torch.no_grad():
            samples = model.G(torch.randn(SAMPLES, 100)).numpy()
        model.G.train()
        scores = training_scores(samples)
        rows.append(f"{epoch},{seconds:.1f},{scores['frechet_distance']:.4f},{scores['class_kl']:.5f}")
        print(f"epoch {epoch}: {seconds:.0f} s of CPU, FD {scores['frechet_distance']:.2f}, "
              f"class KL {scores['class_kl']:.4f}", flush=True)
        if args.out:  # rewritten whole after every epoch, never half-written
            text = ("\n".join(rows) + "\n").encode()
            atomic_write(args.out, lambda f: f.write(text), size=len(text))


if __name__ == "__main__":
    main()
