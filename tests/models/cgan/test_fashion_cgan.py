"""The class-conditional GAN on Fashion-MNIST (preset fashion-cgan): a tiny one trains from
Fashion-MNIST's labelled images, its run folder scores it with Fashion-MNIST's classifier, and
`npgan sample --label` and `npgan evaluate` read its checkpoint."""

import json

import numpy as np
import pytest
from conftest import data_root, require_data

from npgan.backend import Random, to_numpy
from npgan.cli.parser import main
from npgan.datasets import fashion, load_images
from npgan.evaluation import classifier as classifiers
from npgan.models.cgan import training as conditional_model
from npgan.models.common import data_logit_mean
from npgan.presets import get_preset
from npgan.train import train


@pytest.fixture
def fashion_root(monkeypatch):
    require_data("fashion-mnist")
    monkeypatch.setenv("NPGAN_DATA_DIR", data_root())


def test_a_fashion_cgan_trains_on_fashion_and_is_scored_by_its_classifier(fashion_root, tmp_path, capsys,
                                                                           monkeypatch):
    conditional_model._classifier.cache_clear()  # so that the run loads its classifier here
    loaded = []  # every classifier file the run loads: label accuracy's and metrics.csv's
    real_load = classifiers.load
    monkeypatch.setattr(classifiers, "load", lambda path=classifiers.PRETRAINED, **kw: (
        loaded.append(path), real_load(path, **kw))[1])
    config = get_preset("fashion-cgan").replace(g_hidden=(16,), d_hidden=(8,), noise_dim=4, batch_size=1000,
                                                epochs=1, sample_every=0, eval_every=1, average_from=0, seed=5)
    gan = train(config, tmp_path / "run", quiet=True)
    data = fashion.load_fashion_mnist()
    # the stream is Fashion-MNIST's images with their labels: G's output bias started at the
    # logit of Fashion-MNIST's mean image (one epoch moves it little), not MNIST's
    x, labels = conditional_model.labelled_data("fashion-mnist")
    assert x is data.train_x and np.array_equal(labels, data.train_y)
    bias = to_numpy(gan.G.layers[-2].params["b"])
    start = to_numpy(data_logit_mean(data.train_x))
    mnist_start = to_numpy(data_logit_mean(load_images("mnist").train_x))
    assert abs(bias - start).mean() < 0.2 * abs(bias - mnist_start).mean()
    # labels.csv is the share Fashion-MNIST's classifier puts in the class asked for
    fashion_path = classifiers.PRETRAINED_FOR["fashion-mnist"]
    assert set(loaded) == {fashion_path}
    share, per_class = conditional_model.label_accuracy(gan, real_load(fashion_path)[0], 100, Random(config.seed + 3))
    row = (tmp_path / "run" / "labels.csv").read_text().splitlines()[1]
    assert row == f"1,{share:.4f}" and per_class.shape == (10,)

    checkpoint = str(tmp_path / "run" / "checkpoint.npz")
    out = tmp_path / "sandals.npy"
    assert main(["sample", checkpoint, "--label", "5", "-n", "20", "-o", str(out)]) == 0
    assert np.load(out).shape == (20, 784) and np.load(tmp_path / "sandals.labels.npy").tolist() == [5] * 20
    assert main(["evaluate", checkpoint, "-n", "100", "--images", "100", "-o", str(tmp_path / "scores.json")]) == 0
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["dataset"] == "fashion-mnist" and scores["classifier"] == fashion_path
    assert "against 100 fashion-mnist test images" in capsys.readouterr().out
