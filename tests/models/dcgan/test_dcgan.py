"""The dcgan family: its networks, its discriminator step, training and resuming through the
trainer, loading and sampling, its presets and their checks."""

from pathlib import Path

import numpy as np
import pytest
from conftest import REPOSITORY

import npgan
from npgan.backend import Random, to_numpy
from npgan.cli.parser import main
from npgan.models.dcgan import model as dcgan
from npgan.models.dcgan import training as dcgan_training
from npgan.nn import gradcheck, losses
from npgan.nn.checks import RUNNING, randomize_learned
from npgan.presets import Config, get_preset
from npgan.train import train

# A DCGAN small enough for tests: width 2, batch 8, 48 random "images" (6 iterations an epoch).
TINY = get_preset("mnist-dcgan").replace(conv_width=2, batch_size=8, epochs=3, sample_every=2, eval_every=0,
                                         noise_dim=5, seed=4)


@pytest.fixture
def tiny_images(monkeypatch):
    images = np.random.default_rng(0).uniform(0, 1, (48, 784)).astype("float32")
    monkeypatch.setattr(dcgan_training, "training_images", lambda config, rows: images)
    return images


def test_networks_are_the_issue_s_shapes_and_map_rows_to_rows():
    gan = dcgan.build_dcgan(get_preset("mnist-dcgan"), Random(0))
    shapes = {key: tuple(p.shape) for key, p in gan.G.params.items() if key.endswith("W")}
    assert list(shapes.values()) == [(100, 128, 7, 7), (128, 64, 4, 4), (64, 1, 4, 4)]  # 7x7x128 -> 14x14x64 -> 28x28
    assert [tuple(p.shape) for key, p in gan.D.params.items() if key.endswith("W")] == [
        (64, 1, 4, 4), (128, 64, 4, 4), (6272, 1)]
    x = gan.sample(5, rng=Random(1))
    assert x.shape == (5, 784) and 0 <= float(x.min()) and float(x.max()) <= 1 and gan.features == 784
    assert gan.D.forward(x, training=False).shape == (5, 1)
    cifar = dcgan.build_dcgan(get_preset("cifar10-dcgan").replace(conv_width=4), Random(0))
    assert cifar.sample(2, rng=Random(1)).shape == (2, 3 * 32 * 32)


def test_conv_g_width_widens_g_alone():
    gan = dcgan.build_dcgan(get_preset("mnist-dcgan").replace(conv_width=4, conv_g_width=6), Random(0))
    assert [tuple(p.shape) for key, p in gan.G.params.items() if key.endswith("W")] == [
        (100, 12, 7, 7), (12, 6, 4, 4), (6, 1, 4, 4)]
    assert [tuple(p.shape) for key, p in gan.D.params.items() if key.endswith("W")] == [
        (4, 1, 4, 4), (8, 4, 4, 4), (392, 1)]
    assert gan.D.forward(gan.sample(3, rng=Random(1)), training=False).shape == (3, 1)


def test_conv_fc_units_adds_a_fully_connected_layer_to_each_net_and_none_by_default():
    gan = dcgan.build_dcgan(get_preset("mnist-dcgan").replace(conv_width=4, conv_fc_units=5), Random(0))
    assert [tuple(p.shape) for key, p in gan.G.params.items() if key.endswith("W")] == [
        (5, 100, 1, 1), (5, 8, 7, 7), (8, 4, 4, 4), (4, 1, 4, 4)]
    assert [tuple(p.shape) for key, p in gan.D.params.items() if key.endswith("W")] == [
        (4, 1, 4, 4), (8, 4, 4, 4), (5, 8, 7, 7), (5, 1)]
    assert gan.D.forward(gan.sample(3, rng=Random(1)), training=False).shape == (3, 1)
    plain = dcgan.build_dcgan(get_preset("mnist-dcgan").replace(conv_width=4), Random(0))
    assert len(plain.G.layers) == len(gan.G.layers) - 3 and len(plain.D.layers) == len(gan.D.layers) - 3


