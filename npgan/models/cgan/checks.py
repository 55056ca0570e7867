"""Gradient checks of the class-conditional GAN (``npgan.models.cgan.model``) for ``npgan gradcheck``.

Each network of ``[input, c]`` is checked as a function of its input alone, the labels'
one-hot ``c`` held fixed (``LabelledNetwork``; ``GeneratorThroughD`` for the generator
step's z -> D(G(z, c), c)): the numerical gradient perturbs x (or z)
and never c, so a backward that passed on the label's columns, or the wrong columns,
fails on shape or value. Networks are small (12 pixels, 4 classes), in float64, with
random parameters (``randomize_parameters``) so that no unit sits on a kink.
"""

from npgan.backend import Random
from npgan.models.cgan.model import discriminator, generator, join_label, one_hot
from npgan.nn.gradcheck import LAYER_TOLERANCE, NETWORK_TOLERANCE, check_layer, directional_check, randomize_parameters
from npgan.nn.layers import Sequential

FEATURES, CLASSES, NOISE = 12, 4, 5


class LabelledNetwork(Sequential):
    """A network of ``[x, c]`` seen as a function of ``x`` alone, the labels' one-hot ``c`` held fixed.

    Its layers (and so ``params``, ``grads``, kinks and dropout masks) are the network's own;
    ``forward(x) = network([x, c])`` and ``backward(dy) = dL/dx`` (``backward_to_input``). What
    a gradient check of D(x, c) and of G(z, c) differentiates.
    """

    def __init__(self, network, c):
        super().__init__(*network.layers)
        self.c = c
        self.width = next(layer.n_in for layer in network.layers if hasattr(layer, "n_in")) - c.shape[1]

    def forward(self, x, training=True):
        return super().forward(join_label(x, self.c), training)

    def backward(self, dy, input_grad=True, param_grads=True):
        dinput = super().backward(dy, input_grad, param_grads)  # (n, width + K), or None
        return None if dinput is None else dinput[:, :self.width]


class GeneratorThroughD(Sequential):
    """``z -> D(G(z, c), c)``: the generator step's function of z, one label per row for both.

    Layers are G's then D's, so ``params``/``grads`` hold both (G's first). ``backward``
    passes D's gradient with respect to its image input, the label's columns dropped,
    into G, and returns ``dL/dz``.
    """

    def __init__(self, G, D, c):
        super().__init__(*G.layers, *D.layers)
        self.g, self.d = LabelledNetwork(G, c), LabelledNetwork(D, c)

    def forward(self, z, training=True):
        return self.d.forward(self.g.forward(z, training), training)

    def backward(self, dy, input_grad=True, param_grads=True):
        dx = self.d.backward(dy, input_grad=True, param_grads=param_grads)
        return self.g.backward(dx, input_grad=input_grad, param_grads=param_grads)


def small_networks(rng, activation="relu"):
    """``(G, D)``: G [z, c] (5 + 4) -> 8 -> 12 sigmoid; D [x, c] (12 + 4) -> 6 -> 6 -> 1, dropout on x and hidden."""
    G = generator(NOISE, (8,), FEATURES, rng, slope=0.2, init_range=0.5, classes=CLASSES, dtype="float64")
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
