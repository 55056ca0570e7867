"""Remedies for unstable GAN training, as ``Config`` options of the "gan" family.

The paper names the method's weaknesses (Section 6): D and G must be kept in step, and G
may collapse "too many values of z to the same value of x". Five later remedies, each a
``Config`` field (``npgan/presets.py``) that is off by default:

- ``label_smoothing = s``: one-sided label smoothing (Salimans et al., 2016). D's target
  for real examples is ``1 - s`` instead of 1, for generated ones still 0
  (``losses.discriminator_loss``'s ``real_target``). D then cannot grow arbitrarily sure
  of the real data, and the gradient it passes to G stays informative.
- ``instance_noise = sigma0``: instance noise (Sonderby et al., 2017; Arjovsky and
  Bottou, 2017). Every input of D, real and generated, gets Gaussian noise of standard
  deviation ``sigma_t`` (``annealed_std``), falling linearly from ``sigma0`` to 0. Noise
  widens both distributions until they overlap, so early on D cannot separate them
  perfectly and its gradient does not vanish.
- ``g_lr_ratio = r``: two time-scale learning rates (Heusel et al., 2017). G's learning
  rate, and its floor, is ``r`` times D's (``gan_model.build_optimizers``).
- ``pack = p``: PacGAN (Lin et al., 2018). D judges ``p`` samples at once, concatenated
  into one row (``Pack``, D's first layer). A set of samples from a G that has dropped
  modes looks unlike a set of real ones more clearly than one sample does.
- ``minibatch_std = g``: the minibatch standard deviation of Karras et al. (2018).
  Consecutive groups of ``g`` of D's rows each get one more feature, the mean over
  features of the groups' standard deviations (``MinibatchStddev``, before D's last
  hidden layer): a collapsed G's group has a small one.

Why these five: each attacks one named failure (label smoothing and instance noise an
overconfident D, two learning rates the balance, packing and the minibatch feature
collapse), each is a small change to Algorithm 1's steps or to D, and the two with a
backward, packing and the minibatch feature, are worth deriving by hand (the second
crosses examples in a batch). Instance noise's backward is the identity (``d(x + e)/dx =
I``); label smoothing changes a constant in a derived loss.

The math is in plain functions (``*_forward`` returns ``(y, cache)``, ``*_backward``
takes ``(dy, cache)``); ``Pack`` and ``MinibatchStddev`` are the layers over them.
"""

from npgan.backend import get_backend
from npgan.nn.layers import Layer

EPS = 1e-8  # added to the variance before its square root (Karras et al.'s)


def annealed_std(sigma0, anneal_iterations, t):
    """Instance noise's standard deviation at iteration ``t`` (from 0) of the run:

        sigma_t = sigma0 * max(0, 1 - t / anneal_iterations)

    ``sigma0`` at the first iteration, 0 from ``anneal_iterations`` on (and always 0 when
    ``sigma0`` is 0). A function of ``t`` alone, so a resumed run draws the same noise.
    """
    if sigma0 == 0:
        return 0.0
    return sigma0 * max(0.0, 1.0 - t / anneal_iterations)


