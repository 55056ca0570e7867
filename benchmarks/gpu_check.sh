#!/usr/bin/env bash
# The device check: one command, about 5 minutes, on a machine with an NVIDIA
# GPU that already has CuPy (cupy-cuda12x or -13x), PyTorch with CUDA, NumPy, SciPy,
# matplotlib, tqdm, threadpoolctl, pytest and hypothesis. It installs nothing and needs no
# network: npgan runs from the source tree (PYTHONPATH=.), MNIST from data/mnist inside
# the repository (git ignores it; a folder beside the repository does not travel to such a
# machine). Copy it there first:
#
#   mkdir -p data && cp -r ../shared/data/mnist data/      (or set NPGAN_DATA_DIR)
#   bash benchmarks/gpu_check.sh                           (PYTHON=... picks the interpreter)
#   bash benchmarks/gpu_check.sh --dry-run                 (no GPU: rehearse every stage on
#                                                            NumPy at small sizes; records
#                                                            nothing in benchmarks/results)
# Stages, each with a time limit (about 5 minutes in all):
#   1. the whole test suite with NPGAN_BACKEND=cupy                              (240 s)
#   2. benchmarks/train_step.py on CuPy beside PyTorch on CUDA, batch 100, 1000, 10000
#      (each appends its own line to results/train_step.jsonl)               (3 x 90 s)
#   3. the CUDA kernels of one training iteration (batch 100), counted by torch.profiler
#   4. one mnist-paper epoch through `npgan train` (500 iterations, then the epoch's
#      samples and Parzen evaluation)                                            (150 s)
#   5. the Parzen protocol on the GPU: 10,000 training images as centres, sigma chosen on
#      1,000 validation images, 10,000 test images; beside the same on NumPy     (120 s)
# Then one JSON line with everything goes to benchmarks/results/gpu_check.jsonl and a
# short table, with its targets, to stdout; logs stay in a temporary folder.
# Exit status: 0 when every stage ran and the tests passed, 1 otherwise (later stages
# still run). The targets are benchmarks: missing one does not change the exit status.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
export PYTHONPATH=".${PYTHONPATH:+:$PYTHONPATH}"
export NPGAN_DATA_DIR="${NPGAN_DATA_DIR:-$PWD/data/mnist}"
export MPLBACKEND=Agg
DRY=0
[ "${1:-}" = "--dry-run" ] && DRY=1
if [ $DRY = 1 ]; then BACKEND=numpy; BATCHES="100"; else BACKEND=cupy; BATCHES="100 1000 10000"; fi
export NPGAN_BACKEND=$BACKEND GPU_CHECK_DRY=$DRY
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpu_check.XXXXXX")
status=0
stage() { echo; echo "== $*"; }

stage "machine (logs in $WORK)"
if [ ! -e "$NPGAN_DATA_DIR/train-images-idx3-ubyte.gz" ] && [ ! -e "$NPGAN_DATA_DIR/train-images-idx3-ubyte" ]; then
    echo "MNIST not found in $NPGAN_DATA_DIR: mkdir -p data && cp -r ../shared/data/mnist data/"; exit 1
fi
"$PY" - > "$WORK/machine.json" <<'PYEOF' || { cat "$WORK/machine.json"; exit 1; }
import json, os, subprocess
out = {"dry_run": os.environ["GPU_CHECK_DRY"] == "1"}
if not out["dry_run"]:
    import cupy
    import torch
    n = cupy.cuda.runtime.getDeviceCount()
    assert n > 0, "CuPy sees no GPU"
    assert torch.cuda.is_available(), "this torch has no CUDA: the comparison needs a CUDA build"
    props = cupy.cuda.runtime.getDeviceProperties(0)
    name = props["name"]
    out.update(gpu=name.decode() if isinstance(name, bytes) else name, devices=n, cupy=cupy.__version__,
               cuda_runtime=cupy.cuda.runtime.runtimeGetVersion(), torch=torch.__version__,
               torch_cuda=torch.version.cuda)
    try:
        out["driver"] = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                       capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out["driver"] = None
