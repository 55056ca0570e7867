"""Gradient checks of the remedies (``npgan.nn.remedies``), for ``npgan gradcheck``.

Rows, each float64 central differences against the hand-written backward:

- the discriminator loss with a smoothed real target (one-sided label smoothing);
- ``Pack`` and ``MinibatchStddev`` alone (the input gradient; the second crosses the
  rows of a group);
- a paper-shaped D with both, through its input and every parameter;
- the two steps of Algorithm 1 with every remedy at once (packing, the minibatch
  feature, label smoothing, instance noise, dropout): the gradient each step hands its
  optimiser against the numerical gradient of the step's objective, replayed from the
  same random state, so that the noise, instance noise and dropout masks are the ones
  the step drew. Instance noise's backward is the identity, checked here in place.
"""

from npgan.backend import Random, get_backend
from npgan.models.gan.model import GAN
from npgan.nn import gradcheck, losses, mlp

TOLERANCE = gradcheck.NETWORK_TOLERANCE


class _Recorder:
    """An optimiser stand-in: keeps the gradients it is asked to apply, moves nothing."""

    def __init__(self, network):
        self.network, self.seen = network, None

    def step(self):
        self.seen = {key: g.copy() for key, g in self.network.grads.items()}


def _small_gan(rng, pack=2, group=2, smoothing=0.1):
    """A float64 GAN on 3-D data with every remedy that lives in D or its loss."""
    G = mlp.generator(3, (7,), 3, rng, output="linear", init_range=0.5, dtype="float64")
    D = mlp.discriminator(3, (6, 6), rng, n_pieces=3, keep_input=0.8, keep_hidden=0.5, init_range=0.5,
                             dtype="float64", pack=pack, minibatch_std=group)
    gradcheck.randomize_parameters(G, rng)
    gradcheck.randomize_parameters(D, rng)
    return GAN(G, D, rng, 3, noise="gaussian", noise_scale=1.0, label_smoothing=smoothing)


def _worst(recorded, network, objective):
    """The largest relative error over ``network``'s parameters of ``recorded`` grads."""
    return max(gradcheck.rel_error(recorded[key], gradcheck.numerical_gradient(objective, p))
               for key, p in network.params.items())


def d_step_error(seed=0, m=8, noise=0.3):
    """``GAN.d_step``'s gradient for D against the numerical gradient of its loss."""
    rng = Random(seed)
    gan = _small_gan(rng)
    real = rng.normal((m, 3), dtype="float64")
    state = rng.get_state()
    rng.set_state(state)  # on CuPy a restore reseeds: restore before the step too
    recorder = _Recorder(gan.D)
    gan.d_step(real, recorder, input_noise=noise)
    xp = get_backend()

    def objective():  # the step's forward, drawing what it drew, in the same order
        rng.set_state(state)
        fake = gan.G.forward(gan.sample_noise(m), training=False)
        pair = xp.concatenate([real, fake])
        logits = gan.D.forward(pair + rng.normal(pair.shape, "float64", std=noise), training=True)
        half = logits.shape[0] // 2
        return losses.discriminator_loss(logits[:half], logits[half:], gan.real_target)[0]

    return _worst(recorder.seen, gan.D, objective)


def g_step_error(seed=0, m=8, noise=0.3):
    """``GAN.g_step``'s gradient for G (through the packed, noisy D) against central differences."""
    rng = Random(seed)
    gan = _small_gan(rng)
    state = rng.get_state()
    rng.set_state(state)
    recorder = _Recorder(gan.G)
    gan.g_step(m, recorder, input_noise=noise)

    def objective():
        rng.set_state(state)
        fake = gan.G.forward(gan.sample_noise(m), training=True)
        logits = gan.D.forward(fake + rng.normal(fake.shape, "float64", std=noise), training=True)
        return losses.generator_loss(logits, gan.gen_loss)[0]

    return _worst(recorder.seen, gan.G, objective)


def rows(seed=0):
    """``(what, gradient, relative error, tolerance)`` rows for ``gradcheck.report``."""
    from npgan.nn.remedies import MinibatchStddev, Pack

    rng = Random(seed + 18)
    out = []
    logits, fake = rng.normal((8, 1), "float64") * 3, rng.normal((8, 1), "float64") * 3
    smoothed = gradcheck.check_loss(lambda l: losses.discriminator_loss(l, fake, 0.9)[:2], logits)
    out.append(("D loss, real target 0.9 (label smoothing)", "dreal_logits", smoothed, gradcheck.LAYER_TOLERANCE))
    for name, layer, x in [("Pack(3 x 4)", Pack(3, 4), rng.normal((6, 4), "float64")),
                           ("MinibatchStddev(group 4)", MinibatchStddev(4), rng.normal((8, 5), "float64"))]:
        out += [(name, grad, err, gradcheck.LAYER_TOLERANCE)
                for grad, err in gradcheck.check_layer(layer, x, seed=seed).items()]
    d = _small_gan(rng).D
    x = rng.normal((8, 3), "float64")
    name = "D packed (2) with minibatch std (group 2)"
    out += [(name, grad, err, TOLERANCE) for grad, err in gradcheck.check_layer(d, x, seed=seed).items()]
    out.append((name, "directional", gradcheck.directional_check(d, x, seed=seed), TOLERANCE))
    out.append(("D step, every remedy", "all of D", d_step_error(seed), TOLERANCE))
    out.append(("G step through packed noisy D", "all of G", g_step_error(seed), TOLERANCE))
    return out
