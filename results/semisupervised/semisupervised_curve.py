"""The test-error curve of a semi-supervised run's log.csv as a Markdown table (for semisupervised.md).

    python results/semisupervised/semisupervised_curve.py results/semisupervised/semisup-improved-draw0-log.csv

prints one row per chosen epoch: the test error (%) of the D that classifies (the average of
D's parameters when the run keeps one), of D's last iterate, and the validation error.
"""

import argparse
import csv


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("log", help="a run's log.csv")
    p.add_argument("--every", type=int, default=5, help="every this many epochs, with the first and the last")
    args = p.parse_args(argv)
    with open(args.log, newline="") as f:
        rows = list(csv.DictReader(f))
    chosen = [r for r in rows if int(r["epoch"]) in (1, len(rows)) or int(r["epoch"]) % args.every == 0]
    print("| epoch | " + " | ".join(r["epoch"] for r in chosen) + " |")
    print("|---|" + "---|" * len(chosen))
    for name, column in (("test error, averaged D", "test_error"), ("test error, last iterate", "test_error_iterate"),
                         ("validation error, averaged D", "valid_error")):
        print(f"| {name} | " + " | ".join(f"{100 * float(r[column]):.2f}" for r in chosen) + " |")


if __name__ == "__main__":
    main()
