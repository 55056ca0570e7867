"""npgan train --data: every image family trains on a folder or an array of images the test draws
itself, and npgan sample and npgan evaluate work on the runs; a resume on other data, and every
bad-data case, is one line."""

import json

import numpy as np
import pytest
from own_images import shapes_array, shapes_folder
from PIL import Image

import npgan
from npgan.cli.parser import main
from npgan.datasets import own
from npgan.presets import get_preset
from npgan.train import train

# 60 images of 16 x 16, read at 12 x 12 (54 train), two classes; minibatches of 18: 3 an epoch.
FAST = ["--epochs", "1", "--batch-size", "18", "--image-size", "12", "--quiet"]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def folder(in_tmp):
    return str(shapes_folder(in_tmp / "shapes", per_class=30, size=16))


def one_error(capsys):
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("preset", ["mnist", "mnist-dcgan"])
def test_mlp_and_dcgan_train_on_a_folder_then_sample_and_evaluate(folder, in_tmp, capsys, preset):
    assert main(["train", "--preset", preset, "--data", folder, "--epochs", "1", "--batch-size", "18",
                 "--image-size", "12", "--out", "run"]) == 0
    out = capsys.readouterr().out
    assert f"{folder}: 16x16 images resized to 12x12\n" in out
    assert f"{folder}: 60 grey images, 12x12, 2 classes; 54 train, 3 validate, 3 test (held out)\n" in out
    assert "the preset's schedule" in out
    config = npgan.load("run/checkpoint.npz").config
    assert (config.dataset, config.data, config.image_shape, config.classes) == ("own", folder, (1, 12, 12), 2)
    with np.load("run/checkpoint.npz") as z:
        state = json.loads(str(z["state"]))
    assert state["data"] == own.load(folder, 12).fingerprint.record()
    assert (in_tmp / "run" / "samples" / "epoch-0001.png").is_file()
    assert main(["sample", "run/checkpoint.npz", "-n", "20", "-o", "s.npy"]) == 0
    samples = np.load("s.npy")
    assert samples.shape == (20, 144) and 0 <= samples.min() and samples.max() <= 1
    assert main(["sample", "run/checkpoint.npz", "-n", "20", "-o", "s.png", "--nearest"]) == 0
    assert Image.open("s.png").size[0] > 200
    averaged = ["--averaged"] if preset == "mnist" else []  # mnist's average_from 41 of 50 became 1 of 1
    capsys.readouterr()
    assert main(["evaluate", "run/checkpoint.npz", "-n", "200", *averaged, "-o", "e.json"]) == 0
    out = capsys.readouterr().out
    assert "against 3 held-out test images of" in out and "not computed: they need a classifier of this data" in out
    result = json.loads((in_tmp / "e.json").read_text())
    assert result["frechet_distance"] is None and result["without_classifier"][0] == "frechet_distance"
    assert 0 <= result["copy_share"] <= 1 and np.isfinite(result["parzen"]["test_ll"])


def test_an_npy_array_trains_samples_and_evaluates(in_tmp, capsys):
    images, _ = shapes_array(60, 16)
    np.save("shapes.npy", images)
    assert main(["train", "--preset", "mnist", "--data", "shapes.npy", *FAST, "--out", "run"]) == 0
    assert npgan.load("run/checkpoint.npz").config.classes == 0
    assert main(["sample", "run/checkpoint.npz", "--averaged", "-n", "16", "-o", "s.png"]) == 0
    assert main(["evaluate", "run/checkpoint.npz", "-n", "100"]) == 0
    assert "against 3 held-out test images of" in capsys.readouterr().out


