"""``npgan evaluate``: bad input is one line and exit 2 with nothing written; a small run end to end."""

import json
import math
import os

import numpy as np
import pytest
from conftest import require_data

from npgan.cli.parser import main
from npgan.evaluation import classifier

GENERATOR = os.path.join(os.path.dirname(classifier.PRETRAINED), "npgan-mnist-generator.npz")


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    np.save(tmp_path / "good.npy", rng.random((20, 784), dtype=np.float32))
    np.save(tmp_path / "flat.npy", rng.random((20, 28, 28), dtype=np.float32))
    np.save(tmp_path / "narrow.npy", rng.random((20, 100), dtype=np.float32))
    np.save(tmp_path / "bright.npy", rng.random((20, 784), dtype=np.float32) * 2)
    nan = rng.random((20, 784), dtype=np.float32)
    nan[3, 4] = np.nan
    np.save(tmp_path / "nan.npy", nan)
    np.save(tmp_path / "few.npy", rng.random((5, 784), dtype=np.float32))
    (tmp_path / "junk.npy").write_bytes(b"junk")
    (tmp_path / "junk.npz").write_bytes(b"junk")
    (tmp_path / "taken.json").write_text("{}")
    return tmp_path


@pytest.mark.parametrize("argv, message", [
    (["flat.npy"], "expected an array of shape (n, 784), got (20, 28, 28)"),
    (["narrow.npy"], "expected an array of shape (n, 784), got (20, 100)"),
    (["bright.npy"], "expected them in [0, 1]"),
    (["nan.npy"], "holds NaN or infinite values"),
    (["few.npy"], "expected at least 10 images, got 5"),
    (["junk.npy"], "junk.npy: not a readable .npy array"),
    (["missing.npy"], "missing.npy: no such file"),
    (["junk.npz"], "junk.npz: not an npgan checkpoint"),
    (["junk.npz", "--dataset", "fashion-mnist"], "junk.npz: not an npgan checkpoint"),
    (["good.npy", "--dataset", "fashion-mnist", "--classifier", "missing.npz"],
     "classifier file missing.npz not found"),
    (["good.npy", "--dataset", "cifar"], "invalid choice: 'cifar'"),
    (["good.npy", "--averaged"], "--averaged applies to a checkpoint"),
    (["good.npy", "-n", "0"], "-n: expected an integer >= 1, got 0"),
    (["good.npy", "-o", "taken.json"], "taken.json exists; pass --force"),
    (["good.npy", "-o", "out.txt"], "must end in .json"),
    (["good.npy", "-o", "nowhere/out.json"], "does not exist"),
    (["good.npy", "--classifier", "missing.npz"], "classifier file missing.npz not found"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(in_tmp, capsys, argv, message):
    before = sorted(os.listdir(in_tmp))
    assert main(["evaluate", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert sorted(os.listdir(in_tmp)) == before
    assert (in_tmp / "taken.json").read_text() == "{}"


def test_a_toy_checkpoint_says_what_scores_it(in_tmp, capsys):
    assert main(["train", "--preset", "toy-1d", "--epochs", "1", "--out", "run", "--quiet"]) == 0
    assert main(["evaluate", "run/checkpoint.npz"]) == 2
    assert "scored by its mode counts" in capsys.readouterr().err


def needs_mnist_and_weights():
    from npgan.datasets.idx import load_mnist

    if not os.path.exists(classifier.PRETRAINED):
        pytest.skip("pretrained/npgan-mnist-classifier.npz is absent")
    return load_mnist(require_data("mnist"), download=False)


def test_real_images_end_to_end_with_json(in_tmp, capsys):
    data = needs_mnist_and_weights()
    np.save(in_tmp / "train.npy", data.train_x[:200])
    assert main(["evaluate", "train.npy", "--images", "300", "-o", "r.json"]) == 0
    out = capsys.readouterr().out
    assert "Frechet distance" in out and "Parzen" in out and "wrote r.json" in out
    result = json.loads((in_tmp / "r.json").read_text())
    assert result["n"] == 200 and result["test_images"] == 300
    assert result["copy_share"] == 1.0  # they are training images
    assert 0.5 < result["precision"] <= 1.0 and 0.9 < result["class_balance"]["mean_confidence"] <= 1.0
    assert 5 < result["inception_score"] <= 10 and math.isfinite(result["parzen"]["test_ll"])
    assert main(["evaluate", "train.npy", "--images", "300", "-o", "r.json"]) == 2  # no surprise overwrite
    assert main(["evaluate", "train.npy", "--images", "300", "-o", "r.json", "--force", "-n", "100"]) == 0
    assert json.loads((in_tmp / "r.json").read_text())["n"] == 100


def test_the_pretrained_generator_end_to_end(in_tmp, capsys):
    needs_mnist_and_weights()
    assert main(["evaluate", GENERATOR, "-n", "200", "--images", "300", "--seed", "1", "-o", "g.json"]) == 0
    out = capsys.readouterr().out
    trained = json.loads((in_tmp / "g.json").read_text())
    assert (trained["n"], trained["seed"], trained["scored"], trained["dataset"]) == (200, 1, "samples", "mnist")
    assert f"{trained['frechet_distance']:.3f}" in out and f"{trained['precision']:.4f}" in out  # table = file
    # the same scores of uniform noise: the trained generator's samples are digits, balanced over the classes
    np.save(in_tmp / "noise.npy", np.random.default_rng(0).random((200, 784), dtype=np.float32))
    assert main(["evaluate", "noise.npy", "--images", "300", "-o", "n.json"]) == 0
    noise = json.loads((in_tmp / "n.json").read_text())
    assert trained["frechet_distance"] < noise["frechet_distance"] / 5
    assert trained["precision"] > noise["precision"] and trained["recall"] > noise["recall"]
    assert trained["class_balance"]["kl_to_uniform"] < 0.2 and trained["parzen"]["test_ll"] > noise["parzen"]["test_ll"]


def test_training_logs_the_cheap_metrics_every_eval_every_epochs(tmp_path):
    import types

    import npgan
    from npgan.models.gan.outputs import epoch_outputs
    from npgan.presets import Config

    needs_mnist_and_weights()
    with pytest.raises(ValueError, match="eval_every must be >= 0"):
        Config(eval_every=-1)
    config = Config(eval_every=2, sample_every=0, parzen_every=0, epochs=3)
    model = types.SimpleNamespace(config=config, gan=npgan.load(GENERATOR), averaged_gan=lambda: None)
    said = []
    for epoch in (1, 2, 3):  # epochs 2 (every 2) and 3 (the last)
        epoch_outputs(model, epoch, str(tmp_path), said.append)
    lines = (tmp_path / "metrics.csv").read_text().splitlines()
    assert lines[0] == "epoch,frechet_distance,class_kl,mean_confidence"
    assert [line.split(",")[0] for line in lines[1:]] == ["2", "3"]
    assert lines[1] == lines[2].replace("3,", "2,", 1)  # the same G and noise: the same numbers
    assert len(said) == 2 and "Frechet distance" in said[0]
