"""The gradient checks of a DCGAN-shaped D and G, for ``npgan gradcheck``.

``rows(seed)`` returns rows ``(what, gradient, relative error, tolerance)``: small DCGAN
networks checked whole in float64 (input, every learned parameter, and a directional
check), and as the generator step (G's gradients arriving through D's backward). The
layers they are built from have their own rows (``npgan.nn.checks``).
"""

from npgan.backend import Random
from npgan.models.dcgan.model import discriminator, generator
from npgan.nn.checks import RUNNING, randomize_learned
from npgan.nn.gradcheck import NETWORK_TOLERANCE, check_layer, directional_check
from npgan.nn.layers import Sequential


def rows(seed=0):
    rng = Random(seed)

    def data(*shape):
        return rng.normal(shape, dtype="float64")

    rows = []
    # DCGAN-shaped networks at a small size: 1 x 8 x 8 images, width 2, 3-d noise.
    g = generator(3, (1, 8, 8), 2, rng, dtype="float64")
    d = discriminator((1, 8, 8), 2, rng, dtype="float64")
    randomize_learned(g, rng)
    randomize_learned(d, rng)
    images, noise = rng.uniform(0, 1, (4, 64), "float64"), data(4, 3)
    for name, net, x in [("DCGAN-shaped D", d, images), ("DCGAN-shaped G", g, noise)]:
        errors = check_layer(net, x, seed=seed)
        worst = max(err for key, err in errors.items() if key != "dx" and key.split(".")[-1] not in RUNNING)
        rows += [(name, "dx", errors["dx"], NETWORK_TOLERANCE), (name, "all parameters", worst, NETWORK_TOLERANCE),
                 (name, "directional", directional_check(net, x, seed=seed), NETWORK_TOLERANCE)]
    errors = check_layer(Sequential(*g.layers, *d.layers), data(4, 3), seed=seed)
    worst_g = max(errors[f"{i}.{n}"] for i, layer in enumerate(g.layers) for n in layer.params if n not in RUNNING)
    rows.append(("DCGAN G through D (G step)", "all of G", worst_g, NETWORK_TOLERANCE))
    return rows
