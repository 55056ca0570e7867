"""Epochs and wall time a run took to reach each Parzen and Frechet-distance milestone.

    python results/mnist/milestones.py "mnist-fast, seed 0=RUN" ...

Each RUN is a run folder written by ``npgan train`` with ``--parzen-every`` and
``--eval-every`` (its ``log.csv``, ``parzen.csv`` and ``metrics.csv``: the last iterate's
Parzen log-likelihood of 10,000 samples and the Frechet distance of 2,000 samples in npgan's
classifier's features, logged every few epochs). A milestone's epoch is the first logged
epoch that reaches it; its time is the sum of ``log.csv``'s seconds up to that epoch (the
wall time of training on the machine at hand, evaluations excluded). ``--paper`` adds the
rows of the long ``mnist-paper`` run that results/mnist/mnist.md reports, from its text and
``results/mnist/mnist-averaged-curve.csv`` (that run's folders are not in the repository).
"""

import argparse
import csv
import os

PARZEN = (0, 100, 150, 200, 225)  # nats, at least
FD = (100, 50, 20, 10)  # at most (2,000 samples: larger than a 10,000-sample FD)


def _rows(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def milestones(run):
    """``{"parzen": {m: (epoch, seconds)}, "fd": {m: (epoch, seconds)}, "epochs": n, "seconds": s}``."""
    seconds, total = {}, 0.0
    for row in _rows(os.path.join(run, "log.csv")):
        total += float(row["seconds"])
        seconds[int(row["epoch"])] = total
    found = {"parzen": {}, "fd": {}, "epochs": max(seconds, default=0), "seconds": total}
    for row in _rows(os.path.join(run, "parzen.csv")):
        epoch, value = int(row["epoch"]), float(row["log_likelihood"])
        for m in PARZEN:
            if value >= m and m not in found["parzen"]:
                found["parzen"][m] = (epoch, seconds.get(epoch))
    for row in _rows(os.path.join(run, "metrics.csv")):
        epoch, value = int(row["epoch"]), float(row["frechet_distance"])
        for m in FD:
            if value <= m and m not in found["fd"]:
                found["fd"][m] = (epoch, seconds.get(epoch))
    return found


def _cell(hit):
    if hit is None:
        return "not reached"
    epoch, seconds = hit
    return f"{epoch} ({seconds / 60:.0f} min)" if seconds is not None else f"{epoch}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", metavar="LABEL=RUN")
    args = parser.parse_args()
    header = ["run"] + [f"Parzen >= {m}" for m in PARZEN] + [f"FD(2k) <= {m}" for m in FD] + ["last epoch"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for spec in args.runs:
        label, _, run = spec.rpartition("=")
        found = milestones(run)
        cells = [_cell(found["parzen"].get(m)) for m in PARZEN] + [_cell(found["fd"].get(m)) for m in FD]
        print(f"| {label or run} | " + " | ".join(cells) + f" | {found['epochs']} ({found['seconds'] / 60:.0f} min) |")


if __name__ == "__main__":
    main()