def test_a_resume_on_other_data_is_refused_in_one_line_and_moved_data_resumes(folder, in_tmp, capsys):
    assert main(["train", "--preset", "mnist", "--data", folder, *FAST, "--out", "run"]) == 0
    other = shapes_folder(in_tmp / "other", per_class=30, size=16, seed=1)
    assert main(["train", "--resume", "run/checkpoint.npz", "--epochs", "2", "--data", str(other)]) == 2
    err = one_error(capsys)
    assert "was trained on 60 images of shape (1, 12, 12)" in err and "resume it on the data it was trained on" in err
    (in_tmp / "shapes").rename(in_tmp / "moved")
    assert main(["train", "--resume", "run/checkpoint.npz", "--epochs", "2", "--quiet"]) == 2  # its data is gone
    assert "which is gone; pass --data PATH where they are now" in one_error(capsys)
    assert main(["train", "--resume", "run/checkpoint.npz", "--epochs", "2", "--data", "moved", "--quiet"]) == 0
    assert npgan.load("run/checkpoint.npz").state["epoch"] == 2


@pytest.mark.parametrize("preset, extra", [
    ("tiny-cgan", []), ("mnist-ae", []), ("mnist-dae", []), ("mnist-vae", []), ("mnist-bigan", []),
    ("tiny-inpaint", ["--image-size", "28"]), ("mnist-semisup", ["--labels", "6"]),
])
def test_every_image_family_trains_on_a_folder(folder, in_tmp, preset, extra):
    size = [] if extra[:1] == ["--image-size"] else ["--image-size", "12"]
    assert main(["train", "--preset", preset, "--data", folder, "--epochs", "1", "--batch-size", "18", *size, *extra,
                 "--quiet", "--out", "run"]) == 0
    model = npgan.load("run/checkpoint.npz")
    assert model.config.dataset == "own" and model.state["epoch"] == 1
    if preset == "tiny-cgan":
        assert main(["sample", "run/checkpoint.npz", "--label", "1", "-n", "10", "-o", "ones.npy"]) == 0
        assert main(["sample", "run/checkpoint.npz", "--label", "2", "-n", "10", "-o", "twos.npy"]) == 2
    if preset == "mnist-bigan":
        assert main(["evaluate", "run/checkpoint.npz", "-n", "50"]) == 0


def test_an_encoder_learns_to_invert_a_generator_of_your_images(folder, in_tmp):
    assert main(["train", "--preset", "mnist", "--data", folder, *FAST, "--out", "gan"]) == 0
    assert main(["export", "gan/checkpoint.npz", "-o", "g.npz"]) == 0
    gan = npgan.load("g.npz").config
    config = get_preset("mnist-encoder").replace(generator_file="g.npz", dataset="own", data=gan.data,
                                                 image_shape=gan.image_shape, classes=gan.classes, iters_per_epoch=20,
                                                 epochs=1)
    encoder = train(config, in_tmp / "enc", quiet=True)
    assert encoder.encode(own.load(folder, 12).split.valid_x).shape == (3, 100)
    log = (in_tmp / "enc" / "log.csv").read_text()
    assert "valid_pixel_mse" in log.splitlines()[0]
    with pytest.raises(ValueError, match="an encoder's prior must be its generator's"):
        train(config.replace(image_shape=(1, 16, 16)), in_tmp / "enc16", quiet=True)


def test_the_classifier_behind_the_frechet_distance_trains_on_your_labelled_images(folder, in_tmp, capsys):
    assert main(["classifier", "--data", folder, "--image-size", "12", "-o", "c.npz"]) == 0
    out = capsys.readouterr().out
    assert "-> c.npz" in out and not (in_tmp / "c.training.npz").exists()
    from npgan.evaluation import classifier

    net, state = classifier.load("c.npz")
    assert net.config.dataset == "own" and net.config.n_classes == 2 and net.config.n_in == 144
    assert state["valid_accuracy"] >= 0.9  # bars and discs apart
    assert state["data"]["sha256"] == own.load(folder, 12).fingerprint.sha256
    assert main(["train", "--preset", "mnist", "--data", folder, *FAST, "--out", "run"]) == 0
    assert main(["evaluate", "run/checkpoint.npz", "-n", "200", "--classifier", "c.npz", "-o", "e.json"]) == 0
    result = json.loads((in_tmp / "e.json").read_text())
    assert result["frechet_distance"] > 0 and len(result["class_balance"]["histogram"]) == 2
    assert main(["classifier", "--data", folder, "--image-size", "16", "-o", "c16.npz", "--epochs", "1"]) == 0
    assert main(["evaluate", "run/checkpoint.npz", "-n", "20", "--classifier", "c16.npz"]) == 2
    assert "a classifier of images of 256 pixels; the images have 144" in one_error(capsys)
    shapes_folder(in_tmp / "unlabelled", per_class=10, classes=())
    assert main(["classifier", "--data", "unlabelled", "-o", "u.npz"]) == 2
    assert "images without labels; a classifier needs one subfolder per class" in one_error(capsys)


