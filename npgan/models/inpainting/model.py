"""Inpainting, p(x_not_S | x_S): one conditional GAN for a whole family of masks.

The paper's third extension (Section 7): "One can approximately model all conditionals
p(x_S | x_not_S) where S is a subset of the indices of x by training a family of conditional
models that share parameters." The paper's S is the set of indices drawn; here S is the
set *observed* (what G sees), so in this module's names the model is p(x_not_S | x_S).
Here one generator and one discriminator serve every mask:

- a mask is ``observed`` (N, 784): 1 where the pixel is given (the set S), 0 where it is
  missing. ``MASKS`` names the family by what is **missing**: ``top`` (the top half is
  missing, the bottom half observed), ``bottom``, ``left``, ``right``, ``centre`` (the
  central 14 x 14 square), ``random50`` and ``random90`` (each pixel missing with
  probability 0.5 or 0.9, drawn afresh for every image);
- G sees ``[z, u]`` with ``u = observed * (x + 1) - 1``: the observed pixels as they are,
  the missing ones as -1, a value no pixel takes, so ``u`` carries both ``x_S`` and ``S``.
  Its output ``o`` (sigmoid, (N, 784)) fills the missing pixels and the observed ones are
  copied through: the completion is

      c = observed * x + (1 - observed) * o,

  so the observed pixels of every completion equal the original's exactly;
- D judges ``[c, observed]`` (N, 1568): the completed image together with its mask, so
  that a seam between the given and the generated pixels is visible to it.

Training (``Inpainter.d_step``, ``g_step``) is Algorithm 1 with the condition: every
example draws its mask from the seven kinds with equal probability. The gradient of G's
objective reaches ``o`` through D's backward and the composition (``compose_backward``).
``inpainting_model`` trains it, ``inpainting_search`` is the other route (optimising the
plain generator's ``z``), and ``inpainting_checks`` holds the gradient checks.
"""

import math

from npgan.backend import asarray, get_backend
from npgan.models.inpainting import ALIASES, MASKS
from npgan.nn import kernels, losses

SIDE = 28
PIXELS = SIDE * SIDE
MISSING_SHARE = {"random50": 0.5, "random90": 0.9}  # the random masks: probability a pixel is missing


def mask_name(name):
    """The canonical name of a mask (``center`` -> ``centre``); ``ValueError`` for an unknown one."""
    name = ALIASES.get(name, name)
    if name not in MASKS:
        raise ValueError(f"unknown mask {name!r}; expected one of {', '.join(MASKS)} (the part that is missing)")
    return name


def _fixed_missing(name, dtype):
    """(784,): 1 where the fixed mask ``name`` hides the pixel (all 0 for a random mask)."""
    missing = get_backend().zeros((SIDE, SIDE), dtype=dtype)
    half, quarter = SIDE // 2, SIDE // 4
    region = {"top": (slice(0, half), slice(None)), "bottom": (slice(half, None), slice(None)),
              "left": (slice(None), slice(0, half)), "right": (slice(None), slice(half, None)),
              "centre": (slice(quarter, quarter + half), slice(quarter, quarter + half))}.get(name)
    if region is not None:
        missing[region] = 1
    return missing.reshape(PIXELS)


def mask_table(dtype="float32"):
    """(7, 784) on the backend: row ``i`` is 1 where the fixed mask ``MASKS[i]`` hides a
    pixel; the rows of the random masks are 0 (their pixels are drawn per image)."""
    return get_backend().stack([_fixed_missing(name, dtype) for name in MASKS])


def observed_from_kinds(kinds, rng, dtype="float32"):
    """Masks ``observed`` (N, 784) for mask indices ``kinds`` (N,) into ``MASKS``.

    A fixed kind takes its row of ``mask_table``; a random kind hides each pixel when a
    uniform draw falls below its missing share. Every image draws its uniforms, whatever
    its kind, so the random stream does not depend on which kinds came up.
    """
    xp = get_backend()
    shares = asarray([MISSING_SHARE.get(name, 0.0) for name in MASKS], dtype=dtype)
    u = rng.uniform(0.0, 1.0, (len(kinds), PIXELS), dtype)
    missing = xp.maximum(mask_table(dtype)[kinds], (u < shares[kinds][:, None]).astype(dtype))
    return 1 - missing