@pytest.mark.parametrize("net", ["G", "D"])
def test_the_fully_connected_nets_backward_matches_central_differences_in_float64(net):
    rng = Random(3)
    if net == "G":
        network, x = dcgan.generator(3, (1, 8, 8), 2, rng, dtype="float64", fc_units=5), rng.normal((6, 3), "float64")
    else:
        network = dcgan.discriminator((1, 8, 8), 2, rng, dtype="float64", fc_units=5)
        x = rng.uniform(0, 1, (6, 64), "float64")
    randomize_learned(network, rng)
    errors = gradcheck.check_layer(network, x, seed=3)
    assert set(errors) >= {"dx", *(f"{i}.{name}" for i, layer in enumerate(network.layers) for name in layer.params
                                   if name not in RUNNING)}
    assert max(err for key, err in errors.items() if key.split(".")[-1] not in RUNNING) < gradcheck.NETWORK_TOLERANCE
    assert gradcheck.directional_check(network, x, seed=3) < gradcheck.NETWORK_TOLERANCE


class _Recorder:
    """An optimiser that keeps the gradients it is given and moves nothing."""

    def __init__(self, network):
        self.network, self.grads = network, None

    def step(self):
        self.grads = {key: g.copy() for key, g in self.network.grads.items()}


def test_d_step_gradient_is_that_of_the_loss_on_two_separately_normalised_batches():
    config = TINY.replace(dtype="float64")
    gan = dcgan.build_dcgan(config, Random(1))
    gradcheck.randomize_parameters(gan.D, Random(2), scale=0.3)
    for key in ("4.running_var",):  # keep the (unused in training) variance positive
        gan.D.params[key][...] = 1.0
    real = Random(3).uniform(0, 1, (6, 784), "float64")
    state = gan.rng.get_state()
    recorder = _Recorder(gan.D)
    out = gan.d_step(real, recorder)
    gan.rng.set_state(state)
    fake = gan.G.forward(gan.sample_noise(6), training=True)  # the same noise, the same G(z)

    def loss():  # L_D = 0.5 (BCE(D(x), 1) + BCE(D(G(z)), 0)), D normalising each batch by itself
        real_loss, _ = losses.sigmoid_cross_entropy(gan.D.forward(real, training=True), 1.0)
        fake_loss, _ = losses.sigmoid_cross_entropy(gan.D.forward(fake, training=True), 0.0)
        return 0.5 * (real_loss + fake_loss)

    assert abs(float(loss()) - float(out["d_loss"])) < 1e-12
    worst = max(gradcheck.rel_error(recorder.grads[key], gradcheck.numerical_gradient(loss, p))
                for key, p in gan.D.params.items() if "running" not in key)
    assert worst < gradcheck.NETWORK_TOLERANCE
    assert not any(to_numpy(recorder.grads[key]).any() for key in recorder.grads if "running" in key)


def params_of(gan):
    return {f"{name}/{k}": to_numpy(v) for name, net in (("G", gan.G), ("D", gan.D)) for k, v in net.params.items()}


def test_trains_and_resumes_bit_identically_running_averages_included(tmp_path, tiny_images):
    whole = train(TINY, tmp_path / "whole", quiet=True)
    train(TINY.replace(epochs=1), tmp_path / "split", quiet=True)
    resumed = train(TINY, tmp_path / "split", resume=tmp_path / "split" / "checkpoint.npz", quiet=True)
    a, b = params_of(whole), params_of(resumed)
    assert a.keys() == b.keys() and any("running_mean" in key for key in a)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert not np.array_equal(a["G/2.running_mean"], np.zeros_like(a["G/2.running_mean"]))  # they moved
    assert (tmp_path / "whole" / "samples" / "epoch-0002.png").exists()
    rows = (tmp_path / "split" / "log.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,seconds,d_loss,g_loss,d_real,d_fake") and len(rows) == 4
    assert rows[0].endswith(",cpu_seconds")  # each epoch's CPU time, for the efficiency curve
    cpu = [float(row.split(",")[-1]) for row in rows[1:]]
    assert len(cpu) == 3 and all(c > 0 for c in cpu)


