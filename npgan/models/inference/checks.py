"""The gradient checks of learned inference, as rows of ``npgan gradcheck`` (``gradcheck.report`` adds them).

Float64, central differences (``npgan.nn.gradcheck``):

- ``ScaledTanh``, the encoder's output, and a whole encoder (input and every parameter);
- the two squared errors, ``code_loss`` (E's loss on pairs ``(G(z), z)``) and
  ``reconstruction_loss``, each against its own gradient;
- the sleep step: every parameter of E through ``code_loss(E(G(z)), z)``;
- refinement: the gradient with respect to G's *input*, ``dL/dz`` of
  ``L = sum_n mean_d (G(z[n])_d - x[n, d])^2``, through a paper-shaped G;
- BiGAN: D on pairs ``(x, z)`` (input and parameters), and E's and G's step, every
  parameter of both through D's backward, for both objectives (D's dropout masks and the
  noise held fixed);
- ALICE (BiGAN with a reconstruction term): D with separate paths on x and z
  (``PairMaxout``), and E's and G's step with the term, every parameter of both.

Maxout winners and ReLU masks are compared before and after every probe of a whole
step; a probe that crosses a kink raises instead of reporting a wrong error.
"""

from npgan.backend import Random, get_backend
from npgan.models.gan.inversion import reconstruction_loss, refinement_gradient
from npgan.models.inference.bigan import BiGAN
from npgan.models.inference.layers import PairMaxout
from npgan.models.inference.model import ScaledTanh, build_encoder, code_loss
from npgan.nn import losses, mlp
from npgan.nn.gradcheck import (
    LAYER_TOLERANCE,
    NETWORK_TOLERANCE,
    check_layer,
    check_loss,
    directional_check,
    numerical_gradient,
    randomize_parameters,
    rel_error,
)
from npgan.nn.layers import Dropout, Linear, Maxout, Sequential

BOUND = 3 ** 0.5  # the paper's uniform prior on [-sqrt(3), sqrt(3)]
SHORT = {"nonsaturating": "non-sat.", "minimax": "minimax"}  # the objectives, in the table's width


def _kinks(networks):
    return [k.copy() for net in networks for k in (layer.kinks() for layer in net.layers) if k is not None]


def _worst(name, networks, loss, analytic, watch=()):
    """Rows: the worst relative error over the parameters of each network in ``networks``
    (``{label: network}``), of ``analytic`` (``{(label, key): grad}``) against central
    differences of the scalar ``loss()``; the kinks of ``networks`` and ``watch`` must not move."""
    watched = [*networks.values(), *watch]
    before = _kinks(watched)

    def value():
        result = loss()
        if any((a != b).any() for a, b in zip(before, _kinks(watched))):
            raise RuntimeError(f"gradcheck: {name}: a probe crossed a kink (maxout tie or ReLU at 0); use another seed")
        return result

    return [(name, f"all of {label}",
             max(rel_error(analytic[(label, key)], numerical_gradient(value, p)) for key, p in net.params.items()),
             NETWORK_TOLERANCE) for label, net in networks.items()]


def _layer_rows(name, label, errors):
    """Two rows of a ``check_layer`` result: the input's gradient and the worst parameter's."""
    worst = max(err for grad, err in errors.items() if grad != "dx")
    return [(name, "dx (input)", errors["dx"], NETWORK_TOLERANCE), (name, f"all of {label}", worst, NETWORK_TOLERANCE)]


def _hold_dropout(network):
    """Keep every dropout mask of ``network`` at its last draw (checks need a deterministic function)."""
    for layer in network.layers:
        if isinstance(layer, Dropout):
            layer.fixed_mask = layer.mask