def observed_mask(name, n, rng, dtype="float32"):
    """``n`` masks of the kind ``name`` (a name of ``MASKS`` or ``center``): (n, 784), 1 = observed."""
    xp = get_backend()
    kinds = xp.full((n,), MASKS.index(mask_name(name)), dtype="int64")
    return observed_from_kinds(kinds, rng, dtype)


def training_masks(n, rng, dtype="float32"):
    """``n`` masks for training: each of the seven kinds with probability 1/7."""
    return observed_from_kinds(rng.integers(0, len(MASKS), (n,)), rng, dtype)


def generator_input(z, x, observed):
    """``[z, u]`` (N, noise_dim + 784), ``u = observed * (x + 1) - 1``: missing pixels read -1."""
    return get_backend().concatenate([z, observed * (x + 1) - 1], axis=1)


def compose(x, observed, o):
    """The completion ``c = observed * x + (1 - observed) * o``: G's pixels where x is missing."""
    return observed * x + (1 - observed) * o


def compose_backward(dc, observed):
    """``dL/do`` from ``dL/dc`` for ``c = observed * x + (1 - observed) * o``.

    ``dc[n, d]/do[n, d] = 1 - observed[n, d]`` and no other entry of ``o`` touches
    ``c[n, d]``, so ``do = (1 - observed) * dc``: an observed pixel passes no gradient to G
    (whatever G writes there is overwritten by the original).
    """
    if dc.shape != observed.shape:
        raise ValueError(f"compose_backward: dc has shape {dc.shape}, the masks {observed.shape}")
    return (1 - observed) * dc


def discriminator_input(c, observed):
    """``[c, observed]`` (N, 1568): the completed image beside its mask."""
    return get_backend().concatenate([c, observed], axis=1)


def missing_squared_error(o, x, observed):
    """``L = 1/(N 784) sum_n sum_d (1 - observed[n, d]) (o[n, d] - x[n, d])^2``, and ``dL/do``.

    The squared error on the missing pixels only (Pathak et al.'s reconstruction term),
    as a mean over all N * 784 entries so that its weight does not depend on the mask:
    ``dL/do[n, d] = 2 (1 - observed[n, d]) (o[n, d] - x[n, d]) / (N 784)``.
    """
    missing = 1 - observed
    diff = missing * (o - x)
    scale = 1.0 / diff.size
    return (diff * diff).sum() * scale, (2 * scale) * diff


CELL = 4  # the diversity term compares completions in CELL x CELL averages (7 x 7 cells)


def pool_cells(a):
    """(N, 784) -> (N, 49): the mean of each 4 x 4 cell of the 28 x 28 image."""
    n, cells = a.shape[0], SIDE // CELL
    return a.reshape(n, cells, CELL, cells, CELL).mean(axis=(2, 4)).reshape(n, cells * cells)


def unpool_cells(dp):
    """The backward of ``pool_cells``: each pixel of a cell gets ``dp`` of its cell / 16."""
    n, cells = dp.shape[0], SIDE // CELL
    spread = get_backend().broadcast_to(dp.reshape(n, cells, 1, cells, 1), (n, cells, CELL, cells, CELL))
    return spread.reshape(n, PIXELS) / (CELL * CELL)


