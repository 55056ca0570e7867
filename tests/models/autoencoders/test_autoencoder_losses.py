"""The autoencoders' losses, the reparameterisation, the KL and the likelihood bounds, in float64."""

import math

import numpy as np
import pytest

from npgan.backend import Random, to_numpy
from npgan.models.autoencoders import losses as ae_losses
from npgan.models.autoencoders.bounds import bounds
from npgan.models.autoencoders.checks import rows
from npgan.models.autoencoders.model import VAE, Autoencoder, binarize, mlp
from npgan.nn.gradcheck import numerical_gradient, randomize_parameters, rel_error


def test_bernoulli_cross_entropy_is_the_log_probability_written_out(xp):
    rng = Random(0)
    logits = rng.normal((4, 9), dtype="float64") * 4
    x = rng.random((4, 9), dtype="float64")
    s = 1 / (1 + np.exp(-to_numpy(logits)))
    expected = -(to_numpy(x) * np.log(s) + (1 - to_numpy(x)) * np.log(1 - s)).sum(axis=1).mean()
    loss, dlogits = ae_losses.bernoulli_cross_entropy(logits, x)
    assert float(loss) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(to_numpy(dlogits), (s - to_numpy(x)) / 4, rtol=1e-12)


def test_bernoulli_cross_entropy_stays_finite_when_saturated(xp):
    logits = xp.asarray([[1e4, -1e4, 50.0, -50.0]])
    x = xp.asarray([[0.0, 1.0, 1.0, 0.0]])
    loss, dlogits = ae_losses.bernoulli_cross_entropy(logits, x)
    assert float(loss) == pytest.approx(2e4, rel=1e-12)  # two pixels wrong by 1e4 nats each, two right
    assert np.isfinite(to_numpy(dlogits)).all()
    np.testing.assert_allclose(to_numpy(dlogits), [[1.0, -1.0, 0.0, 0.0]], atol=1e-20)


def test_squared_error_and_shape_checks():
    y, x = np.array([[0.5, 1.0], [0.0, 0.25]]), np.array([[0.0, 1.0], [0.5, 0.25]])
    loss, dy = ae_losses.squared_error(y, x)
    assert loss == pytest.approx((0.25 + 0.25) / 2)
    np.testing.assert_allclose(dy, [[0.5, 0.0], [-0.5, 0.0]])
    with pytest.raises(ValueError, match=r"squared_error: expected targets x of shape \(2, 2\), got \(2, 3\)"):
        ae_losses.squared_error(y, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="bernoulli_cross_entropy: expected logits of shape"):
        ae_losses.bernoulli_cross_entropy(np.zeros(3), np.zeros(3))


def test_reparameterised_z_has_the_posterior_s_mean_and_spread():
    rng = Random(1)
    mu, logvar = np.array([[2.0, -1.0]]), np.array([[math.log(0.25), math.log(4.0)]])
    eps = rng.normal((200000, 2), dtype="float64")
    z, _ = ae_losses.reparameterize_forward(np.repeat(mu, len(eps), 0), np.repeat(logvar, len(eps), 0), eps)
    np.testing.assert_allclose(z.mean(axis=0), [2.0, -1.0], atol=0.02)
    np.testing.assert_allclose(z.std(axis=0), [0.5, 2.0], rtol=0.01)


def test_analytic_kl_matches_a_monte_carlo_estimate_and_vanishes_at_the_prior():
    rng = Random(2)
    mu, logvar = np.array([[0.7, -1.3, 0.0]]), np.array([[-1.0, 0.5, 0.0]])
    kl, _, _ = ae_losses.gaussian_kl(mu, logvar)
    eps = rng.normal((400000, 3), dtype="float64")
    z = mu + np.exp(0.5 * logvar) * eps
    log_q = ae_losses.log_standard_normal(eps) - 0.5 * logvar.sum()
    assert float(kl) == pytest.approx(float((log_q - ae_losses.log_standard_normal(z)).mean()), rel=0.01)
    assert float(ae_losses.gaussian_kl(np.zeros((2, 3)), np.zeros((2, 3)))[0]) == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_autoencoder_gradient_passes_its_check(seed):
    checked = rows(seed)
    assert len(checked) == 15
    for what, grad, err, tol in checked:
        assert err < tol, f"{what} {grad}: {err:.2e}"


