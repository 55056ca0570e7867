"""The remedies for unstable training: packing, the minibatch feature, label smoothing, instance noise,
two learning rates."""

import numpy as np
import pytest

from npgan.backend import Random, backend_name, to_numpy
from npgan.models.gan import checks as remedy_checks
from npgan.models.gan.training import GANModel, build_optimizers
from npgan.nn import gradcheck, losses, remedies
from npgan.nn.remedies import MinibatchStddev, Pack
from npgan.presets import Config, get_preset
from npgan.train import Trainer, train

# ring-8 at a tiny size with every remedy on
SMALL = get_preset("ring-8-plain").replace(
    epochs=4, iters_per_epoch=12, g_hidden=(16,), d_hidden=(16, 16), batch_size=8, sample_every=0, seed=5,
    label_smoothing=0.1, instance_noise=0.2, instance_noise_epochs=3, g_lr_ratio=0.5, pack=2, minibatch_std=4)


def test_pack_concatenates_consecutive_samples_and_splits_the_gradient_back(xp):
    x = xp.arange(12, dtype="float64").reshape(6, 2)
    layer = Pack(3, 2)
    y = to_numpy(layer.forward(x))
    np.testing.assert_array_equal(y, [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]])
    dy = xp.asarray(-y)
    np.testing.assert_array_equal(to_numpy(layer.backward(dy)), -to_numpy(x))
    message = r"Pack\(3 x 2\): expected a batch of a multiple of 3 samples, got shape \(4, 2\)"
    with pytest.raises(ValueError, match=message):
        layer.forward(x[:4])


def test_minibatch_stddev_is_each_groups_mean_standard_deviation(xp):
    h = Random(1).normal((8, 5), "float64")
    y = to_numpy(MinibatchStddev(4).forward(h))
    host = to_numpy(h)
    expected = [host[g:g + 4].std(axis=0).mean() for g in (0, 4)]  # population std, as Karras et al.
    np.testing.assert_array_equal(y[:, :5], host)
    np.testing.assert_allclose(y[:, 5], np.repeat(expected, 4), rtol=1e-7)
    h[0] += 10.0  # a row of the first group moves: the second group's feature does not
    moved = to_numpy(MinibatchStddev(4).forward(h))
    assert moved[0, 5] > y[0, 5] + 1 and np.array_equal(moved[4:, 5], y[4:, 5])


def test_the_check_catches_a_minibatch_backward_that_forgets_the_group(monkeypatch):
    """The feature is shared by a group: a backward that credits each row with its own
    dy[i, F] alone, not the group's sum, passes shapes but fails the float64 check."""
    x = Random(2).normal((8, 5), "float64")
    assert gradcheck.check_layer(MinibatchStddev(4), x)["dx"] < 1e-7

    def own_row_only(dy, cache):
        c, s = cache
        groups, g, f = c.shape
        ds = dy[:, f].reshape(groups, g)[:, :, None] / f  # (N/g, g, 1): no sum over the group
        return dy[:, :f] + (c * ds / (g * s[:, None, :])).reshape(groups * g, f)

    monkeypatch.setattr(remedies, "minibatch_stddev_backward", own_row_only)
    assert gradcheck.check_layer(MinibatchStddev(4), x)["dx"] > 1e-2


def test_every_remedy_row_passes_its_tolerance(xp):
    rows = remedy_checks.rows()
    assert {"D step, every remedy", "G step through packed noisy D", "MinibatchStddev(group 4)"} <= {r[0] for r in rows}
    for what, grad, err, tol in rows:
        assert err < tol, (what, grad, err)


def test_a_packed_d_step_keeps_real_and_generated_packs_and_groups_apart():
    """D's mean output on the real half is D of the real minibatch alone: no packed row and
    no standard-deviation group mixes real and generated samples."""
    model = GANModel(SMALL.replace(instance_noise=0.0, instance_noise_epochs=0))
    gan, real = model.gan, model.data.batch(0)
    assert real.shape == (16, 2)  # batch_size 8 packs of 2
    expected = float(to_numpy(1 / (1 + np.exp(-to_numpy(gan.D.forward(real, training=True))))).mean())
    out = gan.d_step(real, remedy_checks._Recorder(gan.D))
    assert float(out["d_real"]) == pytest.approx(expected, rel=1e-6)


def test_one_sided_label_smoothing_holds_d_at_one_minus_s_on_real_data():
    """D trained against a fixed, distant G: D(x) on the data saturates near 1 - s, not 1."""
    means = {}
    for s in (0.0, 0.2):
        config = get_preset("ring-8-plain").replace(g_hidden=(8,), d_hidden=(16, 16), label_smoothing=s,
                                                    optimizer="adam", lr=0.01, lr_decay=1.0)
        model = GANModel(config)
        for p in model.gan.G.params.values():
            p[...] = 0.0
        model.gan.G.params["2.b"][...] = 5.0  # every sample at (5, 5), far from the ring
        for i in range(300):
            model.gan.d_step(model.data.batch(i), model.d_optimizer)
        means[s] = float(to_numpy(model.gan.discriminate(model.data.batch(0))).mean())
    assert means[0.0] > 0.99
    assert means[0.2] == pytest.approx(0.8, abs=0.02)