print(json.dumps(out))
PYEOF
cat "$WORK/machine.json"

stage "1. tests with NPGAN_BACKEND=$BACKEND (limit 240 s)"
TESTS="tests"
[ $DRY = 1 ] && TESTS="tests/test_cupy_surface.py tests/test_parity.py tests/test_backend.py"
start=$(date +%s.%N)
# shellcheck disable=SC2086
timeout 240 "$PY" -m pytest $TESTS -q -p no:cacheprovider > "$WORK/tests.log" 2>&1
echo "$? $start $(date +%s.%N)" > "$WORK/tests.rc"
grep -E "^(FAILED|ERROR) " "$WORK/tests.log" | head -n 20
tail -n 1 "$WORK/tests.log"
read -r rc _ < "$WORK/tests.rc"; [ "$rc" = 0 ] || { echo "tests: exit $rc (124: time limit)"; status=1; }

for batch in $BATCHES; do
    stage "2. train_step at batch $batch: npgan on $BACKEND beside torch (limit 90 s)"
    before=$(wc -l < benchmarks/results/train_step.jsonl 2>/dev/null || echo 0)
    if [ $DRY = 1 ]; then
        args=(--backend numpy --batch "$batch" --quick --no-torch)
    else
        # every timed iteration ends with a device synchronize (CuPy's and torch's)
        args=(--backend cupy --batch "$batch" --iters 100 --warmup 10 --round 20)
    fi
    timeout 90 "$PY" -W ignore benchmarks/train_step.py "${args[@]}" 2>&1 | tee "$WORK/train_step_$batch.log"
    rc=${PIPESTATUS[0]}
    [ "$rc" = 0 ] || { echo "train_step at batch $batch: exit $rc (124: time limit)"; status=1; }
    tail -n +"$((before + 1))" benchmarks/results/train_step.jsonl 2>/dev/null | tail -n 1 > "$WORK/train_step_$batch.json"
done

stage "3. CUDA kernels per training iteration (batch 100)"
timeout 120 "$PY" - > "$WORK/kernels.json" 2> "$WORK/kernels.log" <<'PYEOF' || { echo "kernel count failed: $WORK/kernels.log"; status=1; }
import json, os, tempfile
from npgan.backend import Random, asarray, get_backend
from npgan.datasets.idx import load_mnist
from npgan.models.gan.training import build_gan, build_optimizers, data_logit_mean
from npgan.presets import get_preset

config = get_preset("mnist-paper").replace(update="alternating")  # Algorithm 1 order, as train_step.py times
x = asarray(load_mnist(download=False).train_x[:10000], dtype=config.dtype)
gan = build_gan(config, Random(0), data_logit_mean(x, config.dtype))
d_opt, g_opt = build_optimizers(config, gan)

def step(i):
    j = i % 100
    gan.d_step(x[j * 100:(j + 1) * 100], d_opt)
    gan.g_step(100, g_opt)

for i in range(5):  # warm-up: kernels compiled and cached
    step(i)
if os.environ["GPU_CHECK_DRY"] == "1":
    print(json.dumps({"kernels_per_iteration": None, "note": "dry run: no GPU to count on"}))
    raise SystemExit
import torch
from torch.profiler import ProfilerActivity, profile

xp, n = get_backend(), 10
xp.cuda.Device().synchronize()
with profile(activities=[ProfilerActivity.CUDA]) as prof:
    for i in range(n):
        step(i)
    xp.cuda.Device().synchronize()
with tempfile.TemporaryDirectory() as tmp:  # the trace holds every kernel of the process, CuPy's too
    path = os.path.join(tmp, "trace.json")
    prof.export_chrome_trace(path)
    with open(path) as f:
        events = json.load(f)["traceEvents"]
