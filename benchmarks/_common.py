"""Shared helpers for the benchmarks: the data, the machine description, timing, a JSON-lines log.

Each full benchmark run appends one JSON object to ``benchmarks/results/<name>.jsonl``
with the machine it ran on, so numbers from different machines and commits can be
compared side by side (``--quick`` runs are smoke tests and append nothing).
"""

import datetime
import json
import os
import platform
import subprocess
import sys
import time

import numpy

from npgan.backend import backend_name
from npgan.datasets.idx import DataError, dataset_dir, load_mnist

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS_DIR = os.path.join(HERE, "results")
SHARED_MNIST = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data", "mnist"))


def find_mnist():
    """``(mnist, source)``: MNIST from the data root $NPGAN_DATA_DIR or ../shared/data/mnist, never downloaded.

    ``mnist`` is ``npgan.datasets.idx.load_mnist``'s split, or ``None`` when neither directory
    holds the files; callers then time random pixels of the same shapes (``source``
    is ``"random"``), which costs the same.
    """
    for directory in (os.environ.get("NPGAN_DATA_DIR"), SHARED_MNIST):
        if directory and os.path.isdir(directory):
            try:
                directory = dataset_dir("mnist", directory)  # a root's mnist/, or the folder itself
                return load_mnist(directory, download=False), "mnist:" + directory
            except DataError:
                continue
    return None, "random"


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit():
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, timeout=5
        ).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def machine_info():
    """A JSON-ready description of where a benchmark ran."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    info = {
        "cpu": _cpu_model(),
        "cores": cores,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "platform": platform.platform(),
        "backend": backend_name(),
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    if backend_name() == "cupy":
        import cupy

        props = cupy.cuda.runtime.getDeviceProperties(0)
        info["gpu"] = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        info["cupy"] = cupy.__version__
    return info


def best_of(fn, repeat=3, sync=None):
    """The shortest wall time of ``repeat`` calls of ``fn()`` in seconds, and its last result.

    sync: called after each run before stopping the clock (e.g. a CUDA synchronize).
    The minimum is the figure least disturbed by other work on the machine.
    """
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        if sync is not None:
            sync()
        best = min(best, time.perf_counter() - start)
    return best, result


def append_result(name, record):
    """Append ``record`` plus time, commit, command line and machine to results/<name>.jsonl."""
    os.makedirs(RESULTS_DIR, exist_ok=True)
    line = {
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "argv": sys.argv[1:],
        "machine": machine_info(),
        **record,
    }
    path = os.path.join(RESULTS_DIR, name + ".jsonl")
    with open(path, "a") as f:
        f.write(json.dumps(line, sort_keys=True) + "\n")
    return path
