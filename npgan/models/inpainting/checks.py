"""The gradient checks of inpainting, as rows of ``npgan gradcheck`` (``gradcheck.report`` adds them).

Float64, central differences (``npgan.nn.gradcheck``), on small networks of the real widths
(784 pixels, so that the composition and D's input are the model's own):

- D on ``[c, observed]``: its input and every parameter along one random direction, and
  element by element the gradient with respect to the completed image ``c``;
- the copy-through composition ``c = observed x + (1 - observed) o`` (``compose_backward``),
  the squared error on the missing pixels and the diversity term, each against its own gradient;
- G's step: every parameter of G through ``generator_loss(D([c, observed]))`` plus the
  squared error and the diversity term, on pairs of completions of one image (a directional
  check over all of G at once, and element by element on G's output bias, whose observed
  entries must get exactly no gradient);
- the search route: ``dz`` through the plain G and D in evaluation mode, with and without
  D's prior term;
- the G that reads the observed pixels in every layer (``network.SkipGenerator``): its input
  and parameters along one direction, its input gradient element by element (where every
  layer's share of ``du`` is summed), and G's step through D with it (all of G, directional);
- the convolutional G (``network.ConvGenerator``, 2 and 4 channels, bottleneck 5): every
  parameter and its input element by element (``dz`` from the bottleneck's join, ``du``
  from the encoder, where the decoder's skip adds its share), along one direction, and G's
  step through D with it (all of G, directional).

D's dropout is off (``keep = 1``) in these networks: dropout has its own check, and the
step's objective is then a deterministic function of G's parameters.
"""

from npgan.backend import Random, get_backend
from npgan.models.inpainting.model import (
    PIXELS,
    Inpainter,
    compose,
    compose_backward,
    discriminator_input,
    diversity_loss,
    missing_squared_error,
    observed_mask,
)
from npgan.models.inpainting.network import ConvGenerator, SkipGenerator
from npgan.models.inpainting.search import search_gradient
from npgan.nn import mlp
from npgan.nn.gradcheck import (
    LAYER_TOLERANCE,
    NETWORK_TOLERANCE,
    check_layer,
    directional_check,
    directional_error,
    numerical_gradient,
    randomize_parameters,
    rel_error,
)

NOISE = 3  # noise width of the checked networks
ROWS = 3  # images per check


def _networks(rng):
    G = mlp.generator(NOISE + PIXELS, (6,), PIXELS, rng, "sigmoid", 0.5, dtype="float64")
    D = mlp.discriminator(2 * PIXELS, (5,), rng, 2, keep_input=1.0, keep_hidden=1.0, init_range=0.5,
                             dtype="float64")
    randomize_parameters(G, rng, scale=0.1)
    randomize_parameters(D, rng, scale=0.1)
    return G, D


def _kinks(*networks):
    return [k.copy() for net in networks for k in (layer.kinks() for layer in net.layers) if k is not None]


def _unmoved(before, *networks):
    if any((a != b).any() for a, b in zip(before, _kinks(*networks))):
        raise RuntimeError("inpainting gradcheck: a probe crossed a kink (maxout tie or ReLU at 0); use another seed")


def _data(rng):
    x = rng.uniform(0.0, 1.0, (ROWS, PIXELS), "float64")
    observed = observed_mask("random50", ROWS, rng, "float64")
    return x, observed


def _discriminator_rows(D, x, observed, rng):
    rows = [("inpainting D([c, mask])", "input and all of D (directional)",
             directional_check(D, discriminator_input(x, observed), seed=0), NETWORK_TOLERANCE)]
    dy = rng.normal((ROWS, 1), dtype="float64")
    c = x.copy()
    D.forward(discriminator_input(c, observed), training=False)
    dc = D.backward(dy, param_grads=False)[:, :PIXELS]
    numeric = numerical_gradient(lambda: (D.forward(discriminator_input(c, observed), training=False) * dy).sum(), c)
    rows.append(("inpainting D([c, mask])", "dc (completed image)", rel_error(dc, numeric), NETWORK_TOLERANCE))
    return rows


def _composition_rows(x, observed, rng):
    o = rng.uniform(0.0, 1.0, (ROWS, PIXELS), "float64")
    dy = rng.normal((ROWS, PIXELS), dtype="float64")
    numeric = numerical_gradient(lambda: (compose(x, observed, o) * dy).sum(), o)
    _, do = missing_squared_error(o, x, observed)
    numeric_l2 = numerical_gradient(lambda: missing_squared_error(o, x, observed)[0], o)
    pairs = get_backend().concatenate([observed[:1], observed[:1]])
    z = rng.uniform(-1.0, 1.0, (2, NOISE), "float64")
    two = o[:2].copy()  # two completions of the first image
    _, ddiv = diversity_loss(two, z, pairs, cap=100.0)  # a cap far above the ratio: the term is active
    numeric_div = numerical_gradient(lambda: diversity_loss(two, z, pairs, cap=100.0)[0], two)
    return [("copy-through composition", "do", rel_error(compose_backward(dy, observed), numeric), LAYER_TOLERANCE),
            ("squared error on missing pixels", "do", rel_error(do, numeric_l2), LAYER_TOLERANCE),
            ("diversity term (pairs)", "do", rel_error(ddiv, numeric_div), LAYER_TOLERANCE)]


