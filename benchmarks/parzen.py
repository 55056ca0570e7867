"""Benchmark of the Parzen protocol: npgan against its floor and the paper's formulation.

    python benchmarks/parzen.py [--quick]

Runs the full protocol at MNIST size (10,000 centres x 784, sigma chosen among 10 on
1,000 validation rows, 10,000 test rows) on real MNIST when it is found
($NPGAN_DATA_DIR or ../shared/data/mnist; the centres are then 10,000 training images, a
sanity check of the protocol: about 241 nats at sigma 0.167), else on random data of the
same shape. It reports:

* npgan: best of 3 wall times, and its peak memory measured in a fresh subprocess
  (ru_maxrss: the whole process, data included; and tracemalloc's peak of the arrays
  allocated during the protocol, which NumPy reports to tracemalloc: BLAS's own work
  buffers are not counted there, the ru_maxrss figure catches them);
* floor: the matrix product at the same shapes, plus the exponentials the protocol needs
  (valid rows x centres x sigmas + test rows x centres) at the rate np.exp reaches on
  one core over a large float32 array. "floor (all sigmas)" counts every sigma on every
  row, which a protocol that evaluates the test set at the chosen sigma only avoids;
* original: a direct NumPy port of the paper's ``parzen_ll.py`` (batches of 10 rows,
  a broadcast difference tensor, log-mean-exp, recomputed for every sigma), timed on a
  few batches and extrapolated to the same work.

A full run (not ``--quick``) appends a JSON line to benchmarks/results/parzen.jsonl.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy
from _common import append_result, best_of, find_mnist

from npgan.evaluation import parzen


def load_data(n_centres, n_valid, n_test):
    """(centres, valid, test, source): MNIST when available, else uniform random pixels."""
    mnist, source = find_mnist()
    if mnist is not None:
        return mnist.train_x[:n_centres], mnist.valid_x[:n_valid], mnist.test_x[:n_test], source
    rng = numpy.random.default_rng(0)
    return tuple(rng.random((n, 784), dtype=numpy.float32) for n in (n_centres, n_valid, n_test)) + (source,)


def original_parzen(x, mu, sigma, batch_size=10):
    """The paper's parzen_ll.py in NumPy (float32): per batch, a (b, m, d) difference tensor."""

    def log_mean_exp(a):
        top = a.max(1)
        return top + numpy.log(numpy.exp(a - top[:, None]).mean(1))

    z = mu.shape[1] * numpy.log(sigma * numpy.sqrt(numpy.pi * 2))
    out = []
    for i in range(0, len(x), batch_size):
        a = (x[i : i + batch_size, None, :] - mu[None, :, :]) / numpy.float32(sigma)
        out.append(log_mean_exp(-0.5 * (a**2).sum(2)) - z)
    return numpy.concatenate(out)


def exp_rate(n=50_000_000):
    """Seconds per element of np.exp over a large float32 array, on one core."""
    a = numpy.random.default_rng(1).uniform(-80, 0, n).astype(numpy.float32)
    out = numpy.empty_like(a)
    seconds, _ = best_of(lambda: numpy.exp(a, out=out), repeat=3)
    return seconds / n


def gemm_seconds(n_rows, n_centres, d):
    """Best-of-3 time of the (rows, d+1) x (d+1, centres) float32 product."""
    rng = numpy.random.default_rng(2)
    a = rng.random((n_rows, d + 1), dtype=numpy.float32)
    b = rng.random((n_centres, d + 1), dtype=numpy.float32)
    seconds, _ = best_of(lambda: a @ b.T, repeat=3)
    return seconds


_CHILD = """
import json, resource, sys, tracemalloc
import numpy
from npgan.evaluation import parzen
arrays = numpy.load(sys.argv[1])
centres, valid, test = arrays["centres"], arrays["valid"], arrays["test"]
before = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS"))
tracemalloc.start()
parzen.parzen_protocol(centres, valid, test)
traced = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"maxrss_mib": after / 1024, "rss_before_mib": before / 1024, "traced_peak_mib": traced / 2**20}))
"""


def peak_memory(centres, valid, test):
    """Peak memory of the protocol in a fresh process (ru_maxrss and VmRSS are in KiB on Linux)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "arrays.npz")
        numpy.savez(path, centres=centres, valid=valid, test=test)
        done = subprocess.run([sys.executable, "-c", _CHILD, path], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: a tenth of the sizes, nothing recorded")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    n_centres, n_valid, n_test = 10_000 // scale, 1_000 // scale, 10_000 // scale
    centres, valid, test, source = load_data(n_centres, n_valid, n_test)
    k, d = len(parzen.DEFAULT_SIGMAS), centres.shape[1]

    seconds, result = best_of(lambda: parzen.parzen_protocol(centres, valid, test, n_valid=n_valid), repeat=3)
    memory = peak_memory(centres, valid, test)

    gemm = gemm_seconds(n_valid + n_test, n_centres, d)
    per_exp = exp_rate()
    n_exp = (n_valid * k + n_test) * n_centres
    floor = gemm + n_exp * per_exp
    floor_all = gemm + (n_valid + n_test) * k * n_centres * per_exp

    # The original, on a few batches of 10 rows, extrapolated to (n_valid * k + n_test) rows.
    rows = 20
    original_row, _ = best_of(lambda: original_parzen(valid[:rows], centres, 0.2), repeat=2)
    original = original_row / rows * (n_valid * k + n_test)

    table = [
        ("npgan protocol", seconds, ""),
        ("floor (GEMM + needed exps)", floor, f"npgan/floor = {seconds / floor:.2f}"),
        ("  GEMM at the same shapes", gemm, ""),
        (f"  {n_exp:.2e} exps at {per_exp * 1e9:.2f} ns", n_exp * per_exp, ""),
        ("floor (all sigmas on every row)", floor_all, f"npgan/floor = {seconds / floor_all:.2f}"),
        ("original parzen_ll (extrapolated)", original, f"original/npgan = {original / seconds:.1f}"),
    ]
    print(f"Parzen protocol: {n_centres} centres x {d}, {n_valid} valid x {k} sigmas, {n_test} test; data {source}")
    for name, value, note in table:
        print(f"  {name:<36} {value:8.3f} s   {note}")
    print(f"  peak memory: {memory['maxrss_mib']:.0f} MiB process (RSS before the protocol, data loaded: "
          f"{memory['rss_before_mib']:.0f} MiB), {memory['traced_peak_mib']:.0f} MiB of arrays during the protocol")
    reference = "  (real training images as centres; DESIGN.md: 241.2 +- 2.1 at 0.167)"
    print(f"  result: sigma {result['sigma']:.3f}, test log-likelihood {result['test_ll']:.1f} +- "
          f"{result['test_se']:.1f}" + (reference if source.startswith("mnist") and not args.quick else ""))
    if args.quick:
        return
    path = append_result(
        "parzen",
        {
            "quick": args.quick,
            "data": source,
            "shapes": {"centres": n_centres, "valid": n_valid, "test": n_test, "d": d, "sigmas": k},
            "seconds": seconds,
            "floor_seconds": floor,
            "floor_all_sigmas_seconds": floor_all,
            "gemm_seconds": gemm,
            "exp_ns": per_exp * 1e9,
            "original_seconds_extrapolated": original,
            "ratio_npgan_floor": seconds / floor,
            "ratio_original_npgan": original / seconds,
            "memory": memory,
            "sigma": result["sigma"],
            "test_ll": result["test_ll"],
            "test_se": result["test_se"],
        },
    )
    print(f"  appended to {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
