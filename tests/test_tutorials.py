"""Every tutorial runs top to bottom in fast mode (``NPGAN_FAST=1``) without raising.

Each runs in its own subprocess, as a reader would run it, with the Agg backend and
its pictures written to a temporary directory, so the committed figures (produced by
the full runs) are never overwritten. One BLAS thread per process keeps the tiny
fast-mode matrices from fighting over a shared machine.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TUTORIALS = sorted((REPO / "tutorials").glob("[0-9][0-9]_*.py"))
MNIST_DIR = os.environ.get("NPGAN_DATA_DIR") or str((REPO / ".." / "shared" / "data" / "mnist").resolve())
NEEDS_MNIST = {"04_mnist.py"}
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _have_mnist():
    return all(any((Path(MNIST_DIR) / (name + ext)).exists() for ext in ("", ".gz")) for name in MNIST_FILES)


def test_tutorials_are_found():
    assert [p.name[:2] for p in TUTORIALS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_runs_in_fast_mode(path, tmp_path):
    if path.name in NEEDS_MNIST and not _have_mnist():
        pytest.skip(f"MNIST not found in {MNIST_DIR} (set NPGAN_DATA_DIR)")
    env = dict(os.environ, NPGAN_FAST="1", NPGAN_FIGURES=str(tmp_path), MPLBACKEND="Agg",
               NPGAN_DATA_DIR=MNIST_DIR, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               TMPDIR=str(tmp_path))  # run directories (tutorial 4) land in tmp_path too
    env.pop("NPGAN_BACKEND", None)  # the tutorials choose their backends themselves
    result = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{path.name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    pictures = list(tmp_path.glob("*.png"))
    assert pictures, f"{path.name} saved no picture under NPGAN_FIGURES"
