"""The epoch-by-epoch table of Algorithm 1 runs in results/mnist/mnist.md, from their logs.

    python results/mnist/algorithm1_table.py "LABEL=RUN" ... [--epochs 1,2,4,6,8,10,15,20] [--plot PNG]

Each RUN is a run folder of ``npgan train --eval-every 1 --parzen-every N`` (or a copy of
its ``log.csv``, ``metrics.csv`` and ``parzen.csv``, as in ``results/mnist/logs/algorithm1/``).
For every listed epoch the run has logged, one Markdown row: the mean ``D(x)`` and
``D(G(z))`` of the epoch, G's loss, the Frechet distance of 2,000 samples in npgan's
classifier's features, the class KL of those samples (0: the data's mix of digits; log 10
= 2.30: one digit) and the Parzen log-likelihood of 10,000 samples (nats, with its
sigma) where the run computed one. A run's label is printed on its first row.
``--plot PNG`` also draws every logged epoch's Frechet distance and class KL, and the
Parzen scores, of all the runs (a new file; an existing one is refused).
"""

import argparse
import csv
import os


def _by_epoch(path):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return {int(row["epoch"]): row for row in csv.DictReader(f)}


def rows(label, run, epochs):
    """The table rows (strings) of one run at the epochs it logged."""
    log = _by_epoch(os.path.join(run, "log.csv"))
    metrics = _by_epoch(os.path.join(run, "metrics.csv"))
    parzen = _by_epoch(os.path.join(run, "parzen.csv"))
    out = []
    for epoch in epochs:
        if epoch not in log:
            continue
        entry, m, p = log[epoch], metrics.get(epoch), parzen.get(epoch)
        fd = f"{float(m['frechet_distance']):.1f}" if m else ""
        kl = f"{float(m['class_kl']):.2f}" if m else ""
        ll = f"{float(p['log_likelihood']):.1f} ({float(p['sigma']):.3f})" if p else ""
        out.append(f"| {label if not out else ''} | {epoch} | {float(entry['d_real']):.3f} | "
                   f"{float(entry['d_fake']):.3f} | {float(entry['g_loss']):.2f} | {fd} | {kl} | {ll} |")
    return out


def plot(runs, path):
    """FD, class KL and Parzen against the epoch, one line per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from npgan.files import atomic_write

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    for label, _, run in runs:
        metrics = _by_epoch(os.path.join(run, "metrics.csv"))
        parzen = _by_epoch(os.path.join(run, "parzen.csv"))
        style = "--" if "simultaneous" in label else "-"
        for ax, table, key in ((axes[0], metrics, "frechet_distance"), (axes[1], metrics, "class_kl"),
                               (axes[2], parzen, "log_likelihood")):
            epochs = sorted(table)
            ax.plot(epochs, [float(table[e][key]) for e in epochs], style, marker=".", label=label)
    for ax, title in zip(axes, ("Frechet distance (2,000 samples)", "class KL (0: the data's mix)",
                                "Parzen log-likelihood (nats)")):
        ax.set_xlabel("epoch")
        ax.set_title(title, fontsize=10)
    axes[0].set_yscale("log")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=72))
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", metavar="LABEL=RUN")
    parser.add_argument("--epochs", default="1,2,4,6,8,10,15,20",
                        help="comma-separated epochs to show (default 1,2,4,6,8,10,15,20)")
    parser.add_argument("--plot", metavar="PNG", help="also draw the curves into this new file")
    args = parser.parse_args(argv)
    if args.plot and os.path.exists(args.plot):
        parser.error(f"--plot {args.plot}: the file exists; expected a new path (remove it first)")
    try:
        epochs = [int(e) for e in args.epochs.split(",")]
    except ValueError:
        parser.error(f"--epochs {args.epochs!r}: expected comma-separated whole numbers, e.g. 1,2,4")
    runs = [spec.partition("=") for spec in args.runs]
    for spec, (label, sep, run) in zip(args.runs, runs):
        if not sep or not os.path.isdir(run):
            parser.error(f"{spec!r}: expected LABEL=RUN with RUN a run folder")
    print("| run | epoch | D(x) | D(G(z)) | G loss | FD (2,000) | class KL | Parzen (nats, sigma) |")
    print("|---|---|---|---|---|---|---|---|")
    for label, _, run in runs:
        print("\n".join(rows(label, run, epochs)))
    if args.plot:
        plot(runs, args.plot)
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