kernels = [e for e in events if e.get("cat") == "kernel"]
if not kernels:  # a profiler that did not see CuPy's launches: say so rather than report 0
    print(json.dumps({"kernels_per_iteration": None, "note": "torch.profiler recorded no kernels"}))
    raise SystemExit
names = {}
for e in kernels:
    names[e["name"][:60]] = names.get(e["name"][:60], 0) + 1
print(json.dumps({"kernels_per_iteration": len(kernels) / n, "iterations": n, "torch": torch.__version__,
                  "most_launched": sorted(names.items(), key=lambda kv: -kv[1])[:12]}))
PYEOF
cat "$WORK/kernels.json"

stage "4. one mnist-paper epoch through npgan train on $BACKEND (limit 150 s)"
if [ $DRY = 1 ]; then
    echo "dry run: a toy-1d epoch instead (a NumPy MNIST epoch takes minutes)"
    epoch_args=(--preset toy-1d --epochs 1)
else
    epoch_args=(--preset mnist-paper --epochs 1)  # at its last epoch the trainer samples and runs Parzen
fi
start=$(date +%s.%N)
timeout 150 "$PY" -m npgan train "${epoch_args[@]}" --out "$WORK/epoch" 2>&1 | tee "$WORK/epoch.log"
echo "${PIPESTATUS[0]} $start $(date +%s.%N)" > "$WORK/epoch.rc"
read -r rc _ < "$WORK/epoch.rc"; [ "$rc" = 0 ] || { echo "npgan train: exit $rc (124: time limit)"; status=1; }

stage "5. the Parzen protocol on $BACKEND beside NumPy (limit 120 s)"
timeout 120 "$PY" - > "$WORK/parzen.json" 2> "$WORK/parzen.log" <<'PYEOF' || { echo "Parzen stage failed: $WORK/parzen.log"; status=1; }
import json, os, time
import numpy
from npgan import backend
from npgan.datasets.idx import load_mnist
from npgan.evaluation.parzen import parzen_protocol

dry = os.environ["GPU_CHECK_DRY"] == "1"
m = load_mnist(download=False)
n = 1000 if dry else 10_000
host = (m.train_x[:n], m.valid_x[:1000], m.test_x[:n])
device_name = backend.backend_name()
xp = backend.get_backend()
sync = (lambda: xp.cuda.Device().synchronize()) if device_name == "cupy" else (lambda: None)
arrays = [backend.asarray(a) for a in host]
parzen_protocol(arrays[0][:500], arrays[1][:100], arrays[2][:100])  # warm-up: kernels compiled
times, result = [], None
for _ in range(3):
    sync()
    start = time.perf_counter()
    result = parzen_protocol(*arrays)  # returns host floats: the device has finished
    times.append(time.perf_counter() - start)
backend.set_backend("numpy")
start = time.perf_counter()
reference = parzen_protocol(*host)
host_seconds = time.perf_counter() - start
print(json.dumps({"backend": device_name, "centres": n, "valid": 1000, "test": n, "seconds": min(times),
                  "seconds_all": times, "sigma": result["sigma"], "test_ll": result["test_ll"],
                  "test_se": result["test_se"], "numpy_seconds": host_seconds, "numpy_sigma": reference["sigma"],
                  "numpy_test_ll": reference["test_ll"], "difference": result["test_ll"] - reference["test_ll"]}))
PYEOF
cat "$WORK/parzen.json"

stage "summary"
"$PY" - "$WORK" "$status" <<'PYEOF' || status=1
import datetime, json, os, subprocess, sys

work, status = sys.argv[1], int(sys.argv[2])
dry = os.environ["GPU_CHECK_DRY"] == "1"


def load(name):
    try:
        with open(os.path.join(work, name)) as f:
            text = f.read().strip()
        return json.loads(text) if text else None
    except (OSError, ValueError):
        return None


def timed(name):
    with open(os.path.join(work, name)) as f:
        rc, start, end = f.read().split()
    return int(rc), float(end) - float(start)