def test_mnist_one_epoch_on_your_images_samples_its_average(folder, in_tmp, capsys):
    assert main(["train", "--data", folder, "--epochs", "1", "--batch-size", "18", "--out", "run"]) == 0
    out = capsys.readouterr().out
    assert "average_from 41 -> 1" in out and f"{folder}: 16x16 images resized to 28x28" in out  # mnist's 28
    assert main(["sample", "run/checkpoint.npz", "--averaged", "-o", "avg.png"]) == 0


@pytest.mark.parametrize("make, argv, status, message", [
    (lambda p: None, ["--data", "missing"], 1, "missing: no such file or folder"),
    (lambda p: (p / "empty").mkdir(), ["--data", "empty"], 1, "empty: empty folder; expected PNG or JPEG images"),
    (lambda p: ((p / "docs").mkdir(), (p / "docs" / "a.txt").write_text("x")), ["--data", "docs"], 1,
     "docs: no image among its 1 files"),
    (lambda p: (shapes_folder(p / "bad", per_class=3, classes=()), (p / "bad" / "x.png").write_bytes(b"no")),
     ["--data", "bad"], 1, "x.png: not a readable image"),
    (lambda p: shapes_folder(p / "few", per_class=10, classes=()), ["--data", "few", "--batch-size", "50"], 2,
     "18 training images (2 of its 20 are held out) are fewer than one minibatch of 50; use --batch-size 18 or less"),
    (lambda p: shapes_folder(p / "s", per_class=10), ["--data", "s", "--preset", "toy-1d"], 2,
     "--data trains an image model; preset toy-1d is for a toy distribution"),
    (lambda p: shapes_folder(p / "s", per_class=10), ["--image-size", "12"], 2, "--image-size sets the size"),
    (lambda p: shapes_folder(p / "s", per_class=10), ["--data", "s", "--preset", "mnist-dcgan", "--image-size", "10"],
     2, "model 'dcgan' needs an image side divisible by 4"),
    (lambda p: shapes_folder(p / "s", per_class=10, classes=()), ["--data", "s", "--preset", "tiny-cgan"], 2,
     "model 'cgan' needs labelled images"),
    (lambda p: shapes_folder(p / "s", per_class=10), ["--data", "s", "--preset", "tiny-inpaint", "--image-size", "12"],
     2, "model 'inpaint' completes grey 28 x 28 images"),
])
def test_bad_data_on_the_command_line_is_one_line_and_writes_nothing(in_tmp, capsys, make, argv, status, message):
    make(in_tmp)
    assert main(["train", *argv, "--epochs", "1", "--out", "run"]) == status
    assert message in one_error(capsys)
    assert not (in_tmp / "run").exists()


def test_more_images_than_memory_is_one_line_before_decoding(folder, in_tmp, capsys, monkeypatch):
    monkeypatch.setattr(own, "available_memory", lambda: 10**5)
    assert main(["train", "--data", folder, "--image-size", "64", "--out", "run"]) == 1
    assert "60 images of 1x64x64 need about" in one_error(capsys) and not (in_tmp / "run").exists()