def rows(seed=0):
    """``(what, gradient, relative error, tolerance)`` for every gradient of learned inference."""
    xp = get_backend()
    rng = Random(seed)

    def data(*shape):
        return rng.normal(shape, dtype="float64")

    out = [("ScaledTanh(sqrt 3)", grad, err, LAYER_TOLERANCE)
           for grad, err in check_layer(ScaledTanh(BOUND), data(4, 6), seed=seed).items()]
    z, codes = data(6, 5), data(6, 5)
    out.append(("code loss (squared error)", "dcodes", check_loss(lambda c: code_loss(c, z), codes), LAYER_TOLERANCE))
    images = data(6, 12)

    def summed(x_hat):
        r, dx_hat = reconstruction_loss(x_hat, images)
        return r.sum(), dx_hat

    out.append(("reconstruction loss", "dx_hat", check_loss(summed, data(6, 12)), LAYER_TOLERANCE))

    E = randomize_parameters(build_encoder(12, (6, 6), 5, rng, pieces=3, bound=BOUND, dtype="float64"), rng)
    x = data(6, 12)
    out += _layer_rows("encoder E", "E", check_layer(E, x, seed=seed))
    out.append(("encoder E", "directional", directional_check(E, x, seed=seed), NETWORK_TOLERANCE))

    G = randomize_parameters(mlp.generator(5, (8, 8), 12, rng, init_range=0.5, dtype="float64"), rng)
    z = rng.uniform(-BOUND, BOUND, (6, 5), dtype="float64")
    # The sleep step: E's parameters through code_loss(E(G(z)), z), G frozen.
    fake = G.forward(z, training=False)
    _, dcodes = code_loss(E.forward(fake), z)
    E.backward(dcodes, input_grad=False)
    analytic = {("E", key): g.copy() for key, g in E.grads.items()}
    out += _worst("E step on (G(z), z)", {"E": E}, lambda: code_loss(E.forward(fake), z)[0], analytic)
    # Refinement: the gradient with respect to G's input.
    _, dz = refinement_gradient(G, z, images)
    numeric = numerical_gradient(lambda: refinement_gradient(G, z, images)[0].sum(), z)
    out.append(("refinement, G to its input", "dz", rel_error(dz, numeric), NETWORK_TOLERANCE))
    out += _bigan_rows(rng, data, xp)
    return out


def _bigan_rows(rng, data, xp):
    """D on pairs, and E's and G's step through it, for both objectives."""
    E = randomize_parameters(build_encoder(12, (6,), 5, rng, pieces=3, bound=BOUND, dtype="float64"), rng)
    G = randomize_parameters(mlp.generator(5, (8,), 12, rng, init_range=0.5, dtype="float64"), rng)
    D = randomize_parameters(mlp.discriminator(17, (6, 6), rng, n_pieces=3, init_range=0.5, dtype="float64"),
                             rng)
    out = _layer_rows("BiGAN D of pairs (x, z)", "D", check_layer(D, data(6, 17)))
    real, z = data(4, 12), rng.uniform(-BOUND, BOUND, (4, 5), dtype="float64")
    for kind in losses.GENERATOR_LOSSES:
        gan = BiGAN(G, E, D, rng, 5, noise_scale=BOUND, gen_loss=kind)
        gan.eg_backward(real, z)
        _hold_dropout(D)
        analytic = {(label, key): g.copy() for label, net in (("E", E), ("G", G)) for key, g in net.grads.items()}

        def loss():
            return gan.eg_loss(gan.forward_pairs(real, z, training=True), len(real))[0]

        out += _worst(f"BiGAN E+G step, {SHORT[kind]}", {"E": E, "G": G}, loss, analytic, watch=[D])
        for layer in D.layers:
            if isinstance(layer, Dropout):
                layer.fixed_mask = None
    return out + _alice_rows(rng, data, E, G, real, z)


def _alice_rows(rng, data, E, G, real, z):
    """D with separate paths on x and z (``PairMaxout``, then a joint maxout layer), and E's
    and G's step with ALICE's reconstruction term: the adversarial loss plus
    ``lambda mean_n mean_d (G(E(x))_d - x_d)^2``, G's parameters reached by both terms and E's
    by D's code gradient plus the term's through G."""
    pair = randomize_parameters(Sequential(PairMaxout(12, 5, 4, 3, 3, rng, dtype="float64")), rng)[0]
    out = [("PairMaxout (x and z apart)", grad, err, LAYER_TOLERANCE)
           for grad, err in check_layer(pair, data(6, 17)).items()]
    D = randomize_parameters(Sequential(Dropout(0.8, rng), PairMaxout(12, 5, 6, 4, 3, rng, dtype="float64"),
                                        Dropout(0.5, rng), Maxout(10, 6, 3, rng, dtype="float64"),
                                        Linear(6, 1, rng, dtype="float64")), rng)
    gan = BiGAN(G, E, D, rng, 5, noise_scale=BOUND, recon_weight=0.7)
    gan.eg_backward(real, z)
    _hold_dropout(D)
    analytic = {(label, key): g.copy() for label, net in (("E", E), ("G", G)) for key, g in net.grads.items()}

    def loss():
        adversarial = gan.eg_loss(gan.forward_pairs(real, z, training=True, reconstruct=True), len(real))[0]
        return adversarial + gan.reconstruction_term(real)[0]

    out += _worst("ALICE E+G step (lambda 0.7)", {"E": E, "G": G}, loss, analytic, watch=[D])
    return out
