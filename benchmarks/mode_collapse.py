"""Mode-collapse benchmark on the 2-D toy data (PacGAN's protocol; see DESIGN.md).

    python benchmarks/mode_collapse.py              # 3 seeds per configuration
    python benchmarks/mode_collapse.py --seeds 5
    python benchmarks/mode_collapse.py --quick      # 2 seeds, a fifth of the iterations
    python benchmarks/mode_collapse.py --try ring-8-plain '{"pack": 2}' --seeds 1   # one configuration
    python benchmarks/mode_collapse.py --try ring-8 '{}' --ema 0.999   # judged by G's moving average

For each of ring-8 and grid-25 it trains, for each seed: the plain preset
(``ring-8-plain``, ``grid-25-plain``: momentum SGD, no remedy); the plain preset with each
remedy of ``npgan.nn.remedies`` alone (label smoothing, instance noise, two learning rates,
packing, the minibatch standard deviation) and with a combination; and the preset
(``ring-8``, ``grid-25``: the best configuration found). Each generator draws 2,500
samples with their own generator, scored by ``toy.mode_metrics``: modes covered, the
share of high-quality samples (within 3 std of the nearest centre) and the reverse KL of
the mode histogram to the uniform one. A configuration with ``average_from`` is judged by
its averaged G (the mean of G over the ends of epochs ``average_from`` on; Yazici et al.
2019), with the last iterate's figures printed beside it. It prints mean +- standard error over seeds and
whether the goals are met; a full run (not ``--quick``) writes
``benchmarks/results/mode_collapse.md`` and appends one JSON line to
``benchmarks/results/mode_collapse.jsonl``.

BLAS runs on one thread: these networks are small, and on a busy machine a threaded
OpenBLAS spends far more time waiting for its threads than multiplying.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import RESULTS_DIR, append_result  # noqa: E402

from npgan.backend import Random, to_numpy  # noqa: E402
from npgan.datasets.toy import make_toy  # noqa: E402
from npgan.evaluation.modes import mode_metrics  # noqa: E402
from npgan.files import atomic_write  # noqa: E402
from npgan.loading import load  # noqa: E402
from npgan.presets import get_preset  # noqa: E402
from npgan.train import NonFiniteError, train  # noqa: E402

N_SAMPLES = 2500
EVAL_SEED = 12345  # the evaluation samples' own generator (never the training stream)

# Instance noise starts at about a quarter of the distance between neighbouring modes
# (ring-8: 2 sin(pi/8) = 0.77; grid-25: 2) and falls to 0 over the first half of the run.
START_NOISE = {"ring-8": 0.2, "grid-25": 0.5}


def variants(dataset):
    """``(label, preset, changes)`` for ``dataset``: the baseline, each remedy, a combination, the preset."""
    plain = get_preset(f"{dataset}-plain")
    noise = {"instance_noise": START_NOISE[dataset], "instance_noise_epochs": plain.epochs // 2}
    return [
        (f"{dataset}-plain (momentum SGD, no remedy)", f"{dataset}-plain", {}),
        ("plain + label smoothing 0.1", f"{dataset}-plain", {"label_smoothing": 0.1}),
        (f"plain + instance noise {START_NOISE[dataset]} annealed over half", f"{dataset}-plain", noise),
        ("plain + G's rate 2x D's (two time scales)", f"{dataset}-plain", {"g_lr_ratio": 2.0}),
        ("plain + PacGAN2 (pack 2)", f"{dataset}-plain", {"pack": 2}),
        ("plain + minibatch std (groups of 10)", f"{dataset}-plain", {"minibatch_std": 10}),
        ("plain + pack 2 + minibatch std + label smoothing", f"{dataset}-plain",
         {"pack": 2, "minibatch_std": 10, "label_smoothing": 0.1}),
        (f"preset {dataset} (best found)", dataset, {}),
    ]


# The goals: PacGAN's Table 1 beaten on both axes at once (on the preset's row).
GOALS = {"ring-8": "8/8 modes on every seed, >= 98.2% high-quality (PacGAN's GAN)",
         "grid-25": ">= 24.8/25 modes (mean), >= 93.6% high-quality and reverse KL <= 0.05 (PacGAN4)"}


def goal_met(dataset, runs):
    """Whether the runs of a configuration meet the goal for ``dataset``."""
    quality = numpy.mean([r["high_quality"] for r in runs])
    if dataset == "ring-8":
        return bool(all(r["modes"] == 8 for r in runs) and quality >= 0.982)
    kl = numpy.mean([r["reverse_kl"] for r in runs])
    return bool(numpy.mean([r["modes"] for r in runs]) >= 24.8 and quality >= 0.936 and kl <= 0.05)


# PacGAN (Lin et al. 2018), Table 1, for orientation: their MLPs, Adam, other settings.
PUBLISHED = [  # as quoted in DESIGN.md; standard errors and reverse KL not transcribed
    ("ring-8", "GAN (PacGAN Table 1)", "6.3 +- 0.5", "98.2", "-"),
    ("ring-8", "PacGAN2 (PacGAN Table 1)", "7.9", "95.6", "-"),
    ("grid-25", "GAN (PacGAN Table 1)", "17.3 +- 0.8", "94.8", "-"),
    ("grid-25", "PacGAN4 (PacGAN Table 1)", "24.8", "93.6", "-"),
]


def mean_se(values):
    a = numpy.asarray(values, dtype=numpy.float64)
    se = a.std(ddof=1) / math.sqrt(a.size) if a.size > 1 else float("nan")
    return float(a.mean()), float(se)


def trained_generators(config, seed, ema=0.0):
    """Train ``config`` with ``seed``: ``(last, averaged, seconds)``, the GAN of the last
    iterate, the one whose G is the mean of G over the ends of epochs ``average_from`` on
    (``None`` without ``average_from``, or when the run ends before it), and the training
    time. ``ema``: a decay in (0, 1) makes ``averaged`` the exponential moving average of G
    over every step instead (``Config.average_rate = 1 - ema``, from the first epoch).

    Raises ``NonFiniteError`` when the run diverges.
    """
    config = config.replace(seed=seed, sample_every=0)
    with tempfile.TemporaryDirectory(prefix="npgan-mc-") as out:
        start = time.perf_counter()
        if ema:
            config = config.replace(average_from=1, average_rate=1.0 - ema)
        last = train(config, out, quiet=True)
        averaging = 0 < config.average_from <= config.epochs  # (--quick runs may end before it)
        averaged = load(os.path.join(out, "checkpoint.npz"), averaged=True) if averaging else None
        seconds = time.perf_counter() - start
    return last, averaged, seconds


def eval_samples(gan, seed):
    """The ``N_SAMPLES`` samples of ``gan`` the benchmark judges: the evaluation stream of ``seed``."""
    return to_numpy(gan.sample(N_SAMPLES, rng=Random(EVAL_SEED + seed)))


def score(gan, dataset, seed):
    """PacGAN's metrics of ``gan``'s evaluation samples (``eval_samples``)."""
    toy = make_toy(dataset)
    m = mode_metrics(eval_samples(gan, seed), toy.centres, toy.std)
    return {"modes": m["modes_covered"], "n_modes": m["n_modes"], "high_quality": m["high_quality"],
            "reverse_kl": m["reverse_kl"]}


def run_one(config, seed, ema=0.0):
    """Train ``config`` with ``seed``; returns the PacGAN metrics and the time taken.

    With ``config.average_from`` the configuration's generator is the averaged G (Yazici
    et al. 2019), and ``"last"`` holds the last iterate's metrics beside it.
    """
    start = time.perf_counter()
    try:
        last, averaged, seconds = trained_generators(config, seed, ema)
    except NonFiniteError as e:  # a diverged run counts, as collapse to nothing
        print(f"  seed {seed} diverged: {e}", flush=True)
        return {"seed": seed, "modes": 0, "n_modes": make_toy(config.dataset).n_modes, "high_quality": 0.0,
                "reverse_kl": float("nan"), "seconds": time.perf_counter() - start, "diverged": True}
    scored = last if averaged is None else averaged
    result = {"seed": seed, **score(scored, config.dataset, seed), "seconds": seconds, "diverged": False}
    if averaged is not None:
        result["last"] = score(last, config.dataset, seed)
    return result


def last_iterate(run):
    """The last iterate's figures, for printing beside those of a run scored with its averaged G, else ``""``."""
    if "last" not in run:
        return ""
    m = run["last"]
    return (f" (averaged G; last iterate {m['modes']}/{m['n_modes']} modes, {100 * m['high_quality']:.1f}%, "
            f"reverse KL {m['reverse_kl']:.3f})")


