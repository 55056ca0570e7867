"""Files that users have keep working: checkpoints and generators written by earlier code.

``tests/data/`` holds files written by npgan at commit 4df727a (see its README); the
committed ``pretrained/`` generator is checked the same way. Each must still load and
sample, and the training checkpoint must resume to the very parameters the earlier code
reached without the interruption.
"""

import shutil
from pathlib import Path

import numpy as np
import pytest

import npgan
from npgan import checkpoint, loading
from npgan.backend import Random, to_numpy
from npgan.train import train

DATA = Path(__file__).parent / "data"
PRETRAINED = Path(__file__).parents[1] / "pretrained" / "npgan-mnist-generator.npz"


def test_an_earlier_training_checkpoint_resumes_to_the_uninterrupted_end(tmp_path):
    shutil.copy(DATA / "training-format-1.npz", tmp_path / "checkpoint.npz")
    config, state, _ = loading.read(tmp_path / "checkpoint.npz")
    assert (state["epoch"], state["iteration"], config.momentum_ramp) == (1, 10, "late")
    gan = train(config, tmp_path, resume=tmp_path / "checkpoint.npz", quiet=True)
    with np.load(DATA / "expected-end.npz") as expected:
        for key, value in gan.G.params.items():
            np.testing.assert_array_equal(to_numpy(value), expected[key], err_msg=key)


@pytest.mark.parametrize("path", [DATA / "training-format-1.npz", DATA / "generator-format-1.npz", PRETRAINED],
                         ids=lambda p: p.name)
def test_earlier_files_load_and_sample(path):
    gan = npgan.load(path)
    samples = to_numpy(gan.sample(50, rng=Random(0)))
    assert samples.shape == (50, gan.features) and np.isfinite(samples).all()
    if gan.config.dataset == "mnist":
        assert samples.min() >= 0 and samples.max() <= 1


def test_the_averaged_generator_of_an_earlier_checkpoint_loads():
    gan = npgan.load(DATA / "training-format-1.npz", averaged=True)
    assert gan.state["averaged_epochs"] == [1]


def test_a_newer_format_is_refused_naming_both_versions(tmp_path):
    with np.load(DATA / "generator-format-1.npz", allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["format"] = np.asarray("npgan-checkpoint-7")
    with open(tmp_path / "future.npz", "wb") as f:
        checkpoint.write_npz(f, arrays)
    with pytest.raises(checkpoint.CheckpointError, match="format 7 by a newer npgan; this npgan reads format 1"):
        npgan.load(tmp_path / "future.npz")


def test_the_same_state_writes_the_same_bytes(tmp_path):
    gan = npgan.load(DATA / "generator-format-1.npz")
    for name in ("a.npz", "b.npz"):
        checkpoint.save(tmp_path / name, gan.config, {"epoch": 1}, {"G": gan.G}, kind="generator")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
