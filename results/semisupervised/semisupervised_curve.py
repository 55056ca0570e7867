"""The test-error curve of a semi-supervised run's log.csv as a Markdown table (for semisupervised.md).

    python results/semisupervised/semisupervised_curve.py results/semisupervised/semisup-improved-draw0-log.csv
    python results/semisupervised/semisupervised_curve.py LOG [LOG ...] --at 150

prints one row per chosen epoch: the test error (%) of the D that classifies (the average of
D's parameters when the run keeps one), of D's last iterate, and the validation error.
With ``--at EPOCH``: one row per log (one label draw each) at that epoch, and the mean and
standard deviation (over draws, n - 1 in the denominator) of each column; a log that has
not reached the epoch is listed with the epoch it has and left out of the mean.
"""

import argparse
import csv
import statistics

COLUMNS = (("test error, averaged D", "test_error"), ("test error, last iterate", "test_error_iterate"),
           ("validation error, averaged D", "valid_error"))


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def at_epoch(logs, epoch):
    """Print the draws' table at ``epoch`` (see the module's docstring)."""
    print("| log | epoch | " + " | ".join(name for name, _ in COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    reached = []
    for path in logs:
        rows = read(path)
        row = next((r for r in rows if int(r["epoch"]) == epoch), None)
        if row is None:
            last = rows[-1] if rows else None
            have = f"{last['epoch']} (not yet {epoch})" if last else "none"
            print(f"| {path} | {have} | " + " | ".join(
                f"{100 * float(last[c]):.2f}" if last else "" for _, c in COLUMNS) + " |")
            continue
        reached.append(row)
        print(f"| {path} | {epoch} | " + " | ".join(f"{100 * float(row[c]):.2f}" for _, c in COLUMNS) + " |")
    if len(reached) >= 2:
        cells = []
        for _, column in COLUMNS:
            values = [100 * float(r[column]) for r in reached]
            cells.append(f"{statistics.mean(values):.2f} +- {statistics.stdev(values):.2f}")
        print(f"| mean of {len(reached)} draws | {epoch} | " + " | ".join(cells) + " |")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("logs", nargs="+", metavar="log", help="a run's log.csv (with --at, one per label draw)")
    p.add_argument("--every", type=int, default=5, help="every this many epochs, with the first and the last")
    p.add_argument("--at", type=int, metavar="EPOCH", help="each log's row at EPOCH, and their mean")
    args = p.parse_args(argv)
    if args.at is not None:
        at_epoch(args.logs, args.at)
        return
    if len(args.logs) > 1:
        p.error("several logs need --at EPOCH")
    rows = read(args.logs[0])
    chosen = [r for r in rows if int(r["epoch"]) in (1, len(rows)) or int(r["epoch"]) % args.every == 0]
    print("| epoch | " + " | ".join(r["epoch"] for r in chosen) + " |")
    print("|---|" + "---|" * len(chosen))
    for name, column in COLUMNS:
        print(f"| {name} | " + " | ".join(f"{100 * float(r[column]):.2f}" for r in chosen) + " |")


if __name__ == "__main__":
    main()
