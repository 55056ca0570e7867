"""Training efficiency: Frechet distance against CPU-minutes, from the runs' committed logs.

    python results/dcgan/efficiency.py [LABEL=RUN ...] [-o results/dcgan/efficiency.png]
    python results/dcgan/efficiency.py --epochs RUN      # one run's table, epoch by epoch

Each RUN is a folder holding a run's ``log.csv`` and ``metrics.csv`` (as ``npgan train``
writes them with ``--eval-every``): one row per epoch, and the Frechet distance of 2,000
samples of the last iterate in npgan's classifier's features (larger than the
10,000-sample distance ``npgan evaluate`` prints, by a few tenths near the end). The time
axis is the sum of ``log.csv``'s ``cpu_seconds`` up to each epoch (the CPU time of the
training steps, every thread of the process; evaluations not counted) when the log has
that column, and otherwise the sum of its ``seconds``: the wall time of the steps on a
machine shared with other jobs, which is *not* CPU time (drawn dashed, and marked
"wall" in the table). A row restored after a crash has no time (``nan``): that epoch
counts as nothing and the table says so.

A run folder that also holds ``metrics-averaged.csv`` (a run with ``--average-from``) gets a
second line, its averaged generator's distances against the same minutes.

Without arguments: the four presets of the efficiency comparison and ``mnist-dcgan-fc``
(the DCGAN with a fully connected hidden layer in each net), from the folders
where their logs are committed (``DEFAULT_RUNS``); a missing folder is reported, not
drawn. Prints a Markdown table: for each run, the clock, the epochs and minutes logged,
the best distance, and the minutes to reach a distance of 10, 5 and 2.4.
"""

import argparse
import csv
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEFAULT_RUNS = {
    "mnist-dcgan": os.path.join(HERE, "logs", "mnist-dcgan"),
    "mnist-fast": os.path.join(HERE, "logs", "mnist-fast"),
    "mnist-paper": os.path.join(HERE, "logs", "mnist-paper"),
    "mnist-algorithm1": os.path.join(ROOT, "results", "mnist", "logs", "algorithm1", "seed0"),
    "mnist-dcgan-fc": os.path.join(HERE, "logs", "mnist-dcgan-fc"),
}
MILESTONES = (10.0, 5.0, 2.4)


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def read_run(folder, metrics_file="metrics.csv"):
    """``{"clock", "minutes": [...], "fd": [...], "epochs", "total_minutes", "untimed"}``, or ``None`` without logs.

    ``minutes[i]`` is the training time up to the epoch of ``fd[i]``. ``metrics_file``:
    "metrics-averaged.csv" for the distances of the run's averaged generator.
    """
    log, metrics = os.path.join(folder, "log.csv"), os.path.join(folder, metrics_file)
    if not (os.path.exists(log) and os.path.exists(metrics)):
        return None
    rows = _rows(log)
    clock = "cpu" if rows and "cpu_seconds" in rows[0] else "wall"
    column = "cpu_seconds" if clock == "cpu" else "seconds"
    elapsed, total, untimed = {}, 0.0, []
    for row in rows:
        seconds = float(row[column])
        if math.isnan(seconds):
            untimed.append(int(row["epoch"]))
        else:
            total += seconds
        elapsed[int(row["epoch"])] = total / 60
    points = [(elapsed[int(r["epoch"])], float(r["frechet_distance"])) for r in _rows(metrics)
              if int(r["epoch"]) in elapsed]
    return {"clock": clock, "minutes": [m for m, _ in points], "fd": [d for _, d in points],
            "epochs": max(elapsed, default=0), "total_minutes": total / 60, "untimed": untimed}


def minutes_to(run, target):
    """The training minutes at the first logged epoch whose distance is at most ``target``, or ``None``."""
    return next((m for m, d in zip(run["minutes"], run["fd"]) if d <= target), None)


