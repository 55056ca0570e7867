"""Gradient checks of the class-conditional GAN (``npgan.conditional``) for ``npgan gradcheck``.

Each network of ``[input, c]`` is checked as a function of its input alone, the labels'
one-hot ``c`` held fixed (``LabelledNetwork``): the numerical gradient perturbs x (or z)
and never c, so a backward that passed on the label's columns, or the wrong columns,
fails on shape or value. Networks are small (12 pixels, 4 classes), in float64, with
random parameters (``randomize_parameters``) so that no unit sits on a kink.
"""

from npgan import models
from npgan.backend import Random
from npgan.conditional import GeneratorThroughD, LabelledNetwork, discriminator, one_hot
from npgan.gradcheck import LAYER_TOLERANCE, NETWORK_TOLERANCE, check_layer, directional_check, randomize_parameters

FEATURES, CLASSES, NOISE = 12, 4, 5


def small_networks(rng, activation="relu"):
    """``(G, D)``: G [z, c] (5 + 4) -> 8 -> 12 sigmoid; D [x, c] (12 + 4) -> 6 -> 6 -> 1, dropout on x and hidden."""
    G = models.generator(NOISE + CLASSES, (8,), FEATURES, rng, init_range=0.5, dtype="float64")
    D = discriminator(FEATURES, (6, 6), rng, activation, slope=0.2, pieces=3, keep_input=0.8, keep_hidden=0.5,
                      init_range=0.5, classes=CLASSES, dtype="float64")
    randomize_parameters(G, rng)
    randomize_parameters(D, rng)
    return G, D


def rows(seed=0):
    """Rows ``(what, gradient, relative error, tolerance)`` for ``gradcheck.report``."""
    rng = Random(seed)
    labels = rng.integers(0, CLASSES, (6,))
    c = one_hot(labels, CLASSES, "float64")
    out = []
    for activation in ("relu", "maxout"):
        G, D = small_networks(rng, activation)
        name = f"cGAN D(x, c), {'leaky' if activation == 'relu' else 'maxout'}"
        x = rng.uniform(0, 1, (6, FEATURES), "float64")
        d = LabelledNetwork(D, c)
        out += [(name, grad, err, NETWORK_TOLERANCE) for grad, err in check_layer(d, x, seed=seed).items()]
        out.append((name, "directional", directional_check(d, x, seed=seed), NETWORK_TOLERANCE))
    g = LabelledNetwork(G, c)
    z = rng.uniform(-1, 1, (6, NOISE), "float64")
    errors = check_layer(g, z, seed=seed)
    out.append(("cGAN G(z, c)", "dz", errors.pop("dx"), LAYER_TOLERANCE))
    out.append(("cGAN G(z, c)", "all of G", max(errors.values()), NETWORK_TOLERANCE))
    # The generator step: z -> G(z, c) -> D(., c), G's gradients arriving through D's input gradient.
    chain = GeneratorThroughD(G, D, c)
    errors = check_layer(chain, z, seed=seed)
    out.append(("cGAN G through D(., c)", "dz", errors["dx"], NETWORK_TOLERANCE))
    out.append(("cGAN G through D(., c)", "all of G", max(errors[key] for key in G.params), NETWORK_TOLERANCE))
    return out
