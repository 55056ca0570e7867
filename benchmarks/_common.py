"""Shared helpers for the benchmarks: machine description, timing, and a JSON-lines log.

Each benchmark appends one JSON object per run to ``benchmarks/results/<name>.jsonl``
with the machine it ran on, so numbers from different machines and commits can be
compared side by side.
"""

import datetime
import json
import os
import platform
import subprocess
import sys
import time

import numpy

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


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
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        ).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def machine_info():
    """A JSON-ready description of where a benchmark ran."""
    from npgan.backend import backend_name

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
