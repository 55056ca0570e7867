"""Gradient checks of semi-supervised learning (``npgan.models.semisup.model``), for ``npgan gradcheck``.

Rows, each float64 central differences against the hand-written backward:

- the (K+1)-class unsupervised loss on real and on generated logits, and feature matching;
- Bad GAN's two terms: the conditional entropy of D's classes, and the pull-away term;
- the frozen-feature classifier's objective, softmax cross-entropy plus the L2 penalty;
- a small (K+1)-class D (noise, Linear, ReLU), plain, weight-normalised, and weight-normalised
  with its hidden scales held (Improved GAN's), through its input and every parameter;
- the two training steps of ``SemiSupervisedGAN``: the gradient each hands its optimiser
  against the numerical gradient of the step's objective, replayed from the same random
  state (the same z, the same noise in D): D's on ``L_sup + L_unsup``, G's on feature
  matching through D and G's batch norm; both again with Improved GAN's networks (G softplus
  with a weight-normalised output, batch norm without a scale), and those with Bad GAN's terms
added. The layers themselves are ``npgan.nn.checks``' rows.
"""

from types import SimpleNamespace

from npgan.backend import Random, get_backend
from npgan.models.semisup import model as semisup
from npgan.models.semisup.features import softmax_objective
from npgan.models.semisup.training import SemiSupervisedGAN
from npgan.nn import gradcheck
from npgan.nn.layers import Linear
from npgan.nn.losses import softmax_cross_entropy

TOLERANCE = gradcheck.NETWORK_TOLERANCE
FEATURES, CLASSES = 5, 4


class _Recorder:
    """An optimiser stand-in: keeps the gradients it is asked to apply, moves nothing."""

    def __init__(self, network):
        self.network, self.seen = network, None

    def step(self):
        self.seen = {key: g.copy() for key, g in self.network.grads.items()}


def small_gan(seed=0, improved=False, entropy=0.0, pull_away=0.0):
    """A float64 SemiSupervisedGAN on 5-d data with 4 classes, every parameter random.

    ``improved``: Improved GAN's networks (D weight-normalised with its hidden scales held,
    G softplus with a weight-normalised output and scale-free batch norm), else ``mnist-semisup``'s.
    ``entropy``, ``pull_away``: the weights of Bad GAN's two terms (``semisup_entropy``, ``semisup_pull_away``).
    """
    # the fields SemiSupervisedGAN reads (the family imports no Config), at small widths
    config = SimpleNamespace(model="semisup", d_hidden=(6, 5), g_hidden=(7,), noise_dim=3, noise="uniform",
                             noise_scale=3 ** 0.5, semisup_input_noise=0.3, semisup_hidden_noise=0.5,
                             semisup_weight_norm=int(improved), semisup_train_scales=int(not improved),
                             semisup_g_activation="softplus" if improved else "relu",
                             semisup_g_weight_norm=int(improved), semisup_g_bn_scale=int(not improved),
                             semisup_average=0.0, semisup_entropy=entropy, semisup_pull_away=pull_away,
                             dtype="float64")
    rng = Random(seed)
    gan = SemiSupervisedGAN(config, rng, features=FEATURES)
    gan.D = semisup.discriminator((6, 5), rng, 0.3, 0.5, n_in=FEATURES, classes=CLASSES, dtype="float64",
                                  weight_norm=improved, train_scales=not improved)
    gan.body, gan.head = semisup.split_discriminator(gan.D)
    gradcheck.randomize_parameters(gan.D, rng)
    gradcheck.randomize_parameters(gan.G, rng)
    for layer in gan.G.layers:  # batch norm's running variance must stay positive; a held scale is 1
        if "running_var" in layer.params:
            layer.params["running_var"][...] = 1.0
        if "gamma" in getattr(layer, "held", ()):
            layer.params["gamma"][...] = 1.0
    return gan, rng


ROUNDING = 1e-9  # central differences of a step's objective, where its true gradient is 0: rounding alone
# The steps' differences use h = 1e-5: their objectives pass through noise, batch norm and
# softplus, and their gradients can be 1e-4 or less, where h = 1e-6's rounding error
# (|L| eps / h) is already 1e-6 of the gradient; h = 1e-5's truncation error (h^2) is smaller.
STEP = 1e-5


