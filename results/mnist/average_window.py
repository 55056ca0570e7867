"""Which snapshots to average: the window chosen on the validation set, then scored on test.

    python results/mnist/average_window.py RUN_DIR [--starts 5 25 50 100 150 200] [--end EPOCH] \
        [--out results/mnist/mnist-average-windows.csv] [--write pretrained/npgan-mnist-generator.npz]
    python results/mnist/average_window.py RUN_DIR --starts 5 --curve 10 20 40 ...   # -> mnist-averaged-curve.csv

For each start epoch s, the generators saved by `npgan train` in RUN_DIR/snapshots at
epochs s, s+5, ..., END are averaged (`npgan average`), 10,000 samples are drawn (seed 0,
as `npgan parzen`), and the paper's Parzen protocol runs. The window is chosen by the
*validation* log-likelihood at the selected sigma (the same 1,000 validation images that
choose sigma), never by the test score; the test score of every window is printed as
well, so the choice can be checked. The last row, "last", is the plain last iterate.
"""

import argparse
import csv
import glob
import io
import os
import re

from npgan import checkpoint
from npgan.backend import Random, asarray
from npgan.datasets.idx import load_mnist
from npgan.evaluation.parzen import parzen_protocol
from npgan.files import atomic_write
from npgan.loading import average_generators


def snapshots(run):
    found = {}
    for path in glob.glob(os.path.join(run, "snapshots", "generator-epoch-*.npz")):
        found[int(re.search(r"(\d+)\.npz$", path).group(1))] = path
    return dict(sorted(found.items()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run")
    parser.add_argument("--starts", type=int, nargs="+", default=[5, 25, 50, 100, 150, 200])
    parser.add_argument("--end", type=int, help="last epoch averaged (default: the latest snapshot)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                     "mnist-average-windows.csv"))
    parser.add_argument("--write", help="save the chosen averaged generator here (float32 .npz)")
    parser.add_argument("--curve", type=int, nargs="+", metavar="END",
                        help="instead: for each END, score the average of the snapshots from the "
                             "first --starts epoch to END (the averaged generator's learning curve)")
    args = parser.parse_args()

    found = snapshots(args.run)
    if args.curve:
        return curve(args, found)
    end = args.end or max(found)
    mnist = load_mnist()
    valid, test = asarray(mnist.valid_x), asarray(mnist.test_x)
    rows, chosen = [], None
    for start in [s for s in args.starts if s <= end] + ["last"]:
        epochs = [end] if start == "last" else [e for e in found if start <= e <= end]
        gan = average_generators([found[e] for e in epochs])
        result = parzen_protocol(gan.sample(10000, rng=Random(0)), valid, test)
        valid_ll = max(result["valid_ll"])
        row = {"window": f"{epochs[0]}..{end}" if start != "last" else f"last ({end})",
               "snapshots": len(epochs), "sigma": round(result["sigma"], 4),
               "valid_ll": round(valid_ll, 2), "test_ll": round(result["test_ll"], 2),
               "test_se": round(result["test_se"], 2)}
        rows.append(row)
        print("  ".join(f"{k} {v}" for k, v in row.items()), flush=True)
        if chosen is None or valid_ll > chosen[0]:
            chosen = (valid_ll, row, gan)
    write_csv(rows, args.out)
    _, row, gan = chosen
    print(f"chosen on validation: {row['window']} -> test {row['test_ll']} +- {row['test_se']} nats")
    if args.write:
        checkpoint.save(args.write, gan.config, gan.state, {"G": gan.G}, kind="generator", dtype="float32")
        print(f"wrote {args.write}")


def curve(args, found):
    """Test log-likelihood of the averaged generator (snapshots start..END) against END."""
    mnist = load_mnist()
    valid, test = asarray(mnist.valid_x), asarray(mnist.test_x)
    start = args.starts[0]
    out = args.out if args.out.endswith("curve.csv") else os.path.join(os.path.dirname(args.out),
                                                                        "mnist-averaged-curve.csv")
    rows = []
    for end in args.curve:
        epochs = [e for e in found if start <= e <= end]
        result = parzen_protocol(average_generators([found[e] for e in epochs]).sample(10000, rng=Random(0)),
                                 valid, test)
        rows.append({"epoch": end, "first_epoch": start, "snapshots": len(epochs),
                     "sigma": round(result["sigma"], 4), "log_likelihood": round(result["test_ll"], 2),
                     "standard_error": round(result["test_se"], 2)})
        print("  ".join(f"{k} {v}" for k, v in rows[-1].items()), flush=True)
    write_csv(rows, out)


def write_csv(rows, path):
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    atomic_write(path, lambda f: f.write(text.getvalue().encode()))


if __name__ == "__main__":
    main()
