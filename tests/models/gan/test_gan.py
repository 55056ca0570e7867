"""The GAN's Algorithm 1 steps: gradients through D into G, who moves, and the objectives."""

import numpy as np
import pytest

import npgan
from npgan.backend import Random
from npgan.models.gan.model import GAN
from npgan.nn import gradcheck, losses, mlp


class _Recorder:
    """An optimiser stand-in that records the gradients it was asked to apply."""

    def __init__(self, network):
        self.network, self.seen = network, None

    def step(self):
        self.seen = {k: g.copy() for k, g in self.network.grads.items()}


def _small_gan(gen_loss="nonsaturating", seed=0):
    rng = Random(seed)
    G = mlp.generator(3, (7,), 5, output="sigmoid", init_range=0.5, rng=rng, dtype="float64")
    D = mlp.discriminator(5, (4, 4), n_pieces=3, keep_input=0.8, keep_hidden=0.5,
                             init_range=0.5, rng=rng, dtype="float64")
    gradcheck.randomize_parameters(G, rng)
    gradcheck.randomize_parameters(D, rng)
    return GAN(G, D, rng, noise_dim=3, gen_loss=gen_loss)


def _freeze(gan, z, masks):
    """Fixed noise and fixed dropout masks: the step becomes a deterministic function."""
    gan.sample_noise = lambda n, rng=None: z
    drops = [layer for layer in gan.D if hasattr(layer, "fixed_mask")]
    for layer, mask in zip(drops, masks):
        layer.fixed_mask = mask


@pytest.mark.parametrize("gen_loss", losses.GENERATOR_LOSSES)
def test_generator_step_gradient_flows_through_d(xp, gen_loss):
    """G's gradient in g_step equals the numerical gradient of L_G(D(G(z))) w.r.t. G's parameters."""
    gan = _small_gan(gen_loss)
    m, rng = 6, Random(1)
    z = rng.uniform(-1, 1, (m, 3), dtype="float64")
    masks = [rng.bernoulli(0.8, (m, 5), "float64"), rng.bernoulli(0.5, (m, 4), "float64"),
             rng.bernoulli(0.5, (m, 4), "float64")]
    _freeze(gan, z, masks)
    d_before = {k: v.copy() for k, v in gan.D.params.items()}
    opt = _Recorder(gan.G)
    gan.g_step(m, opt)

    def objective():
        logits = gan.D.forward(gan.G.forward(z, training=True), training=True)
        return losses.generator_loss(logits, gen_loss)[0]

    for key, p in gan.G.params.items():
        numeric = gradcheck.numerical_gradient(objective, p)
        assert gradcheck.rel_error(opt.seen[key], numeric) < gradcheck.NETWORK_TOLERANCE, key
    for k, v in gan.D.params.items():  # D does not move in the generator step
        np.testing.assert_array_equal(npgan.to_numpy(v), npgan.to_numpy(d_before[k]))


def test_discriminator_step_gradient_and_g_untouched(xp):
    gan = _small_gan()
    m, rng = 4, Random(2)
    z = rng.uniform(-1, 1, (m, 3), dtype="float64")
    real = rng.random((m, 5), dtype="float64")
    masks = [rng.bernoulli(0.8, (2 * m, 5), "float64"), rng.bernoulli(0.5, (2 * m, 4), "float64"),
             rng.bernoulli(0.5, (2 * m, 4), "float64")]
    _freeze(gan, z, masks)
    g_before = {k: v.copy() for k, v in gan.G.params.items()}
    opt = _Recorder(gan.D)
    out = gan.d_step(real, opt)

    fake = gan.G.forward(z, training=False)

    def objective():
        logits = gan.D.forward(xp.concatenate([real, fake]), training=True)
        return losses.discriminator_loss(logits[:m], logits[m:])[0]

    assert float(out["d_loss"]) == pytest.approx(float(objective()), rel=1e-12)
    for key, p in gan.D.params.items():
        numeric = gradcheck.numerical_gradient(objective, p)
        assert gradcheck.rel_error(opt.seen[key], numeric) < gradcheck.NETWORK_TOLERANCE, key
    for k, v in gan.G.params.items():
        np.testing.assert_array_equal(npgan.to_numpy(v), npgan.to_numpy(g_before[k]))


def test_simultaneous_step_uses_one_pass_for_both_gradients(xp):
    gan = _small_gan()
    m, rng = 4, Random(3)
    z = rng.uniform(-1, 1, (m, 3), dtype="float64")
    real = rng.random((m, 5), dtype="float64")
    masks = [rng.bernoulli(0.8, (2 * m, 5), "float64"), rng.bernoulli(0.5, (2 * m, 4), "float64"),
             rng.bernoulli(0.5, (2 * m, 4), "float64")]
    _freeze(gan, z, masks)
    d_opt, g_opt = _Recorder(gan.D), _Recorder(gan.G)
    gan.simultaneous_step(real, d_opt, g_opt)

    def d_objective():
        logits = gan.D.forward(xp.concatenate([real, gan.G.forward(z)]), training=True)
        return losses.discriminator_loss(logits[:m], logits[m:])[0]

    def g_objective():  # G's loss on the fake half of the *same* joint pass (same masks)
        logits = gan.D.forward(xp.concatenate([real, gan.G.forward(z)]), training=True)
        return losses.generator_loss(logits[m:], "nonsaturating")[0]

    for key, p in gan.D.params.items():
        assert gradcheck.rel_error(d_opt.seen[key], gradcheck.numerical_gradient(d_objective, p)) < 1e-6
    for key, p in gan.G.params.items():
        assert gradcheck.rel_error(g_opt.seen[key], gradcheck.numerical_gradient(g_objective, p)) < 1e-6


def test_noise_priors_and_sampling(xp):
    gan = _small_gan()
    z = gan.sample_noise(20000)
    assert z.shape == (20000, 3) and float(xp.abs(z).max()) <= np.sqrt(3)
    assert abs(float(z.var()) - 1.0) < 0.03  # uniform on [-sqrt 3, sqrt 3] has unit variance
    x = gan.sample(2500, batch_size=1000)
    assert x.shape == (2500, 5) and bool(((x >= 0) & (x <= 1)).all())
    with pytest.raises(ValueError, match="noise must be one of"):
        GAN(gan.G, gan.D, Random(0), 3, noise="cauchy")
    with pytest.raises(ValueError, match=r"expected a real minibatch of shape \(m, 5\)"):
        gan.d_step(xp.zeros((4, 6)), _Recorder(gan.D))