def _worst(recorded, network, objective):
    """The worst relative error over the learned parameters (batch norm's running averages and held scales out).

    A parameter whose gradient is 0 in exact arithmetic (a bias just before batch norm,
    which the normalisation removes) has no scale to be relative to: where both the
    computed gradient and the central differences are below ``ROUNDING`` (rounding noise,
    which grows with the objective's size), it passes; a gradient of 0 against differences
    above that still fails.
    """
    held = semisup.held_keys(network)
    errors = []
    for key, p in network.params.items():
        if key.split(".")[1] in ("running_mean", "running_var") or key in held:
            continue
        numerical = gradcheck.numerical_gradient(objective, p, STEP)
        if float(abs(recorded[key]).max()) < ROUNDING and float(abs(numerical).max()) < ROUNDING:
            errors.append(0.0)  # both rounding noise: a gradient that is 0 in exact arithmetic
        else:
            errors.append(gradcheck.rel_error(recorded[key], numerical))
    return max(errors)


def d_step_error(seed=0, m=6, improved=False, entropy=0.0):
    """``SemiSupervisedGAN.d_step``'s gradient for D against its objective's numerical gradient
    (with ``entropy``: plus that weight of the unlabelled images' conditional entropy)."""
    gan, rng = small_gan(seed, improved, entropy=entropy)
    xp = get_backend()
    unlabelled, labelled = rng.normal((m, FEATURES), "float64"), rng.normal((m, FEATURES), "float64")
    labels = rng.integers(0, CLASSES, (m,))
    state = rng.get_state()
    rng.set_state(state)  # on CuPy a restore reseeds: restore before the step too
    recorder = _Recorder(gan.D)
    gan.d_step(unlabelled, labelled, labels, recorder)

    def objective():  # the step's forward, drawing what it drew, in the same order
        rng.set_state(state)
        fake = gan.G.forward(gan.sample_noise(m), training=True)
        logits = gan.D.forward(xp.concatenate([labelled, unlabelled, fake]), training=True)
        unlabelled_loss = semisup.unsupervised_loss(logits[m:2 * m], logits[2 * m:])[0]
        if entropy:
            unlabelled_loss = unlabelled_loss + entropy * semisup.conditional_entropy(logits[m:2 * m])[0]
        return softmax_cross_entropy(logits[:m], labels)[0] + unlabelled_loss

    return _worst(recorder.seen, gan.D, objective)


def g_step_error(seed=0, m=6, improved=False, pull_away=0.0):
    """``SemiSupervisedGAN.g_step``'s gradient for G (feature matching through D, with ``pull_away``:
    plus that weight of the pull-away term) against central differences."""
    gan, rng = small_gan(seed, improved, pull_away=pull_away)
    unlabelled = rng.normal((m, FEATURES), "float64")
    state = rng.get_state()
    rng.set_state(state)
    recorder = _Recorder(gan.G)
    gan.g_step(unlabelled, recorder)

    def objective():
        rng.set_state(state)
        real = semisup.run_layers(gan.body, unlabelled, training=True)
        fake = semisup.run_layers(gan.body, gan.G.forward(gan.sample_noise(m), training=True), training=True)
        spread = pull_away * semisup.pull_away(fake)[0] if pull_away else 0.0
        return semisup.feature_matching_loss(real, fake)[0] + spread

    return _worst(recorder.seen, gan.G, objective)


