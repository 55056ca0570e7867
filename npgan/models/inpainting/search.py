"""The other route to inpainting: search the plain generator's z (Yeh et al., 2017).

An unconditional G knows p(x); to complete an image whose pixels S are observed, look
for a code whose image agrees with them and that D finds real, then copy the observed
pixels through:

    z* = argmin_z  r(z) + prior_weight * log(1 - D(G(z)))         (Yeh et al.'s L_c + lambda L_p)
    r(z) = 1/784 sum_d observed_d (G(z)_d - x_d)^2
    completion = observed * x + (1 - observed) * G(z*)

Yeh et al. weight the context loss by the nearness of each pixel to the hole; here every
observed pixel counts the same. ``search_gradient`` is the gradient of that objective
with respect to z, through D (evaluation mode, no dropout) and G to its input;
``complete_by_search`` descends it with ``inference.refine`` (Adam, projected onto the
prior's box, each image keeping its best code). ``fit_discriminator`` trains a D against
a frozen G for the prior term, since a generator file holds no D.
"""

import functools

from npgan.backend import Random, get_backend
from npgan.datasets.batches import ShuffledBatches
from npgan.models.gan.inversion import reconstruction_loss, refine
from npgan.models.gan.model import GAN
from npgan.models.inpainting.model import PIXELS, compose
from npgan.nn import losses, mlp
from npgan.nn.kernels import sigmoid
from npgan.nn.optim import Adam


def search_gradient(G, D, z, target, prior_weight=0.0):
    """``(loss, dz)``: each example's objective and its gradient with respect to ``z`` (N, K).

    target: (N, 1568), each image ``x`` beside its mask ``observed`` (1 = observed). With
    ``g = G(z)`` in evaluation mode and ``m = observed``:

    - context: ``r[n] = 1/784 sum_d (m g - m x)[n, d]^2`` is ``reconstruction_loss(m g, m x)``,
      whose gradient with respect to ``m g`` is multiplied by ``m`` (``d(m g)/dg = m``):
      ``dr/dg = 2 m (g - x) / 784``;
    - prior (``D`` given): ``p[n] = w log(1 - sigmoid(l[n])) = -w softplus(l[n])`` with
      ``l = D(g)``, so ``dp/dl = -w sigmoid(l)``, and ``D.backward`` takes it to ``dp/dg``;
    - ``dz = G.backward(dr/dg + dp/dg)``: the chain rule through G to its input, as in
      ``inference.refinement_gradient``. Neither network's parameters change.

    Each example's term depends on its own code only, so the rows are independent problems.
    """
    x, observed = target[:, :PIXELS], target[:, PIXELS:]
    g = G.forward(z, training=False)
    loss, dmasked = reconstruction_loss(observed * g, observed * x)
    dg = observed * dmasked
    if D is not None and prior_weight:
        logits = D.forward(g, training=False)  # (N, 1)
        loss = loss - prior_weight * losses.softplus(logits)[:, 0]
        dg = dg + D.backward(-prior_weight * sigmoid(logits), param_grads=False)
    return loss, G.backward(dg, param_grads=False)


def complete_by_search(G, x, observed, z0, steps=200, lr=0.05, bound=None, D=None, prior_weight=0.0,
                       batch_size=1000):
    """Completions of ``x`` (N, 784) from the codes ``z0`` (N, K) after ``steps`` of search.

    Returns ``(completions, z, loss)``: the observed pixels copied through, G's pixels
    elsewhere; the codes found and their objective. ``bound``: the prior's box (the paper's
    uniform prior: sqrt(3)); D and prior_weight: the prior term of ``search_gradient``.
    """
    xp = get_backend()
    target = xp.concatenate([x, observed], axis=1)
    gradient = functools.partial(_gradient, D=D, prior_weight=prior_weight)
    z, loss = refine(G, target, z0, steps, lr, bound, batch_size, gradient=gradient)
    parts = [G.forward(z[i:i + batch_size], training=False) for i in range(0, len(z), batch_size)]
    return compose(x, observed, xp.concatenate(parts)), z, loss


def _gradient(G, z, target, D, prior_weight):
    return search_gradient(G, D, z, target, prior_weight)


def fit_discriminator(gan, images, iterations, seed=0, hidden=(240, 240), pieces=5, lr=2e-4):
    """Train the paper's maxout D (dropout 0.8 / 0.5) against ``gan``'s frozen G for ``iterations``
    D steps (Algorithm 1's lines 3-5 only; Adam, DCGAN's 2e-4, beta1 0.5) on minibatches of 100
    of ``images``. Returns D; ``gan`` is left as it was."""
    rng = Random(seed)
    D = mlp.discriminator(gan.features, hidden, rng, pieces, init_range=0.005, dtype=gan.dtype.name)
    judge = GAN(gan.G, D, rng, gan.noise_dim, gan.noise, gan.noise_scale)
    optimizer = Adam(D, lr, 0.5, 0.999)
    data = ShuffledBatches(images, 100, rng)
    for i in range(iterations):
        if i % data.batches_per_epoch == 0:
            data.new_epoch()
        judge.d_step(data.batch(i % data.batches_per_epoch), optimizer)
    return D
