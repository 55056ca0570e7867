#!/usr/bin/env bash
# GPU check: the test suite on CuPy, then the train_step and Parzen benchmarks on CuPy,
# train_step beside PyTorch on CUDA. For a machine with an NVIDIA GPU, CuPy and a CUDA
# build of torch (pip install -e .[test,gpu,bench]). About 4 minutes; each stage has a
# time limit so the whole stays under 5. Tables go to stdout, JSON lines to
# benchmarks/results/{train_step,parzen}.jsonl, the test log to benchmarks/results/.
#
#   bash benchmarks/gpu_check.sh            (from anywhere; PYTHON=... to pick the interpreter)
#
# Exit status: 0 when every stage passed, 1 otherwise (the later stages still run).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
RESULTS=benchmarks/results
mkdir -p "$RESULTS"
status=0

echo "== GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || status=1
"$PY" - <<'PYEOF' || exit 1
import cupy, torch
print("cupy", cupy.__version__, "devices:", cupy.cuda.runtime.getDeviceCount())
print("torch", torch.__version__, "cuda available:", torch.cuda.is_available())
assert cupy.cuda.runtime.getDeviceCount() > 0, "CuPy sees no GPU"
assert torch.cuda.is_available(), "this torch has no CUDA: install a CUDA build for the comparison"
PYEOF

echo "== tests with NPGAN_BACKEND=cupy (limit 150 s)"
NPGAN_BACKEND=cupy timeout 150 "$PY" -m pytest tests -q -p no:cacheprovider -o addopts="" \
    > "$RESULTS/gpu_tests.log" 2>&1
rc=$?
tail -n 15 "$RESULTS/gpu_tests.log"
[ $rc -eq 0 ] || { echo "tests: exit $rc (124 = time limit); full log in $RESULTS/gpu_tests.log"; status=1; }

echo "== train_step: npgan on CuPy beside PyTorch on CUDA (limit 75 s)"
# Timings synchronise the device after every iteration (cupy.cuda.Device().synchronize(),
# torch.cuda.synchronize()), so each figure is a whole iteration, not a kernel launch.
timeout 75 "$PY" -W ignore benchmarks/train_step.py --backend cupy --iters 200 --warmup 20 --round 20 \
    || { echo "train_step failed or ran out of time"; status=1; }

echo "== Parzen protocol on CuPy (limit 60 s)"
NPGAN_BACKEND=cupy timeout 60 "$PY" benchmarks/parzen.py \
    || { echo "parzen benchmark failed or ran out of time"; status=1; }

echo "== done: status $status; results in $RESULTS/"
exit $status