def rows(seed=0):
    """``(what, gradient, relative error, tolerance)`` rows for ``gradcheck.report``."""
    rng = Random(seed)

    def data(*shape):
        return rng.normal(shape, dtype="float64")

    out = []
    other = data(7, CLASSES) * 3
    for name, fn in [("(K+1) unsupervised loss, real logits", lambda l: semisup.unsupervised_loss(l, other)[:2]),
                     ("(K+1) unsupervised loss, fake logits", lambda l: semisup.unsupervised_loss(other, l)[::2])]:
        out.append((name, "dlogits", gradcheck.check_loss(fn, data(6, CLASSES) * 3), gradcheck.LAYER_TOLERANCE))
    out.append(("conditional entropy (Bad GAN)", "dlogits",
                gradcheck.check_loss(semisup.conditional_entropy, data(6, CLASSES) * 3), gradcheck.LAYER_TOLERANCE))
    out.append(("pull-away term (Bad GAN)", "dfeatures",
                gradcheck.check_loss(semisup.pull_away, data(6, 5) + 0.5), gradcheck.LAYER_TOLERANCE))
    real = data(8, 5)
    out.append(("feature matching", "dfake", gradcheck.check_loss(lambda f: semisup.feature_matching_loss(real, f),
                                                                  data(6, 5)), gradcheck.LAYER_TOLERANCE))
    layer, features, labels = Linear(6, CLASSES, rng, 0.5, "float64"), data(9, 6), rng.integers(0, CLASSES, (9,))
    softmax_objective(layer, features, labels, 0.1)
    analytic = {k: g.copy() for k, g in layer.grads.items()}
    worst = max(gradcheck.rel_error(analytic[k], gradcheck.numerical_gradient(
        lambda: softmax_objective(layer, features, labels, 0.1), p)) for k, p in layer.params.items())
    out.append(("softmax on features + L2", "W, b", worst, gradcheck.LAYER_TOLERANCE))

    scale_free = semisup.ScaleFreeBatchNorm(5, dtype="float64")
    scale_free.params["beta"][...] = data(5)
    errors = gradcheck.check_layer(scale_free, data(6, 5) * 2 + 1, seed=seed)
    out.append(("ScaleFreeBatchNorm(5)", "dx, beta", max(errors["dx"], errors["beta"]), gradcheck.LAYER_TOLERANCE))
    out.append(("ScaleFreeBatchNorm(5)", "gamma is 0", float(abs(scale_free.grads["gamma"]).max()),
                gradcheck.LAYER_TOLERANCE))
    for weight_norm, train_scales in ((False, True), (True, True), (True, False)):
        out += _d_rows(rng, data, seed, weight_norm, train_scales)
    out.append(("semisup D step (sup + unsup)", "all of D", d_step_error(seed), TOLERANCE))
    out.append(("semisup G step (feature matching)", "all of G", g_step_error(seed), TOLERANCE))
    out.append(("semisup D step, Improved GAN's nets", "all of D", d_step_error(seed, improved=True), TOLERANCE))
    out.append(("semisup G step, Improved GAN's nets", "all of G", g_step_error(seed, improved=True), TOLERANCE))
    out.append(("semisup D step + conditional entropy", "all of D",
                d_step_error(seed, improved=True, entropy=0.7), TOLERANCE))
    out.append(("semisup G step + pull-away term", "all of G", g_step_error(seed, improved=True, pull_away=0.8),
                TOLERANCE))
    return out


def _d_rows(rng, data, seed, weight_norm, train_scales=True):
    """A small (K+1)-class D, noise held fixed: the input and every parameter, one by one and along a direction.

    With the hidden layers' scales held (``train_scales=False``) their ``g`` reports a zero
    gradient and is left out of both checks (the function does depend on it).
    """
    D = semisup.discriminator((6, 5), rng, 0.3, 0.5, n_in=FEATURES, classes=CLASSES, dtype="float64",
                              weight_norm=weight_norm, train_scales=train_scales)
    gradcheck.randomize_parameters(D, rng)
    x, width = data(6, FEATURES), FEATURES
    for layer in D.layers:  # hold every noise draw fixed, at the width of its input
        if isinstance(layer, semisup.GaussianNoise):
            layer.fixed_noise = data(6, width)
        width = getattr(layer, "n_out", width)
    held = semisup.held_keys(D)
    worst = max(err for key, err in gradcheck.check_layer(D, x, seed=seed).items() if key not in held)
    name = "(K+1)-class D" + (", weight-normalised" if weight_norm else "") + ("" if train_scales else ", g held")
    if held:  # the directional check moves every parameter; a held g's reported 0 would not match
        return [(name, "dx and all", worst, TOLERANCE)]
    return [(name, "dx and all", worst, TOLERANCE),
            (name, "directional", gradcheck.directional_check(D, x, seed=seed), TOLERANCE)]