def test_the_check_catches_a_kl_with_the_wrong_sign_and_a_reparameterisation_without_its_half():
    rng = Random(3)
    mu, logvar, eps, dz = (rng.normal((4, 3), dtype="float64") for _ in range(4))
    _, _, dlogvar = ae_losses.gaussian_kl(mu, logvar)
    numeric = numerical_gradient(lambda: ae_losses.gaussian_kl(mu, logvar)[0], logvar)
    assert rel_error(dlogvar, numeric) < 1e-8
    assert rel_error(-dlogvar, numeric) == pytest.approx(1.0)  # minus the KL: rewards leaving the prior

    def s():
        return (ae_losses.reparameterize_forward(mu, logvar, eps)[0] * dz).sum()

    sigma = np.exp(0.5 * logvar)
    numeric = numerical_gradient(s, logvar)
    assert rel_error(ae_losses.reparameterize_backward(dz, (sigma, eps))[1], numeric) < 1e-8
    assert rel_error(dz * eps * sigma, numeric) > 0.3  # d sigma / d logvar taken as sigma, not sigma / 2


def test_log_mean_exp_neither_overflows_nor_underflows(xp):
    a = xp.asarray([[1000.0, 1000.0], [-1000.0, -1000.0 + math.log(3.0)]])
    expected = [1000.0, -1000.0 + math.log(2.0)]
    np.testing.assert_allclose(to_numpy(ae_losses.log_mean_exp(a, axis=1)), expected, rtol=1e-12)


def test_binarize_draws_each_pixel_with_its_grey_value_as_probability(xp):
    x = xp.asarray(np.linspace(0, 1, 11)[None, :].repeat(20000, 0))
    b = binarize(x, Random(4))
    assert set(np.unique(to_numpy(b))) <= {0.0, 1.0}
    np.testing.assert_allclose(to_numpy(b.mean(axis=0)), np.linspace(0, 1, 11), atol=0.012)


def exact_log_likelihood(vae, x):
    """``log p(x) = log int p(x | z) N(z; 0, 1) dz`` by quadrature, for a VAE with a 1-d code."""
    z = np.linspace(-12, 12, 24001)[:, None]
    logits = vae.G.forward(z, training=False)  # (grid, D)
    log_joint = (ae_losses.bernoulli_log_likelihood(logits[None], x[:, None, :])
                 + ae_losses.log_standard_normal(z)[None, :])
    peak = log_joint.max(axis=1, keepdims=True)
    return (peak[:, 0] + np.log(np.trapezoid(np.exp(log_joint - peak), z[:, 0], axis=1)))


def test_the_bounds_sit_below_the_exact_likelihood_and_the_importance_weighted_one_reaches_it():
    rng = Random(6)
    vae = VAE(randomize_parameters(mlp((6, 5, 2), rng, "float64"), rng, scale=0.3),
              randomize_parameters(mlp((1, 5, 6), rng, "float64"), rng, scale=1.5), rng)
    x = binarize(rng.random((8, 6), "float64"), rng)
    exact = exact_log_likelihood(vae, x)
    few, many = bounds(vae, x, 20, Random(7)), bounds(vae, x, 20000, Random(8), rows_per_chunk=40000)
    assert np.all(many["elbo"] < exact - 0.1)  # q is not the posterior: the ELBO falls short
    np.testing.assert_allclose(many["iw"], exact, atol=0.05)  # L_k -> log p(x)
    assert few["iw"].mean() > many["elbo"].mean() + 0.3  # and 20 draws already close much of the gap


def test_a_vae_and_a_dae_step_sample_and_bound_on_every_backend(xp):
    rng = Random(9)
    vae = VAE(mlp((12, 8, 6), rng, "float32"), mlp((3, 8, 12), rng, "float32"), rng)
    x = binarize(rng.random((5, 12), "float32"), rng)
    stats, _ = vae.loss(x)
    assert all(np.isfinite(float(value)) for value in stats.values()) and vae.E.grads["0.W"].shape == (12, 8)
    found = bounds(vae, x, 3, Random(10))
    assert found["iw"].shape == (5,) and np.isfinite(to_numpy(found["iw"])).all()
    assert to_numpy(vae.sample(4, rng=Random(11))).shape == (4, 12)
    dae = Autoencoder(mlp((12, 8, 3), rng), mlp((3, 8, 12), rng), rng, loss="squared", corruption="gaussian", noise=0.3)
    stats, _ = dae.loss(dae.corrupt(x), x)
    assert np.isfinite(float(stats["loss"])) and to_numpy(dae.encode(x)).shape == (5, 3)