def table(runs, missing):
    lines = ["| run | clock | epochs logged | minutes logged | best FD (2,000 samples) | "
             + " | ".join(f"minutes to FD {t:g}" for t in MILESTONES) + " |",
             "|---|---|---|---|---|" + "---|" * len(MILESTONES)]
    for label, run in runs.items():
        cells = []
        for target in MILESTONES:
            hit = minutes_to(run, target)
            cells.append(f"{hit:.0f}" if hit is not None else f"not by {run['total_minutes']:.0f}")
        clock = "CPU" if run["clock"] == "cpu" else "wall (shared machine)"
        if run["untimed"]:
            clock += f"; epochs {', '.join(map(str, run['untimed']))} untimed"
        lines.append(f"| {label} | {clock} | {run['epochs']} | {run['total_minutes']:.0f} | {min(run['fd']):.2f} | "
                     + " | ".join(cells) + " |")
    for label, folder in missing.items():
        lines.append(f"| {label} | no log.csv and metrics.csv in {os.path.relpath(folder, ROOT)} | | | |"
                     + " |" * len(MILESTONES))
    return "\n".join(lines)


def epoch_table(folder):
    """One run's epochs: cumulative training minutes, the epoch's wall minutes, D(x), D(G(z)), FD, class KL,
    and the averaged generator's FD where the run keeps one."""
    run = read_run(folder)
    if run is None:
        raise SystemExit(f"efficiency.py: no log.csv and metrics.csv in {folder}")
    metrics = {int(r["epoch"]): r for r in _rows(os.path.join(folder, "metrics.csv"))}
    averaged_path = os.path.join(folder, "metrics-averaged.csv")
    averaged = {int(r["epoch"]): r for r in _rows(averaged_path)} if os.path.exists(averaged_path) else None
    clock = "CPU" if run["clock"] == "cpu" else "wall"
    lines = [f"| epoch | {clock} minutes (cumulative) | wall minutes of the epoch | D(x) | D(G(z)) | "
             "FD, 2,000 samples | class KL |" + (" FD, averaged G |" if averaged is not None else ""),
             "|---|---|---|---|---|---|---|" + ("---|" if averaged is not None else "")]
    total = 0.0
    for row in _rows(os.path.join(folder, "log.csv")):
        epoch = int(row["epoch"])
        seconds = float(row["cpu_seconds" if run["clock"] == "cpu" else "seconds"])
        total += 0.0 if math.isnan(seconds) else seconds
        m = metrics.get(epoch)
        fd, kl = (f"{float(m['frechet_distance']):.2f}", f"{float(m['class_kl']):.3f}") if m else ("", "")
        line = (f"| {epoch} | {total / 60:.1f} | {float(row['seconds']) / 60:.1f} | {float(row['d_real']):.3f} | "
                f"{float(row['d_fake']):.3f} | {fd} | {kl} |")
        if averaged is not None:
            line += f" {float(averaged[epoch]['frechet_distance']):.2f} |" if epoch in averaged else " |"
        lines.append(line)
    return "\n".join(lines)


def draw(runs, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from npgan.files import atomic_write

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, run in runs.items():
        style = "-" if run["clock"] == "cpu" else "--"
        ax.plot(run["minutes"], run["fd"], style, marker=".", label=label + ("" if run["clock"] == "cpu"
                                                                              else " (wall minutes)"))
    for target in MILESTONES:
        ax.axhline(target, color="grey", lw=0.6, ls=":")
    ax.set_yscale("log")
    ax.set_xlabel("training minutes (CPU time where logged; dashed: wall time on a shared machine)")
    ax.set_ylabel("Frechet distance, 2,000 samples")
    ax.set_title("MNIST: Frechet distance against training time")
    ax.legend()
    fig.tight_layout()
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110))
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="*", metavar="LABEL=RUN",
                        help="run folders (default: the four presets and mnist-dcgan-fc)")
    parser.add_argument("-o", "--output", default=os.path.join(HERE, "efficiency.png"))
    parser.add_argument("--epochs", metavar="RUN", help="print one run's table, epoch by epoch, and nothing else")
    args = parser.parse_args(argv)
    if args.epochs:
        print(epoch_table(args.epochs))
        return
    wanted = dict(DEFAULT_RUNS)
    if args.runs:
        wanted = {}
        for item in args.runs:
            if "=" not in item:
                parser.error(f"expected LABEL=RUN, got {item!r}")
            label, folder = item.split("=", 1)
            wanted[label] = folder
    runs, missing = {}, {}
    for label, folder in wanted.items():
        run = read_run(folder)
        if run is None or not run["fd"]:
            missing[label] = folder
            continue
        runs[label] = run
        averaged = read_run(folder, "metrics-averaged.csv")  # a run that keeps an averaged G: its line too
        if averaged is not None and averaged["fd"]:
            runs[f"{label}, averaged G"] = averaged
    print(table(runs, missing))
    if runs:
        draw(runs, args.output)
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
