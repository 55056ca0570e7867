"""README's Python blocks run as written, from a folder laid out like the repository's root
(its ``pretrained/`` beside them), each in a fresh interpreter, and print what README says."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPOSITORY, data_root, require_data

ROOT = Path(REPOSITORY)
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


def run_block(code, folder):
    (folder / "pretrained").symlink_to(ROOT / "pretrained")
    env = dict(os.environ, NPGAN_DATA_DIR=str(data_root()), NPGAN_PROGRESS="off")
    done = subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout.split("\n")


def block(opening):
    """The one README block whose code contains ``opening``."""
    found = [code for code in BLOCKS if opening in code]
    assert len(found) == 1, f"{len(found)} README blocks contain {opening!r}"
    return found[0]


def test_readme_has_the_blocks_these_tests_run():
    assert len(BLOCKS) == 4, "a new Python block in README needs a test here"


def test_ten_lines(tmp_path):
    lines = run_block(block("directional_check"), tmp_path)
    assert float(lines[0]) < 1e-6  # "a relative error around 1e-10"
    mean, std = map(float, lines[1].split())
    assert abs(mean - 4) < 0.1 and abs(std - 0.5) < 0.1  # "the data: mean 4, std 0.5"
    assert (tmp_path / "runs" / "toy-1d" / "checkpoint.npz").is_file()


def test_every_committed_model_loads_and_does_its_job(tmp_path):
    require_data()
    lines = run_block(block("npgan.load(\"pretrained/npgan-mnist-generator.npz\")"), tmp_path)
    assert lines[0] == "(16, 784)"
    assert lines[1] == "(100, 50) (100, 784)"
    assert float(lines[2]) == pytest.approx(0.01377, abs=5e-5)  # "0.01377..., per pixel"
    assert float(lines[3]) == pytest.approx(float(re.search(r"# ([0-9.]+), the test error", README)[1]), abs=5e-5)
    assert lines[4] == "(40, 784)"


def test_the_vae_bounds(tmp_path):
    require_data()
    code = block("bounds(vae, x, 100").replace("1000)", "100)")  # 100 of the 1,000 images: the same code, faster
    bounds = eval(run_block(code, tmp_path)[0], {})  # {name: (mean, standard error)}
    assert len(bounds) >= 2
    low, high = sorted(mean for mean, _ in bounds.values())[:2]
    assert -110 < low <= high < -80  # "about -94.0 and -90.1 nats" (on 100 images: near them)


def test_training_returns_the_loaded_model(tmp_path):
    lines = run_block(block("get_preset(\"toy-1d\"), \"runs/toy\""), tmp_path)
    mean, std = map(float, lines[0].split())
    assert abs(mean - 4) < 0.1 and abs(std - 0.5) < 0.1