def diversity_loss(o, z, observed, cap=0.02):
    """Yang et al.'s (2019) diversity-sensitive term on pairs: rows ``n`` and ``n + h`` of ``o`` (2h, 784)
    complete the same image under the same mask (``observed[:h]``) from two codes ``z[n]``, ``z[n + h]``.

    The two completions are compared in 4 x 4 cell averages (``pool_cells``), so that strokes
    that move count and isolated pixels flipped in opposite ways cancel: a G cannot meet the
    term with speckle. With ``m = 1 - observed[:h]``, ``p = pool_cells(m (o[:h] - o[h:]))``,
    ``k_n = max(sum_d m[n, d], 1)``:

        d_n = 16/k_n sum_c p[n, c]^2,     s_n = mean_j (z[n, j] - z[n + h, j])^2,
        L = -1/h sum_n min(d_n / s_n, cap),

    (``d_n`` is the squared difference per missing pixel when the two differ by the same
    amount everywhere), so minimising ``L`` pulls two completions of one input apart, per unit
    of distance between their codes, until the ratio reaches ``cap`` (beyond it the term is
    constant: it asks for diversity, not for noise). Where ``d_n / s_n < cap``,

        dL/dp[n, c] = -32 p[n, c] / (h k_n s_n),
        dL/do[n, d] = m[n, d] unpool_cells(dL/dp)[n, d],     dL/do[n + h, d] = -dL/do[n, d],

    and 0 elsewhere (at ``d_n / s_n = cap`` exactly, the kink, the gradient is taken as 0).
    Returns ``(L, do)`` with ``do`` of ``o``'s shape.
    """
    xp = get_backend()
    h = o.shape[0] // 2
    if o.shape[0] != 2 * h or h == 0:
        raise ValueError(f"diversity_loss: expected an even number of rows (pairs), got {o.shape[0]}")
    missing = 1 - observed[:h]
    k = xp.maximum(missing.sum(axis=1), 1)
    s = ((z[:h] - z[h:]) ** 2).mean(axis=1)
    p = pool_cells(missing * (o[:h] - o[h:]))  # (h, 49)
    ratio = (CELL * CELL) * (p * p).sum(axis=1) / (k * s)
    active = (ratio < cap).astype(o.dtype)
    dp = (-2.0 * CELL * CELL / h) * (active / (k * s))[:, None] * p
    da = missing * unpool_cells(dp)
    return -xp.minimum(ratio, cap).mean(), xp.concatenate([da, -da])


