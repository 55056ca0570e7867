"""Where a toy generator's low-quality samples are: distances to the nearest mode, per-mode spread.

    python benchmarks/mode_distances.py ring-8
    python benchmarks/mode_distances.py grid-25-plain '{"epochs": 120}' --seed 1

Trains ``PRESET`` with the JSON changes (as ``benchmarks/mode_collapse.py`` does), draws
its 2,500 evaluation samples (from the averaged G when the configuration has
``average_from``, as the benchmark judges it), and prints the share of samples within r standard
deviations of their nearest mode centre for several r (PacGAN's high-quality share is
r = 3; real data has 1 - exp(-9/2) = 98.9% there in 2-D), then, for the first eight
modes, the offset of the mean of the samples near it (within 10 std) from its centre
and their spread along each axis, both in units of the data's std (the data: 0 and 1).
Samples far from every mode are the trails a continuous G leaves between modes; a
spread above 1 is a mode drawn wider than the data's.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import sys

import numpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mode_collapse import eval_samples, trained_generators

from npgan.datasets.toy import make_toy
from npgan.errors import UsageError
from npgan.evaluation.modes import mode_metrics
from npgan.presets import get_preset

RADII = (1, 2, 3, 4, 6, 10, 30)


def distances_report(samples, toy):
    """Lines describing where ``samples`` (n, 2) lie relative to ``toy``'s modes."""
    squared = ((samples[:, None, :] - toy.centres[None]) ** 2).sum(axis=2)  # (n, K)
    nearest, distance = squared.argmin(axis=1), numpy.sqrt(squared.min(axis=1))
    lines = [f"within {r:2d} std of the nearest centre: {numpy.mean(distance <= r * toy.std):6.1%}" for r in RADII]
    for k in range(min(8, toy.n_modes)):
        near = (nearest == k) & (distance < 10 * toy.std)
        if near.sum() < 3:
            lines.append(f"mode {k}: {near.sum()} samples within 10 std")
            continue
        offset = (samples[near].mean(axis=0) - toy.centres[k]) / toy.std
        spread = samples[near].std(axis=0) / toy.std
        lines.append(f"mode {k}: {near.sum():4d} samples within 10 std, offset {numpy.round(offset, 2)}, "
                     f"spread {numpy.round(spread, 2)} (std units)")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("preset", help="a toy preset, e.g. ring-8 or grid-25-plain")
    parser.add_argument("changes", nargs="?", default="{}", help="JSON object of Config changes")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        config = get_preset(args.preset).replace(seed=args.seed, sample_every=0, **json.loads(args.changes))
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    gan, averaged, _ = trained_generators(config, args.seed)
    if averaged is not None:
        print(f"(average_from: the averaged G, mean of G over the ends of epochs {config.average_from} on)")
        gan = averaged
    toy = make_toy(config.dataset)
    samples = eval_samples(gan, args.seed).astype(numpy.float64)
    metrics = mode_metrics(samples, toy.centres, toy.std)
    print(f"{args.preset} {args.changes} seed {args.seed}: {metrics['modes_covered']}/{metrics['n_modes']} modes, "
          f"{metrics['high_quality']:.1%} high-quality, reverse KL {metrics['reverse_kl']:.3f}")
    print("\n".join(distances_report(samples, toy)))


if __name__ == "__main__":
    main()
