"""The autoencoder families trained, resumed, loaded and used through the command line, on MNIST.

Tiny networks (784-16-4) and 100 minibatches of 500 per epoch keep each run under a second
or two; what is checked is behaviour, not quality (the presets' results are in
results/model_families/model_families.md).
"""

import json
import os
import signal

import numpy as np
import pytest
from conftest import data_root, require_data

import npgan
from npgan import checkpoint
from npgan.backend import Random, to_numpy
from npgan.cli.parser import main
from npgan.models.autoencoders.model import Autoencoder
from npgan.models.autoencoders.training import AutoencoderModel, autoencoder_outputs, evaluation_images
from npgan.models.common import save_model_file
from npgan.presets import Config, get_preset
from npgan.train import Interrupted, Trainer, train

TINY = dict(ae_hidden=(16,), ae_code=4, batch_size=500, epochs=2, sample_every=2)  # pictures at the end only


@pytest.fixture(scope="module", autouse=True)
def mnist():
    require_data("mnist")
    before = os.environ.get("NPGAN_DATA_DIR")
    os.environ["NPGAN_DATA_DIR"] = data_root()
    yield
    if before is None:
        os.environ.pop("NPGAN_DATA_DIR")
    else:
        os.environ["NPGAN_DATA_DIR"] = before