def test_checkpoint_and_generator_file_sample_what_the_trained_model_samples(tmp_path, tiny_images, capsys):
    trained = train(TINY.replace(epochs=1), tmp_path, quiet=True)
    expected = to_numpy(trained.sample(7, rng=Random(9)))
    loaded = npgan.load(tmp_path / "checkpoint.npz")
    assert isinstance(loaded, dcgan.DCGAN) and loaded.config.model == "dcgan"
    np.testing.assert_array_equal(to_numpy(loaded.sample(7, rng=Random(9))), expected)
    assert main(["export", str(tmp_path / "checkpoint.npz"), "-o", str(tmp_path / "g.npz")]) == 0
    generator = npgan.load(tmp_path / "g.npz")
    assert generator.D is None
    np.testing.assert_allclose(to_numpy(generator.sample(7, rng=Random(9))), expected, rtol=1e-6, atol=1e-6)
    assert main(["sample", str(tmp_path / "g.npz"), "-n", "12", "-o", str(tmp_path / "s.png")]) == 0


def test_presets_are_dcgan_s_and_the_checks_refuse_what_cannot_train():
    config = get_preset("mnist-dcgan")
    assert (config.model, config.optimizer, config.lr, config.adam_beta1, config.lr_decay) == \
        ("dcgan", "adam", 2e-4, 0.5, 1.0)
    assert get_preset("fashion-dcgan").dataset == "fashion-mnist" and get_preset("cifar10-dcgan").dataset == "cifar10"
    assert Config.from_json(config.to_json()) == config
    for changes, message in [(dict(dataset="ring-8", iters_per_epoch=10),
                              "model 'dcgan' trains on 'mnist', 'fashion-mnist', 'cifar10' or 'own', not 'ring-8'"),
                             (dict(update="simultaneous"), "update='alternating'"),
                             (dict(g_output_bias="data_logit_mean"), "g_output_bias='zero'"),
                             (dict(conv_width=0), "conv_width must be >= 1"),
                             (dict(conv_g_width=-1), "conv_g_width must be >= 0"),
                             (dict(leaky_slope=1.0), "leaky_slope in")]:
        with pytest.raises(ValueError, match=message):
            config.replace(**changes)
    with pytest.raises(ValueError, match="model 'gan' trains on 'mnist', .* not 'cifar10'"):
        Config(dataset="cifar10")
    with pytest.raises(ValueError, match="model 'bigan' trains on .* not 'fashion-mnist'"):
        Config(model="bigan", dataset="fashion-mnist")


def test_the_fully_connected_presets_are_the_long_recipe_with_128_units_on_either_data_set():
    for name, dataset in [("mnist-dcgan-fc", "mnist"), ("fashion-dcgan-fc", "fashion-mnist")]:
        config = get_preset(name)
        assert config == get_preset("mnist-dcgan-long").replace(dataset=dataset, epochs=40, conv_fc_units=128)
        gan = dcgan.build_dcgan(config, Random(0))
        g_shapes = [tuple(p.shape) for key, p in gan.G.params.items() if key.endswith("W")]
        assert g_shapes[:2] == [(128, 100, 1, 1), (128, 128, 7, 7)]  # z -> 128 units -> 7x7x128


