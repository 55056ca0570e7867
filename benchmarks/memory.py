"""Peak resident memory of mnist-paper training and of the Parzen protocol.

    python benchmarks/memory.py [--iters N] [--quick]

Each measurement runs in a fresh Python process and reports ``ru_maxrss`` (the peak
resident set of the whole process, in MiB): once after importing npgan and loading the
data ("baseline"), and once at the end ("peak"). The difference is what the work itself
added on top of the data.

* train: one epoch of ``mnist-paper`` (500 iterations of Algorithm 1 on the 50,000
  training images; ``--iters`` caps it), built and stepped as the trainer does
  (``train_step.NpganRun``);
* parzen: ``npgan.evaluation.parzen.parzen_protocol`` at MNIST size: 10,000 centres (training
  images standing in for generator samples), sigma chosen on 1,000 validation images,
  10,000 test images.

Real MNIST is used when found ($NPGAN_DATA_DIR or ../shared/data/mnist), else random
data of the same shapes. A full run (not ``--quick``) appends a JSON line to
``benchmarks/results/memory.jsonl``.
"""

import argparse
import json
import os
import subprocess
import sys

from _common import append_result

HERE = os.path.dirname(os.path.abspath(__file__))

_PRELUDE = f"""
import json, resource, sys, time
sys.path.insert(0, {HERE!r})
import numpy

def rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
"""

_TRAIN = _PRELUDE + """
from train_step import NpganRun, load_train
iters = int(sys.argv[1])
x, source = load_train()
run = NpganRun(x)  # the library's data stream, networks and optimisers, batch 100
del x  # NpganRun holds the (backend) copy it trains on
baseline = rss_mib()
start = time.perf_counter()
for _ in range(iters):
    out = run.step()
float(out["d_loss"])  # one sync at the end (CuPy)
seconds = time.perf_counter() - start
print(json.dumps({"baseline_mib": baseline, "peak_mib": rss_mib(), "iterations": iters,
                  "seconds": seconds, "data": source}))
"""

_PARZEN = _PRELUDE + """
from _common import find_mnist
from npgan.backend import asarray
from npgan.evaluation.parzen import parzen_protocol
mnist, source = find_mnist()
if mnist is None:
    rng = numpy.random.default_rng(0)
    centres, valid, test = (rng.random((n, 784), dtype=numpy.float32) for n in (10000, 10000, 10000))
else:
    centres, valid, test = mnist.train_x[:10000], mnist.valid_x, mnist.test_x
centres, valid, test = asarray(centres), asarray(valid), asarray(test)
baseline = rss_mib()
result = parzen_protocol(centres, valid, test)
print(json.dumps({"baseline_mib": baseline, "peak_mib": rss_mib(), "seconds": result["seconds"],
                  "test_ll": result["test_ll"], "sigma": result["sigma"], "data": source}))
"""


def measure(code, *args):
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"memory child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iters", type=int, default=500, help="training iterations (default: one epoch, 500)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 training iterations, nothing recorded")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    iters = 20 if args.quick else args.iters
    train = measure(_TRAIN, iters)
    parzen = measure(_PARZEN)
    print("peak resident memory (ru_maxrss of a fresh process, MiB)")
    print(f"  {'':28s} {'baseline':>9s} {'peak':>8s} {'added':>8s}  seconds")
    for name, r in ((f"train, {iters} iterations", train), ("parzen protocol", parzen)):
        print(f"  {name:28s} {r['baseline_mib']:9.0f} {r['peak_mib']:8.0f} "
              f"{r['peak_mib'] - r['baseline_mib']:8.0f}  {r['seconds']:.1f}")
    print(f"  data: {train['data']}; baseline = after importing npgan and loading the data")
    if not (args.no_record or args.quick):
        print("  appended to", append_result("memory", {"benchmark": "memory", "train": train, "parzen": parzen}))


if __name__ == "__main__":
    main()