def test_instance_noise_falls_linearly_to_zero_over_its_epochs(monkeypatch, tmp_path):
    seen = []
    original = remedies.annealed_std
    assert [original(0.2, 20, t) for t in (0, 10, 20, 30)] == [0.2, 0.1, 0.0, 0.0]
    from npgan.models.gan import model as gan_module
    def recording(self, real, d_optimizer, input_noise=0.0):
        seen.append(input_noise)
        return {"d_loss": 0.0, "d_real": 0.5, "d_fake": 0.5}

    monkeypatch.setattr(gan_module.GAN, "d_step", recording)
    monkeypatch.setattr(gan_module.GAN, "g_step", lambda self, m, opt, input_noise=0.0: {"g_loss": 0.0})
    config = SMALL.replace(epochs=3, iters_per_epoch=5, instance_noise=0.5, instance_noise_epochs=2)
    Trainer(GANModel(config), tmp_path / "run", quiet=True).run()
    np.testing.assert_allclose(seen, 0.5 * np.maximum(0, 1 - np.arange(15) / 10), atol=1e-12)


def test_two_time_scales_scale_g_rate_and_floor(xp):
    config = SMALL.replace(lr=0.02, lr_decay=1.5, lr_min=0.001, g_lr_ratio=0.25)
    gan = models_gan(config)
    d_opt, g_opt = build_optimizers(config, gan)
    for t in (0, 3, 100):
        assert g_opt.lr_schedule(t) == pytest.approx(0.25 * d_opt.lr_schedule(t), rel=1e-12)
    assert g_opt.lr_schedule(100) == pytest.approx(0.25 * 0.001)


def models_gan(config):
    from npgan.models.gan.training import build_gan
    return build_gan(config, Random(0))


@pytest.mark.parametrize("changes, message", [
    ({"label_smoothing": 0.5}, "label_smoothing must be in [0, 0.5)"),
    ({"label_smoothing": -0.1}, "label_smoothing must be in [0, 0.5)"),
    ({"instance_noise": 0.1}, "instance_noise and instance_noise_epochs"),
    ({"instance_noise_epochs": 5}, "instance_noise and instance_noise_epochs"),
    ({"g_lr_ratio": 0.0}, "g_lr_ratio (G's learning rate over D's) must be > 0"),
    ({"pack": 0}, "pack (samples per packed row of D) must be >= 1"),
    ({"minibatch_std": 1}, "minibatch_std must be 0 (off) or a group size >= 2 that divides batch_size"),
    ({"minibatch_std": 3}, "minibatch_std must be 0 (off) or a group size >= 2 that divides batch_size"),
    ({"model": "vae", "g_lr_ratio": 2.0}, "g_lr_ratio applies to models 'gan', 'dcgan' and 'bigan', not 'vae'"),
    ({"dataset": "gaussian-1d", "pack": 2}, "pack and minibatch_std need 2-D or image data"),
])
def test_misused_remedies_are_refused_in_one_line(changes, message):
    with pytest.raises(ValueError) as info:
        Config(iters_per_epoch=10, **changes)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_remedies_of_d_are_refused_for_another_family():
    with pytest.raises(ValueError, match=r"label_smoothing applies to model 'gan', not 'dcgan'"):
        get_preset("mnist-dcgan").replace(label_smoothing=0.1)
    with pytest.raises(ValueError, match=r"instance_noise applies to models 'gan' and 'bigan', not 'dcgan'"):
        get_preset("mnist-dcgan").replace(instance_noise=0.1, instance_noise_epochs=1)


def params(gan):
    return {f"{net}/{k}": to_numpy(v) for net in ("G", "D") for k, v in getattr(gan, net).params.items()}


@pytest.mark.parametrize("update, k", [("alternating", 2), ("simultaneous", 1)])
def test_every_remedy_resumes_bit_identically(tmp_path, update, k):
    if backend_name() != "numpy":
        pytest.skip("bit-identical resume is the NumPy backend's promise (a CuPy stream is reseeded)")
    config = SMALL.replace(update=update, k=k)
    whole = train(config, tmp_path / "whole", quiet=True)
    train(config.replace(epochs=2), tmp_path / "split", quiet=True)
    resumed = train(config, tmp_path / "split", resume=tmp_path / "split" / "checkpoint.npz", quiet=True)
    a, b = params(whole), params(resumed)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_a_smoothed_loss_is_the_cross_entropy_with_target_one_minus_s(xp):
    logits, fake = Random(3).normal((6, 1), "float64"), Random(4).normal((6, 1), "float64")
    loss, dreal, _ = losses.discriminator_loss(logits, fake, 0.75)
    host = to_numpy(logits)
    d = 1 / (1 + np.exp(-host))
    real_part = -(0.75 * np.log(d) + 0.25 * np.log(1 - d)).mean()
    fake_part = -np.log(1 - 1 / (1 + np.exp(-to_numpy(fake)))).mean()
    assert float(loss) == pytest.approx(0.5 * (real_part + fake_part), rel=1e-12)
    np.testing.assert_allclose(to_numpy(dreal), 0.5 * (d - 0.75) / 6, rtol=1e-12)


def test_mnist_algorithm1_is_the_papers_model_with_algorithm_1_adam_and_packing():
    import dataclasses

    paper, algorithm1 = get_preset("mnist-paper"), get_preset("mnist-algorithm1")
    differ = {f.name for f in dataclasses.fields(Config) if getattr(paper, f.name) != getattr(algorithm1, f.name)}
    assert differ == {"update", "optimizer", "lr", "pack", "batch_size"}
    assert (algorithm1.update, algorithm1.optimizer, algorithm1.k) == ("alternating", "adam", 1)
    assert algorithm1.batch_size * algorithm1.pack == paper.batch_size  # still 100 images a minibatch