rc, seconds = timed("tests.rc")
with open(os.path.join(work, "tests.log")) as f:
    lines = f.read().splitlines()
tests = {"exit": rc, "seconds": seconds, "summary": lines[-1] if lines else "",
         "failed": [line for line in lines if line.startswith(("FAILED ", "ERROR "))]}
steps = {}
for batch in (100, 1000, 10000):
    record = load(f"train_step_{batch}.json")
    if record:
        steps[batch] = {k: record.get(k) for k in ("npgan_ms", "torch_ms", "floor_ms", "torch_floor_ms",
                                                   "npgan_over_torch", "npgan_over_floor", "iterations")}
rc, seconds = timed("epoch.rc")
epoch = {"exit": rc, "wall_seconds": seconds}
for name in ("log.csv", "parzen.csv"):
    path = os.path.join(work, "epoch", name)
    if os.path.exists(path):
        with open(path) as f:
            rows = f.read().splitlines()
        epoch[name] = dict(zip(rows[0].split(","), rows[-1].split(","))) if len(rows) > 1 else None
record = {
    "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
    "dirty": bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                 capture_output=True, text=True).stdout.strip()),
    "machine": load("machine.json"), "status": status, "tests": tests, "train_step": steps,
    "kernels": load("kernels.json"), "epoch": epoch, "parzen": load("parzen.json"),
}
target = os.path.join(work if dry else "benchmarks/results", "gpu_check.jsonl")
with open(target, "a") as f:
    f.write(json.dumps(record, sort_keys=True) + "\n")


def number(x, fmt):
    return "n/a" if x is None else format(x, fmt)


def verdict(value, limit):
    return "" if value is None else ("  meets" if value <= limit else "  MISSES") + f" (target <= {limit})"


machine = record["machine"] or {}
print(f"GPU check, {machine.get('gpu', 'no GPU (dry run)')}, commit {record['commit']}"
      f"{' + local changes' if record['dirty'] else ''}; appended to {target}")
print(f"  tests on {os.environ['NPGAN_BACKEND']}: {tests['summary']} (exit {tests['exit']})")
for line in tests["failed"][:10]:
    print(f"    {line}")
print(f"  {'train_step':<12}{'npgan ms':>10}{'torch ms':>10}{'npgan/torch':>13}")
for batch, s in steps.items():
    ratio = s.get("npgan_over_torch")
    limit = {100: 1.5, 10000: 1.2}.get(batch)
    print(f"  batch {batch:<6}{number(s.get('npgan_ms'), '10.2f')}{number(s.get('torch_ms'), '10.2f')}"
          f"{number(ratio, '13.2f')}{verdict(ratio, limit) if limit and not dry else ''}")
kernels = record["kernels"] or {}
print(f"  CUDA kernels per iteration (batch 100): {number(kernels.get('kernels_per_iteration'), '.0f')}")
log = epoch.get("log.csv") or {}
parzen_row = epoch.get("parzen.csv") or {}
train_seconds = float(log["seconds"]) if log.get("seconds") else None
print(f"  npgan train, one epoch: {number(train_seconds, '.1f')} s of training, {epoch['wall_seconds']:.0f} s "
      f"wall with start-up, samples and Parzen; Parzen {parzen_row.get('log_likelihood', 'n/a')} nats (exit {rc})")
p = record["parzen"] or {}
print(f"  Parzen protocol: {number(p.get('seconds'), '.3f')} s on {p.get('backend', '?')}"
      f"{verdict(p.get('seconds'), 0.5) if not dry else ''}, NumPy {number(p.get('numpy_seconds'), '.2f')} s; "
      f"test LL {number(p.get('test_ll'), '.2f')} vs NumPy {number(p.get('numpy_test_ll'), '.2f')} "
      f"(sigma {number(p.get('sigma'), '.3f')} / {number(p.get('numpy_sigma'), '.3f')})")
PYEOF
echo
echo "== done: status $status; logs in $WORK"
exit $status
