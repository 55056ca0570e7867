"""Every tutorial, and every solution to its exercises, runs top to bottom in fast mode
(``NPGAN_FAST=1``) without raising.

Each runs in its own subprocess, as a reader would run it: the Agg backend, no
``NPGAN_FIGURES``, and ``TMPDIR`` pointing at the test's temporary directory. A fast
run must then put its pictures in the scratch folder under ``TMPDIR`` and leave the
committed figures in ``tutorials/figures/`` (produced by the full runs) untouched.
One BLAS thread per process keeps the tiny fast-mode matrices from fighting over a
shared machine.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA_REASON, data_available, data_root

from npgan.tutorial import SCRATCH_NAME

REPO = Path(__file__).resolve().parents[1]
TUTORIALS = sorted((REPO / "tutorials").glob("[0-9][0-9]_*.py"))
SOLUTIONS = sorted((REPO / "tutorials" / "solutions").glob("[0-9][0-9]_*.py"))
COMMITTED_FIGURES = REPO / "tutorials" / "figures"
SCRATCH = SCRATCH_NAME  # a fast run's picture folder, under TMPDIR
DATA_ROOT = data_root()  # the tests' data root, one folder per data set (conftest.py)
NEEDS_MNIST = {p.name for p in TUTORIALS + SOLUTIONS if "load_mnist" in p.read_text()}


def test_tutorials_are_numbered_once_each_from_one():
    numbers = [int(p.name[:2]) for p in TUTORIALS]
    assert numbers == list(range(1, len(numbers) + 1)), numbers


def _files(folder):
    """``{relative path: (size, mtime)}`` of every file under ``folder``."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def _run_fast(path, tmp_path, **extra_env):
    env = dict(os.environ, NPGAN_FAST="1", MPLBACKEND="Agg", NPGAN_DATA_DIR=DATA_ROOT,
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               TMPDIR=str(tmp_path))  # the scratch figures and tutorial 5's run directory land here
    env.pop("NPGAN_BACKEND", None)  # the tutorials choose their backends themselves
    env.pop("NPGAN_FIGURES", None)
    env.update(extra_env)
    result = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{path.name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_runs_in_fast_mode_and_spares_the_committed_figures(path, tmp_path):
    if path.name in NEEDS_MNIST and not data_available("mnist"):
        pytest.skip(DATA_REASON)
    committed = _files(COMMITTED_FIGURES)
    result = _run_fast(path, tmp_path)
    assert _files(COMMITTED_FIGURES) == committed, f"{path.name} in fast mode wrote under tutorials/figures/"
    scratch = tmp_path / SCRATCH
    assert f"pictures go to {scratch}" in result.stdout
    assert list(scratch.glob("*.png")), f"{path.name} saved no picture in {scratch}"


def test_npgan_figures_overrides_the_scratch_folder(tmp_path):
    chosen = tmp_path / "chosen"
    _run_fast(TUTORIALS[0], tmp_path, NPGAN_FIGURES=str(chosen))
    assert list(chosen.glob("*.png")), "NPGAN_FIGURES was not used"
    assert not (tmp_path / SCRATCH).exists()


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_ends_with_what_to_take_away_and_exercises_with_solutions(path):
    text = path.read_text()
    assert "# ## What to take away" in text, f"{path.name} has no 'What to take away'"
    exercises = text[text.index("# ## Exercises"):]  # the last section: after the take-away
    assert text.index("# ## What to take away") < text.index("# ## Exercises")
    assert "# 2. " in exercises, f"{path.name}: expected at least two exercises"
    assert f"`tutorials/solutions/{path.name}`" in exercises
    assert (REPO / "tutorials" / "solutions" / path.name).exists(), f"no solutions file for {path.name}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_solutions_run_and_check_themselves_in_fast_mode(path, tmp_path):
    if path.name in NEEDS_MNIST and not data_available("mnist"):
        pytest.skip(DATA_REASON)
    assert "assert " in path.read_text(), f"{path.name} checks nothing"
    committed = _files(COMMITTED_FIGURES)
    _run_fast(path, tmp_path)
    assert _files(COMMITTED_FIGURES) == committed