class Inpainter:
    """G(z, x_S, S) and D(c, S) with the noise prior; ``complete``/``inpaint`` and the two steps.

    G: ``[z, u]`` -> ``o`` (N, 784), sigmoid; D: ``[c, observed]`` -> one logit.
    ``D`` is ``None`` for a model file (``pretrained/``), which only completes images.
    rng: where training noise and masks come from. l2_weight: the weight of
    ``missing_squared_error`` in G's loss (0: adversarial only); diversity_weight: the
    weight of ``diversity_loss`` (0: none; else G's step completes half a minibatch twice).
    """

    def __init__(self, G, D, rng, noise_dim, noise_scale=math.sqrt(3), gen_loss="nonsaturating", l2_weight=0.0,
                 diversity_weight=0.0):
        self.G, self.D, self.rng = G, D, rng
        self.noise_dim, self.noise_scale = noise_dim, float(noise_scale)
        self.gen_loss, self.l2_weight = gen_loss, float(l2_weight)
        self.diversity_weight = float(diversity_weight)
        self.dtype = next(iter(G.params.values())).dtype

    def sample_noise(self, n, rng=None):
        """``z`` uniform on ``[-noise_scale, noise_scale]^noise_dim``, (n, noise_dim)."""
        rng = rng if rng is not None else self.rng
        return rng.uniform(-self.noise_scale, self.noise_scale, (n, self.noise_dim), self.dtype)

    def fill(self, z, x, observed, training=False):
        """G's output ``o`` (N, 784) for noise ``z`` and the observed part of ``x``."""
        return self.G.forward(generator_input(z, x, observed), training=training)

    def complete(self, x, observed, rng=None, per_image=1, batch_size=1000):
        """``per_image`` completions of each image, image by image: (N * per_image, 784).

        x, observed: (N, 784); each image's completions share its mask and differ in z.
        The observed pixels of every completion are the original's.
        """
        xp = get_backend()
        x = xp.repeat(asarray(x, dtype=self.dtype), per_image, axis=0)
        observed = xp.repeat(asarray(observed, dtype=self.dtype), per_image, axis=0)
        parts = []
        for i in range(0, len(x), batch_size):
            xb, mb = x[i:i + batch_size], observed[i:i + batch_size]
            parts.append(compose(xb, mb, self.fill(self.sample_noise(len(xb), rng), xb, mb)))
        return parts[0] if len(parts) == 1 else xp.concatenate(parts)

    def inpaint(self, x, mask, rng=None, per_image=1):
        """Completions of ``x`` (N, 784) with the pixels that ``mask`` names missing.

        mask: a name of ``MASKS`` (or ``center``); a random mask is drawn from ``rng``
        first, then the noise. Returns (N * per_image, 784), image by image.
        """
        rng = rng if rng is not None else self.rng
        observed = observed_mask(mask, len(x), rng, self.dtype)
        return self.complete(x, observed, rng, per_image)

    def d_step(self, real, d_optimizer):
        """Algorithm 1, lines 3-5, conditioned: D learns ``(x, S)`` real, ``(c, S)`` fake.

        Each real image draws a mask; its completion by G (fresh noise) is the fake of the
        same condition. Only D's parameters move. Returns ``d_loss``, ``d_real``, ``d_fake``.
        """
        xp = get_backend()
        m = real.shape[0]
        observed = training_masks(m, self.rng, self.dtype)
        fake = compose(real, observed, self.fill(self.sample_noise(m), real, observed))
        pair = xp.concatenate([discriminator_input(real, observed), discriminator_input(fake, observed)])
        logits = self.D.forward(pair, training=True)  # (2m, 1)
        loss, dreal, dfake = losses.discriminator_loss(logits[:m], logits[m:])
        self.D.backward(xp.concatenate([dreal, dfake]), input_grad=False)
        d_optimizer.step()
        d = kernels.sigmoid(logits)
        return {"d_loss": loss, "d_real": d[:m].mean(), "d_fake": d[m:].mean()}

    def g_loss_and_grad(self, z, x, observed):
        """G's loss on one batch and ``dL/do``: the chain z, u -> G -> o -> c -> D -> logit.

        ``L = generator_loss(D([c, observed])) + l2_weight * missing_squared_error(o, x)
        + diversity_weight * diversity_loss(o, z, observed)`` (for the last, rows ``n`` and
        ``n + N/2`` must be one image under one mask);
        ``dc`` is the first 784 columns of D's input gradient (the mask's are not needed:
        it is data), ``do = compose_backward(dc)`` plus the squared error's gradient.
        D runs in training mode and its parameter gradients are not computed.
        Returns ``(loss, do)``; G's forward pass is left ready for ``G.backward(do)``.
        """
        o = self.fill(z, x, observed, training=True)
        logits = self.D.forward(discriminator_input(compose(x, observed, o), observed), training=True)
        loss, dlogits = losses.generator_loss(logits, self.gen_loss)
        dc = self.D.backward(dlogits, param_grads=False)[:, :PIXELS]  # (N, 784)
        do = compose_backward(dc, observed)
        if self.l2_weight:
            l2, dl2 = missing_squared_error(o, x, observed)
            loss, do = loss + self.l2_weight * l2, do + self.l2_weight * dl2
        if self.diversity_weight:
            div, ddiv = diversity_loss(o, z, observed)
            loss, do = loss + self.diversity_weight * div, do + self.diversity_weight * ddiv
        return loss, do

    def g_step(self, real, g_optimizer):
        """Algorithm 1, lines 7-8, conditioned: one update of G on fresh masks and noise.

        With ``diversity_weight``, the first half of ``real`` is completed twice (two codes
        each, one mask), so that the step sees as many completions as without it.
        """
        xp = get_backend()
        m = real.shape[0]
        if self.diversity_weight:
            h = m // 2
            real = xp.concatenate([real[:h], real[:h]])
            observed = training_masks(h, self.rng, self.dtype)
            observed, m = xp.concatenate([observed, observed]), 2 * h
        else:
            observed = training_masks(m, self.rng, self.dtype)
        loss, do = self.g_loss_and_grad(self.sample_noise(m), real, observed)
        self.G.backward(do, input_grad=False)
        g_optimizer.step()
        return {"g_loss": loss}
