"""Seconds per epoch of the presets README quotes, from a few hundred iterations, extrapolated.

    python benchmarks/epoch_times.py [--iters 200] [--presets mnist mnist-paper ...] [--no-record]

For each preset: build its model (its data from ``$NPGAN_DATA_DIR``), run 5 warm-up
iterations, then time ``--iters`` training iterations (``model.step``, as the trainer
calls them, at the preset's BLAS threads) and multiply the mean by the iterations of one
epoch. The pictures and evaluations a run writes between epochs are not included (for
``mnist``: a Parzen evaluation of a few seconds every 5 epochs). The machine and its load
average go into ``results/epoch_times.jsonl`` beside the numbers: on a shared machine the
same preset takes up to twice as long at a load of 4 as on a quiet one.
"""

import argparse
import time

from _common import append_result, machine_info

from npgan.backend import blas_threads
from npgan.models import family
from npgan.presets import get_preset

PRESETS = ("mnist", "mnist-paper", "mnist-dcgan", "mnist-vae")


def epoch_seconds(name, iters):
    """``(seconds per iteration, iterations per epoch)`` of preset ``name``."""
    config = get_preset(name)
    model = family(config.model).build(config)
    model.begin_epoch(0, True)
    n = model.iterations_per_epoch
    iters = min(iters, n - 5)
    with blas_threads(model.blas_threads):
        for i in range(5):
            model.step(i)
        start = time.perf_counter()
        for i in range(5, 5 + iters):
            model.step(i)
        seconds = (time.perf_counter() - start) / iters
    return seconds, n, iters


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=200, help="timed iterations per preset (default 200)")
    parser.add_argument("--presets", nargs="+", default=PRESETS)
    parser.add_argument("--no-record", action="store_true", help="print only; append nothing to results/")
    args = parser.parse_args()
    machine = machine_info()
    print(f"{machine['cpu']}, {machine['cores']} cores, load average {machine['load_average_1min']:.1f}")
    rows = {}
    for name in args.presets:
        per_iteration, n, timed = epoch_seconds(name, args.iters)
        rows[name] = {"ms_per_iteration": round(1000 * per_iteration, 2), "iterations_per_epoch": n,
                      "timed_iterations": timed, "seconds_per_epoch": round(per_iteration * n, 1),
                      "epochs": get_preset(name).epochs}
        epochs = get_preset(name).epochs
        print(f"  {name:12s} {1000 * per_iteration:8.1f} ms x {n} iterations = {per_iteration * n:7.1f} s per epoch "
              f"({timed} timed; {epochs} epochs: {per_iteration * n * epochs / 60:.0f} min)", flush=True)
    if not args.no_record:
        print(f"appended to {append_result('epoch_times', {'presets': rows})}")


if __name__ == "__main__":
    main()