def summarise(runs):
    out = {}
    for key in ("modes", "high_quality", "reverse_kl", "seconds"):
        out[key] = mean_se([r[key] for r in runs])
    return out


def fmt(pair, scale=1.0, digits=1):
    mean, se = pair
    return f"{mean * scale:.{digits}f} +- {se * scale:.{digits}f}"


def markdown(rows, args, total_seconds):
    lines = [
        "# Mode collapse on ring-8 and grid-25 (PacGAN's protocol)",
        "",
        "Command (from the repository root):",
        "",
        "    python benchmarks/mode_collapse.py" + (f" --seeds {args.seeds}" if args.seeds != 3 else ""),
        "",
        f"Each configuration is trained once per seed (seeds 0..{args.seeds - 1}) from its preset "
        "(`npgan/presets.py`) with the changes its label names (`variants` in "
        "`benchmarks/mode_collapse.py`); the generator then draws 2,500 samples (a configuration with "
        "`average_from` is judged by its averaged G, the mean of G over the ends of epochs `average_from` "
        "on; the per-seed list gives the last iterate's figures beside it). A sample is *high-quality* "
        "if it lies within 3 standard deviations of its nearest mode centre; a mode is *covered* "
        "if at least one high-quality sample is nearest to it; *reverse KL* is KL(q || uniform) "
        "of the histogram q of high-quality samples over the modes (0 = balanced, log K = one mode). "
        "Mean +- standard error over seeds. Time: wall seconds per training run "
        f"(total {total_seconds / 60:.1f} min, BLAS on one thread, on a shared, busy 2-core machine).",
        "",
        "| data | configuration | modes covered | high-quality % | reverse KL (nats) | s / run | goal |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        s = row["summary"]
        lines.append(f"| {row['dataset']} | {row['label']} | {fmt(s['modes'])} / {row['n_modes']} | "
                     f"{fmt(s['high_quality'], 100)} | {fmt(s['reverse_kl'], digits=2)} | "
                     f"{s['seconds'][0]:.0f} | {'met' if row['goal_met'] else 'missed'} |")
    lines += ["", "Goals (the *goal* column): " + "; ".join(f"{d}: {g}" for d, g in GOALS.items()) + "."]
    lines += [
        "",
        "A reverse KL of nan means some seed's generator produced no high-quality sample at all "
        "(the histogram is then undefined; `toy.mode_metrics` returns nan on purpose); those seeds "
        "count as 0 modes and 0% high-quality in the other columns.",
        "",
        "Per seed (modes covered, high-quality %):",
        "",
    ]
    for row in rows:
        per = ", ".join(f"{r['modes']} / {100 * r['high_quality']:.0f}%" for r in row["runs"])
        if "last" in row["runs"][0]:
            last = [r["last"] for r in row["runs"] if "last" in r]
            per += " (averaged G; last iterate: " + ", ".join(
                f"{m['modes']} / {100 * m['high_quality']:.0f}%" for m in last) + ")"
        lines.append(f"- {row['dataset']}, {row['label']}: {per}")
    lines += [
        "",
        "Published figures for orientation (PacGAN, Lin et al. 2018, Table 1: their MLPs, Adam, "
        "their settings; VEEGAN's table, with other settings, has vanilla GAN at 1 ring mode, "
        "so the protocol matters and npgan's own baseline above is the reference):",
        "",
        "| data | method | modes covered | high-quality % | reverse KL |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {d} | {m} | {a} | {b} | {c} |" for d, m, a, b, c in PUBLISHED]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per configuration (default 3)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2 seeds and a fifth of the iterations, nothing recorded")
    parser.add_argument("--try", nargs=2, metavar=("PRESET", "CHANGES"), dest="trial",
                        help="only this configuration: a toy preset and a JSON object of Config changes, "
                             "e.g. ring-8-plain '{\"pack\": 2}'; nothing recorded")
    parser.add_argument("--ema", type=float, default=0.0, metavar="DECAY",
                        help="with --try: judge the configuration by the exponential moving average of G "
                             "(decay in (0, 1), e.g. 0.999), the last iterate printed beside it; nothing recorded")
    args = parser.parse_args(argv)
    if args.ema and not (args.trial and 0 < args.ema < 1):
        parser.error(f"--ema must be in (0, 1) and given with --try; got {args.ema}")
    if args.quick:
        args.seeds = min(args.seeds, 2)
    if args.seeds < 1:
        parser.error("--seeds must be >= 1")
    configurations = {dataset: variants(dataset) for dataset in ("ring-8", "grid-25")}
    if args.trial:
        try:
            preset, changes = args.trial[0], json.loads(args.trial[1])
            dataset = get_preset(preset).replace(**changes).dataset
        except (ValueError, TypeError) as exc:
            parser.error(f"--try: {exc}")
        ema = f" EMA {args.ema}" if args.ema else ""
        configurations = {dataset: [(f"{preset} {args.trial[1]}{ema}", preset, changes)]}

    rows, start = [], time.perf_counter()
    for dataset, configs in configurations.items():
        for label, preset, changes in configs:
            config = get_preset(preset).replace(**changes)
            if args.quick:
                config = config.replace(epochs=max(1, config.epochs // 5))
            runs = []
            for seed in range(args.seeds):
                r = run_one(config, seed, args.ema)
                runs.append(r)
                print(f"{dataset:8s} {label:32s} seed {seed}: {r['modes']:2d}/{r['n_modes']} modes, "
                      f"{100 * r['high_quality']:5.1f}% high-quality, reverse KL {r['reverse_kl']:.3f}, "
                      f"{r['seconds']:.0f} s" + last_iterate(r), flush=True)
            summary = summarise(runs)
            met = goal_met(dataset, runs)
            rows.append({"dataset": dataset, "label": label, "preset": preset, "changes": changes,
                         "n_modes": runs[0]["n_modes"], "runs": runs, "summary": summary, "goal_met": met})
            print(f"{dataset:8s} {label:32s} => modes {fmt(summary['modes'])}, "
                  f"high-quality {fmt(summary['high_quality'], 100)}%, "
                  f"reverse KL {fmt(summary['reverse_kl'], digits=2)}, goal {'met' if met else 'missed'}",
                  flush=True)
    total = time.perf_counter() - start

    if args.quick or args.trial:
        return
    record = {"seeds": args.seeds, "quick": args.quick, "n_samples": N_SAMPLES, "total_seconds": total,
              "results": [{"dataset": r["dataset"], "label": r["label"], "preset": r["preset"],
                           "changes": r["changes"], "runs": r["runs"], "goal_met": r["goal_met"],
                           "summary": {k: {"mean": v[0], "se": v[1]} for k, v in r["summary"].items()}}
                          for r in rows]}
    print(f"appended {append_result('mode_collapse', record)}")
    md = os.path.join(RESULTS_DIR, "mode_collapse.md")
    text = markdown(rows, args, total) + kept_notes(md)
    atomic_write(md, lambda f: f.write(text.encode()))
    print(f"wrote {md}")


NOTES = "<!-- Below this line: notes written by hand, kept when mode_collapse.py rewrites the page. -->"


def kept_notes(path):
    """The hand-written part of the results page (from ``NOTES`` on), or an empty one."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        text = ""
    return "\n" + (text[text.index(NOTES):] if NOTES in text else NOTES + "\n")


if __name__ == "__main__":
    main()