def test_cifar10_preset_without_the_data_fails_in_one_line_saying_where_to_put_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NPGAN_CIFAR10_DIR", str(tmp_path / "nothing-here"))
    assert main(["train", "--preset", "cifar10-dcgan", "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "put cifar-10-binary.tar.gz" in err and str(tmp_path / "nothing-here") in err
    assert not (tmp_path / "run").exists()


def test_a_dcgan_step_runs_on_every_backend(xp):
    model_config = TINY.replace(conv_width=2, noise_dim=3)
    gan = dcgan.build_dcgan(model_config, Random(0))
    from npgan.models.gan.training import build_optimizers

    d_opt, g_opt = build_optimizers(model_config, gan)
    real = Random(1).uniform(0, 1, (8, 784), "float32")
    out = {**gan.d_step(real, d_opt), **gan.g_step(8, g_opt)}
    assert all(np.isfinite(float(v)) for v in out.values())
    assert gan.sample(3, rng=Random(2)).shape == (3, 784)


def test_npgan_average_takes_dcgan_generators(tmp_path, tiny_images, capsys):
    for seed in (1, 2):
        train(TINY.replace(epochs=1, seed=seed, sample_every=0), tmp_path / f"r{seed}", quiet=True)
    files = [str(tmp_path / f"r{seed}" / "checkpoint.npz") for seed in (1, 2)]
    assert main(["average", *files, "-o", str(tmp_path / "mean.npz")]) == 0
    mean, parts = npgan.load(tmp_path / "mean.npz"), [npgan.load(f) for f in files]
    assert isinstance(mean, dcgan.DCGAN)
    for key, value in mean.G.params.items():
        expected = np.mean([to_numpy(p.G.params[key]).astype(np.float64) for p in parts], axis=0)
        np.testing.assert_allclose(to_numpy(value), expected, rtol=1e-6, atol=1e-7)
    assert mean.sample(3, rng=Random(0)).shape == (3, 784)


def test_a_moving_average_of_g_is_sampled_with_batch_norm_statistics_of_its_own(tiny_images, tmp_path):
    config = TINY.replace(average_from=1, average_rate=0.2)
    model = dcgan_training.DCGANModel(config)
    model.begin_epoch(0, fresh=True)
    for i in range(3):
        model.step(i)  # the layers now hold caches of the step
    averaged = model.averaged_gan()
    assert averaged.G is not model.gan.G and model.n_averaged == 3
    for key, value in averaged.G.params.items():
        if "running" not in key:
            np.testing.assert_allclose(to_numpy(value), model.g_average[key].astype("float32"), err_msg=key)
    # measured on the average's own samples, not averaged with its parameters
    assert not np.allclose(to_numpy(averaged.G.params["2.running_mean"]), model.g_average["2.running_mean"])
    assert np.isfinite(to_numpy(averaged.sample(4))).all()


def test_d_without_batch_norm_keeps_the_second_convolution_s_bias_and_judges_each_image_alone():
    gan = dcgan.build_dcgan(TINY.replace(conv_d_batchnorm=0, dtype="float64"), Random(0))
    assert not any(type(layer).__name__ == "BatchNorm" for layer in gan.D.layers)
    assert "3.b" in gan.D.params  # the second convolution's bias
    x = np.random.default_rng(1).uniform(0, 1, (6, 784))
    alone = np.concatenate([to_numpy(gan.D.forward(x[i:i + 1], training=True)) for i in range(6)])
    np.testing.assert_allclose(to_numpy(gan.D.forward(x, training=True)), alone, rtol=1e-12)
    errors = gradcheck.check_layer(gan.D, x, seed=0)
    assert max(errors.values()) < gradcheck.NETWORK_TOLERANCE, errors
    with pytest.raises(ValueError, match="conv_d_batchnorm must be 0 or 1"):
        TINY.replace(conv_d_batchnorm=2)


@pytest.mark.parametrize("name, dataset", [("npgan-mnist-dcgan-generator.npz", "mnist"),
                                           ("npgan-fashion-dcgan-generator.npz", "fashion-mnist")])
def test_the_committed_generators_load_and_sample_images_of_their_data_set(name, dataset):
    path = Path(REPOSITORY) / "pretrained" / name
    gan = npgan.load(path)
    assert isinstance(gan, dcgan.DCGAN) and gan.config.dataset == dataset
    images = to_numpy(gan.sample(16, rng=Random(0)))
    assert images.shape == (16, 784) and images.min() >= 0 and images.max() <= 1
    assert images.std(axis=0).mean() > 0.05  # sixteen different images, not one
    assert path.stat().st_size < 5 * 2**20
