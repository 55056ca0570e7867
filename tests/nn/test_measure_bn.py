"""Batch norm's running statistics measured afresh: the plain mean of the batches' statistics."""

import numpy as np

from npgan.backend import Random
from npgan.nn.image_layers import BatchNorm, LeakyReLU, measure_running_statistics
from npgan.nn.layers import Sequential


def test_measured_statistics_are_the_plain_mean_of_the_batches_and_the_rate_is_kept():
    rng = np.random.default_rng(0)
    norm = BatchNorm(3, momentum=0.1, dtype="float64")
    net = Sequential(LeakyReLU(0.0), norm)
    norm.params["running_mean"][...] = 7.0  # what an average of networks left: to be forgotten
    batches = [rng.normal(loc=i, scale=1 + i, size=(5, 3, 2, 2)) for i in range(4)]
    assert measure_running_statistics(net, batches) == 1
    relu = [np.maximum(b, 0) for b in batches]
    means = [b.mean(axis=(0, 2, 3)) for b in relu]
    variances = [b.transpose(1, 0, 2, 3).reshape(3, -1).var(axis=1, ddof=1) for b in relu]
    np.testing.assert_allclose(norm.params["running_mean"], np.mean(means, axis=0), rtol=1e-12)
    np.testing.assert_allclose(norm.params["running_var"], np.mean(variances, axis=0), rtol=1e-12)
    assert norm.momentum == 0.1


def test_a_network_without_batch_norm_is_not_run():
    def never():
        raise AssertionError("the inputs were drawn")
        yield

    assert measure_running_statistics(Sequential(LeakyReLU(0.0)), never()) == 0


def test_an_averaged_dcgan_generator_gets_statistics_of_its_own_samples():
    from npgan.models.dcgan.model import build_dcgan
    from npgan.models.gan.training import measure_batch_norm
    from npgan.presets import get_preset

    config = get_preset("mnist-dcgan").replace(conv_width=4, noise_dim=6, dtype="float64")
    gan = build_dcgan(config, Random(0))
    measure_batch_norm(gan, batch_size=8, batches=3, seed=2)
    first = {k: v.copy() for k, v in gan.G.params.items() if "running" in k}
    gan.G.params["2.running_mean"][...] = 5.0  # statistics that belong to no generator
    measure_batch_norm(gan, batch_size=8, batches=3, seed=2)
    for key, value in first.items():  # the same noise, the same statistics, whatever was there
        np.testing.assert_allclose(gan.G.params[key], value, rtol=1e-12)
    assert np.abs(first["2.running_mean"]).max() < 5.0
