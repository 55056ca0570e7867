"""The autoencoders' gradient checks, as rows of ``npgan gradcheck`` (``gradcheck.report`` adds them).

Float64, central differences (``npgan.nn.gradcheck``): each loss against its own gradient;
the reparameterisation ``z = mu + sigma * eps`` in vector-Jacobian form with ``eps`` held
fixed; and whole small models, every parameter of ``E`` and ``G`` and the encoder's input,
through ``Autoencoder.loss`` and ``VAE.loss`` (the target, the corruption and ``eps``
held fixed). A probe that moves a ReLU input across 0 would compare the two sides of a
kink; the ReLU masks are compared before and after every probe and such a row raises.
"""

from npgan.backend import Random, get_backend
from npgan.models.autoencoders import losses as ae_losses
from npgan.models.autoencoders.model import VAE, Autoencoder, mlp
from npgan.nn.gradcheck import (
    LAYER_TOLERANCE,
    NETWORK_TOLERANCE,
    check_loss,
    numerical_gradient,
    randomize_parameters,
    rel_error,
)


def _masks(net):
    return [layer.kinks().copy() for network in (net.E, net.G) for layer in network.layers
            if layer.kinks() is not None]


def model_rows(name, net, loss, x):
    """Rows for a whole model: ``loss(backward) -> (stats, dx)`` on the input ``x`` (perturbed in place).

    Checks ``dx`` and every parameter of ``E`` and of ``G``; the worst parameter of each
    network is one row.
    """
    stats, dx = loss(True)
    analytic = {("E", key): g.copy() for key, g in net.E.grads.items()}
    analytic.update({("G", key): g.copy() for key, g in net.G.grads.items()})
    before = _masks(net)

    def value():
        result = loss(False)[0]["loss"]
        if any((a != b).any() for a, b in zip(before, _masks(net))):
            raise RuntimeError(f"gradcheck: {name}: a ReLU input sits within h of 0; use another seed")
        return result

    rows = [(name, "dx (input)", rel_error(dx, numerical_gradient(value, x)), NETWORK_TOLERANCE)]
    for which, network in (("E", net.E), ("G", net.G)):
        worst = max(rel_error(analytic[(which, key)], numerical_gradient(value, p))
                    for key, p in network.params.items())
        rows.append((name, f"all of {which}", worst, NETWORK_TOLERANCE))
    return rows


def rows(seed=0):
    """``(what, gradient, relative error, tolerance)`` for every autoencoder loss and model."""
    xp = get_backend()
    rng = Random(seed)

    def data(*shape):
        return rng.normal(shape, dtype="float64")

    targets = rng.random((6, 10), dtype="float64")
    out = [
        ("Bernoulli cross-entropy", "dlogits",
         check_loss(lambda l: ae_losses.bernoulli_cross_entropy(l, targets), data(6, 10) * 3), LAYER_TOLERANCE),
        ("squared error", "dy",
         check_loss(lambda y: ae_losses.squared_error(y, targets), rng.random((6, 10), "float64")), LAYER_TOLERANCE),
    ]
    mu, logvar, eps, dz = data(5, 3), data(5, 3), data(5, 3), data(5, 3)
    dmu, dlogvar = ae_losses.reparameterize_backward(dz, ae_losses.reparameterize_forward(mu, logvar, eps)[1])
    for grad, analytic, array in (("dmu", dmu, mu), ("dlogvar", dlogvar, logvar)):
        numeric = numerical_gradient(lambda: xp.sum(ae_losses.reparameterize_forward(mu, logvar, eps)[0] * dz), array)
        out.append(("z = mu + sigma * eps", grad, rel_error(analytic, numeric), LAYER_TOLERANCE))
    _, dmu, dlogvar = ae_losses.gaussian_kl(mu, logvar)
    for grad, analytic, array in (("dmu", dmu, mu), ("dlogvar", dlogvar, logvar)):
        numeric = numerical_gradient(lambda: ae_losses.gaussian_kl(mu, logvar)[0], array)
        out.append(("Gaussian KL to N(0, I)", grad, rel_error(analytic, numeric), LAYER_TOLERANCE))

    def tiny(widths):
        return randomize_parameters(mlp(widths, rng, "float64"), rng)

    x, target = rng.random((5, 12), "float64"), rng.random((5, 12), "float64")
    ae = Autoencoder(tiny((12, 8, 3)), tiny((3, 8, 12)), rng, loss="squared")
    out += model_rows("AE, squared error", ae, lambda b: ae.loss(x, target, input_grad=b, backward=b), x)
    dae = Autoencoder(tiny((12, 8, 3)), tiny((3, 8, 12)), rng, corruption="masking", noise=0.3)
    corrupted = dae.corrupt(target)  # the mask drawn once, then held fixed
    out += model_rows("DAE, Bernoulli, masking", dae,
                      lambda b: dae.loss(corrupted, target, input_grad=b, backward=b), corrupted)
    vae = VAE(tiny((12, 8, 6)), tiny((3, 8, 12)), rng)
    eps = data(5, 3)
    out += model_rows("VAE -ELBO (eps fixed)", vae,
                      lambda b: vae.loss(x, eps=eps, target=target, input_grad=b, backward=b), x)
    return out