def pack_forward(x, pack):
    """``p = pack`` consecutive samples concatenated into one row.

    x: (N, F) with N a multiple of p  ->  y: (N/p, p*F), ``y[j] = [x[jp], ..., x[jp + p - 1]]``,
    i.e. ``y[j, q*F + f] = x[j*p + q, f]``: a row-major reshape, so no copy.
    """
    n, f = x.shape
    return x.reshape(n // pack, pack * f), (n, f)


def pack_backward(dy, cache):
    """Each element of ``y`` is one element of ``x`` (``y[j, qF + f] = x[jp + q, f]``), so

        dx[jp + q, f] = dy[j, qF + f],

    the same reshape back: the gradient of a packed row is split into the ``p`` samples
    it was made of. dy: (N/p, p*F)  ->  dx: (N, F).
    """
    return dy.reshape(cache)


def minibatch_stddev_forward(h, group, eps=EPS):
    """Append one feature per row: the mean standard deviation of its group of rows.

    h: (N, F), rows split into N/g consecutive groups of ``g = group``. For a group with
    rows ``h_i`` (i = 1..g) and features j = 1..F:

        mu_j  = 1/g sum_i h_ij
        c_ij  = h_ij - mu_j
        s_j   = sqrt(1/g sum_i c_ij^2 + eps)
        phi   = 1/F sum_j s_j

    and every row of the group becomes ``[h_i, phi]``: y is (N, F + 1).
    Returns ``(y, cache)`` with ``cache = (c, s)``: c (N/g, g, F), s (N/g, F).
    """
    xp = get_backend()
    n, f = h.shape
    c = h.reshape(n // group, group, f)                                  # (N/g, g, F)
    c = c - c.mean(axis=1, keepdims=True)
    s = xp.sqrt((c * c).mean(axis=1) + eps)                              # (N/g, F)
    phi = s.mean(axis=1)                                                 # (N/g,)
    column = xp.broadcast_to(phi[:, None], (n // group, group)).reshape(n, 1)
    return xp.concatenate([h, column.astype(h.dtype, copy=False)], axis=1), (c, s)


def minibatch_stddev_backward(dy, cache):
    """Gradient of ``minibatch_stddev_forward``; the feature couples the rows of a group.

    dy: (N, F + 1) = ``[dh_direct, dphi_i]``. Row ``i`` reaches the loss directly (its
    copy in y) and through ``phi``, which every row of its group shares. Per group:

    - ``phi`` feeds all ``g`` rows' last column, so ``dphi = sum_i dy[i, F]``;
    - ``phi = 1/F sum_j s_j``                            =>  ``ds_j = dphi / F``;
    - ``s_j = sqrt(v_j)``, ``v_j = 1/g sum_i c_ij^2 + eps``  =>  ``dv_j = ds_j / (2 s_j)``;
    - ``dv_j/dh_kj = 2/g sum_i c_ij (delta_ik - 1/g) = 2/g c_kj``, since
      ``sum_i c_ij = 0`` (the mean's own path cancels);

    so  ``dh_kj = dy[k, j] + dphi / F * c_kj / (g s_j)``. Every row's gradient depends on
    the whole group's ``dy`` through ``dphi``: this is a backward across examples, and
    rows of different groups do not interact. Returns dx: (N, F).
    """
    c, s = cache
    groups, g, f = c.shape
    dphi = dy[:, f].reshape(groups, g).sum(axis=1)                       # (N/g,)
    ds = dphi[:, None] / f                                               # (N/g, F)
    through_std = c * (ds / (g * s))[:, None, :]                         # (N/g, g, F)
    return dy[:, :f] + through_std.reshape(groups * g, f).astype(dy.dtype, copy=False)


class Pack(Layer):
    """PacGAN's packing: (N, n_in) samples -> (N/pack, pack * n_in) rows, ``pack`` samples each.

    D's first layer when ``Config.pack > 1``. N must be a multiple of ``pack``; in a
    discriminator step the real rows come first and N/2 is a multiple of ``pack`` too,
    so a packed row is all real or all generated.
    """

    def __init__(self, pack, n_in):
        super().__init__()
        if pack < 1 or n_in < 1:
            raise ValueError(f"Pack: pack and n_in must be >= 1, got {pack}, {n_in}")
        self.pack, self.n_in, self.n_out = pack, n_in, pack * n_in

    def __repr__(self):
        return f"Pack({self.pack} x {self.n_in})"

    def forward(self, x, training=True):
        x = self._check_input(x, self.n_in)
        if x.shape[0] % self.pack:
            raise ValueError(f"{self!r}: expected a batch of a multiple of {self.pack} samples, "
                             f"got shape {tuple(x.shape)}")
        y, self._cache = pack_forward(x, self.pack)
        return y

    def backward(self, dy, input_grad=True, param_grads=True):
        n, f = self._take_cache()
        self._check_grad(dy, (n // self.pack, self.pack * f))
        return pack_backward(dy, (n, f))


class MinibatchStddev(Layer):
    """Karras et al.'s minibatch standard deviation: (N, F) -> (N, F + 1).

    Consecutive groups of ``group`` rows (N a multiple of it) each get the mean over
    features of their standard deviations as one more feature, in training and
    evaluation alike. Rows of different groups never mix: a discriminator step's real
    and generated halves are separate groups when half the batch is a multiple of
    ``group``.
    """

    def __init__(self, group, eps=EPS):
        super().__init__()
        if group < 2:
            raise ValueError(f"MinibatchStddev: group must be >= 2 (one row has no spread), got {group}")
        self.group, self.eps = group, eps

    def __repr__(self):
        return f"MinibatchStddev(group {self.group})"

    def forward(self, x, training=True):
        x = self._check_input(x)
        if x.shape[0] % self.group:
            raise ValueError(f"{self!r}: expected a batch of a multiple of {self.group} rows, "
                             f"got shape {tuple(x.shape)}")
        y, cache = minibatch_stddev_forward(x, self.group, self.eps)
        self._cache = (cache, x.shape)
        return y

    def backward(self, dy, input_grad=True, param_grads=True):
        cache, (n, f) = self._take_cache()
        self._check_grad(dy, (n, f + 1))
        return minibatch_stddev_backward(dy, cache)