def _generator_step_rows(G, D, x, observed, rng):
    xp = get_backend()
    inpainter = Inpainter(G, D, rng, NOISE, l2_weight=0.5, diversity_weight=2.0)
    x, observed = xp.concatenate([x[:2], x[:2]]), xp.concatenate([observed[:2], observed[:2]])  # two pairs
    z = inpainter.sample_noise(4)
    _, do = inpainter.g_loss_and_grad(z, x, observed)
    before = _kinks(G, D)
    G.backward(do, input_grad=False)

    def value():
        loss = float(inpainter.g_loss_and_grad(z, x, observed)[0])
        _unmoved(before, G, D)
        return loss

    keys = list(G.params)
    grads = {key: G.grads[key].copy() for key in keys}
    output_bias = keys[-1]  # the last Linear's b: one entry per pixel
    numeric = numerical_gradient(value, G.params[output_bias])
    return [("G step through D and composition", "all of G (directional)",
             directional_error(value, [G.params[k] for k in keys], [grads[k] for k in keys], rng), NETWORK_TOLERANCE),
            ("G step through D and composition", f"G's output bias ({output_bias})",
             rel_error(grads[output_bias], numeric), NETWORK_TOLERANCE)]


def _search_rows(rng):
    G = mlp.generator(NOISE, (6,), PIXELS, rng, "sigmoid", 0.5, dtype="float64")
    D = mlp.discriminator(PIXELS, (5,), rng, 2, keep_input=1.0, keep_hidden=1.0, init_range=0.5, dtype="float64")
    randomize_parameters(G, rng, scale=0.3)
    randomize_parameters(D, rng, scale=0.1)
    x, observed = _data(rng)
    target = get_backend().concatenate([x, observed], axis=1)
    rows = []
    for name, weight in (("search dz: context term (G only)", 0.0), ("search dz: context + D's prior", 0.3)):
        z = rng.uniform(-1.0, 1.0, (ROWS, NOISE), "float64")
        _, dz = search_gradient(G, D, z, target, weight)
        numeric = numerical_gradient(lambda: search_gradient(G, D, z, target, weight)[0].sum(), z)
        rows.append((name, "dz", rel_error(dz, numeric), NETWORK_TOLERANCE))
    return rows


def _skip_rows(rng):
    G = SkipGenerator(NOISE, (6, 5), PIXELS, rng, 0.5, dtype="float64")
    _, D = _networks(rng)
    randomize_parameters(G, rng, scale=0.1)
    x, observed = _data(rng)
    z = rng.uniform(-1.0, 1.0, (ROWS, NOISE), "float64")
    inputs = get_backend().concatenate([z, observed * (x + 1) - 1], axis=1)
    rows = [("skip G (pixels into every layer)", "input and all of G (directional)",
             directional_check(G, inputs.copy(), seed=1), NETWORK_TOLERANCE)]
    dy = rng.normal((ROWS, PIXELS), dtype="float64")
    G.forward(inputs, training=False)
    dx = G.backward(dy, param_grads=False)
    numeric = numerical_gradient(lambda: (G.forward(inputs, training=False) * dy).sum(), inputs)
    rows.append(("skip G (pixels into every layer)", "d[z, u], element by element", rel_error(dx, numeric),
                 NETWORK_TOLERANCE))
    rows += [(f"{what} (skip G)", gradient, error, tolerance)
             for what, gradient, error, tolerance in _generator_step_rows(G, D, x, observed, rng)[:1]]
    return rows


def _conv_rows(rng):
    G = ConvGenerator(NOISE, 2, 5, rng, dtype="float64")
    _, D = _networks(rng)
    randomize_parameters(G, rng, scale=0.3)
    x, observed = _data(rng)
    z = rng.uniform(-1.0, 1.0, (ROWS, NOISE), "float64")
    inputs = get_backend().concatenate([z, observed * (x + 1) - 1], axis=1)
    errors = check_layer(G, inputs.copy(), seed=2)
    rows = [("convolutional G", "d[z, u] and every parameter, element by element (worst)",
             max(errors.values()), NETWORK_TOLERANCE),
            ("convolutional G", "input and all of G (directional)", directional_check(G, inputs.copy(), seed=1),
             NETWORK_TOLERANCE)]
    rows += [(f"{what} (convolutional G)", gradient, error, tolerance)
             for what, gradient, error, tolerance in _generator_step_rows(G, D, x, observed, rng)[:1]]
    return rows


def rows(seed=0):
    """Rows ``(what, gradient, relative error, tolerance)`` for ``npgan gradcheck``."""
    rng = Random(seed)
    G, D = _networks(rng)
    x, observed = _data(rng)
    return (_discriminator_rows(D, x, observed, rng) + _composition_rows(x, observed, rng)
            + _generator_step_rows(G, D, x, observed, rng) + _search_rows(rng) + _skip_rows(rng) + _conv_rows(rng))