def tiny(preset, **changes):
    return get_preset(preset).replace(**{**TINY, **changes})


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A finished two-epoch run of each family: {"ae": folder, "dae": ..., "vae": ...}."""
    root = tmp_path_factory.mktemp("autoencoders")
    presets = {"ae": "mnist-ae", "dae": "mnist-dae", "vae": "mnist-vae"}
    for name, preset in presets.items():
        train(tiny(preset), root / name, quiet=True)
    return {name: root / name for name in presets}


def log_rows(folder):
    lines = (folder / "log.csv").read_text().splitlines()
    return [dict(zip(lines[0].split(","), line.split(","))) for line in lines[1:]]


def test_each_family_trains_and_writes_its_run_folder(runs):
    for name, folder in runs.items():
        rows = log_rows(folder)
        assert [row["epoch"] for row in rows] == ["1", "2"]
        assert float(rows[1]["valid_loss"]) < float(rows[0]["valid_loss"]), name
        assert (folder / "reconstructions" / "epoch-0002.png").exists()
        assert (folder / "samples").exists() == (name == "vae")
    vae_rows = log_rows(runs["vae"])
    for row in vae_rows:  # the negative ELBO is its two terms
        assert float(row["loss"]) == pytest.approx(float(row["reconstruction"]) + float(row["kl"]), rel=1e-4)


@pytest.mark.parametrize("preset", ["mnist-vae-binary"])  # binarisation, eps and the data order all resume
def test_an_interrupted_run_resumes_bit_identical(tmp_path, preset):
    config = tiny(preset, sample_every=0)
    whole = train(config, tmp_path / "whole", quiet=True)
    trainer = Trainer(AutoencoderModel(config), tmp_path / "split", autoencoder_outputs, quiet=True)
    step = trainer.model.step

    def stepping(i):  # a SIGINT during iteration 30 of the second epoch
        out = step(i)
        if (trainer.epoch, i) == (1, 30):
            trainer._handle_signal(signal.SIGINT, None)
        return out

    trainer.model.step = stepping
    with pytest.raises(Interrupted, match="at epoch 1, iteration 31"):
        trainer.run()
    resumed = train(config, tmp_path / "split", resume=tmp_path / "split" / "checkpoint.npz", quiet=True)
    for name in ("E", "G"):  # train() returns the Autoencoder or VAE
        for key, value in getattr(whole, name).params.items():
            np.testing.assert_array_equal(to_numpy(value), to_numpy(getattr(resumed, name).params[key]))
    losses = [[row["loss"] for row in log_rows(tmp_path / folder)] for folder in ("whole", "split")]
    assert losses[0] == losses[1]


def test_masking_noise_zeroes_the_share_of_pixels_it_says_and_nothing_else():
    config = tiny("mnist-dae", ae_noise=0.5)
    model = AutoencoderModel(config)
    assert isinstance(model.net, Autoencoder)
    x = evaluation_images(config, "valid", 2000)
    corrupted = to_numpy(model.net.corrupt(x, Random(0)))
    ink = to_numpy(x) > 0
    assert 0.45 < (corrupted[ink] == 0).mean() < 0.55 and np.array_equal(corrupted[~ink], to_numpy(x)[~ink])


def test_binarised_evaluation_images_are_the_same_zeros_and_ones_every_time():
    config = get_preset("mnist-vae-binary")
    a, b = evaluation_images(config, "test", 100), evaluation_images(config, "test")[:100]
    assert set(np.unique(to_numpy(a))) == {0.0, 1.0} and np.array_equal(to_numpy(a), to_numpy(b))


def test_the_vae_encodes_to_its_posterior_mean_and_samples_from_its_prior(runs, tmp_path, capsys):
    ckpt = str(runs["vae"] / "checkpoint.npz")
    vae = npgan.load(ckpt)
    assert main(["encode", ckpt, "--images", "30", "-o", str(tmp_path / "z.npy")]) == 0
    x = evaluation_images(vae.config, "test", 30)
    np.testing.assert_array_equal(np.load(tmp_path / "z.npy"), to_numpy(vae.posterior(x)[0]))
    assert main(["reconstruct", ckpt, "--images", "30", "-o", str(tmp_path / "r.npy")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "r.npy"), to_numpy(vae.decode(vae.posterior(x)[0])))
    assert main(["sample", ckpt, "-n", "50", "-o", str(tmp_path / "s.npy")]) == 0
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (50, 784) and 0 <= samples.min() and samples.max() <= 1
    np.testing.assert_array_equal(samples, to_numpy(vae.sample(50, rng=Random(0))))
    with pytest.raises(ValueError, match="VAE.sample: n must be an integer >= 1"):
        vae.sample(0)


def test_npgan_elbo_reports_both_bounds_and_says_what_the_pixels_were(runs, tmp_path, capsys):
    ckpt = str(runs["vae"] / "checkpoint.npz")
    out = tmp_path / "elbo.json"
    assert main(["elbo", ckpt, "-k", "50", "--images", "40", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    assert "grey test images: a Bernoulli cross-entropy bound, NOT a log-likelihood" in printed
    assert f"{result['elbo']:9.2f} +- {result['elbo_se']:.2f}" in printed and result["k"] == 50
    assert result["elbo"] < result["iw_bound"] < 0
    assert main(["elbo", ckpt, "-k", "50", "--images", "40", "-o", str(out)]) == 2  # no --force


def test_an_autoencoder_refuses_in_one_line_what_it_cannot_do(runs, tmp_path, capsys):
    for name in ("ae", "dae"):
        ckpt = str(runs[name] / "checkpoint.npz")
        for command in (["sample", ckpt, "-o", str(tmp_path / "s.png")], ["parzen", ckpt], ["elbo", ckpt],
                        ["evaluate", ckpt, "--averaged"]):
            assert main(command) == 2
            err = capsys.readouterr().err
            assert err.count("\n") == 1, err
            if command[0] != "evaluate":
                article = {"ae": "an", "dae": "a"}[name]
                assert f"holds {article} {name} model" in err and "it can: encode, evaluate, reconstruct" in err
                if command[0] == "elbo":
                    assert "which cannot bound its log-likelihood" in err
        assert not list(tmp_path.iterdir())


def test_evaluate_scores_an_autoencoder_on_its_reconstructions(runs, capsys):
    if not os.path.isfile("pretrained/npgan-mnist-classifier.npz"):
        pytest.skip("pretrained/npgan-mnist-classifier.npz is absent")
    out = runs["ae"] / "evaluate.json"
    assert main(["evaluate", str(runs["ae"] / "checkpoint.npz"), "-n", "60", "--images", "300", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "60 reconstructions of test images against 300 mnist test images" in printed
    scores = json.loads(out.read_text())
    assert (scores["n"], scores["scored"], scores["parzen"]) == (60, "reconstructions of test images", None)
    # What is scored is G(E(x)): a tiny two-epoch autoencoder's reconstructions are nearer the
    # test images, in the classifier's features, than uniform noise is.
    np.save(runs["ae"] / "noise.npy", np.random.default_rng(0).random((60, 784), dtype=np.float32))
    assert main(["evaluate", str(runs["ae"] / "noise.npy"), "--images", "300", "-o", str(runs["ae"] / "n.json")]) == 0
    noise = json.loads((runs["ae"] / "n.json").read_text())
    assert scores["frechet_distance"] < 0.8 * noise["frechet_distance"]


def test_a_model_file_holds_the_networks_alone_and_loads_like_the_checkpoint(runs, tmp_path, capsys):
    vae = npgan.load(runs["vae"] / "checkpoint.npz")
    path = tmp_path / "vae.npz"
    save_model_file(path, vae, {"epoch": 2}, dtype="float16")
    loaded = npgan.load(path)
    x = evaluation_images(vae.config, "test", 20)
    np.testing.assert_allclose(to_numpy(loaded.reconstruct(x)), to_numpy(vae.reconstruct(x)), atol=2e-3)
    assert main(["train", "--resume", str(path)]) == 2
    assert "cannot be resumed" in capsys.readouterr().err
    with pytest.raises(checkpoint.CheckpointError, match="a vae model keeps no averaged generator"):
        npgan.load(path, averaged=True)
    assert main(["export", str(runs["vae"] / "checkpoint.npz"), "-o", str(tmp_path / "exported.npz")]) == 0
    assert "wrote G and E" in capsys.readouterr().out  # the encoder travels with the decoder
    np.testing.assert_array_equal(to_numpy(npgan.load(tmp_path / "exported.npz").encode(x)), to_numpy(vae.encode(x)))


def test_autoencoder_configs_are_checked_before_anything_runs():
    for bad, message in [(dict(model="dae"), "a dae needs a corruption"),
                         (dict(model="vae", ae_loss="squared"), "a VAE's decoder is Bernoulli"),
                         (dict(model="dae", ae_corruption="masking", ae_noise=1.0), "below 1 for masking"),
                         (dict(model="ae", ae_code=0), "ae_code and every ae_hidden width must be >= 1"),
                         (dict(model="ae", ae_binarize="threshold"), "ae_binarize must be"),
                         (dict(model="vae", dataset="ring-8", iters_per_epoch=5),
                          "model 'vae' trains on 'mnist' or 'own', not 'ring-8'")]:
        with pytest.raises(ValueError, match=message):
            Config(**bad)
    assert Config(model="ae", ae_hidden=[8, 4]).ae_hidden == (8, 4)
