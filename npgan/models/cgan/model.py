"""A class-conditional GAN (Mirza and Osindero, 2014): G(z, c) and D(x, c), c a one-hot label.

The paper's conclusion, first direction: "a conditional generative model p(x | c) can be
obtained by adding c as input to both G and D". Here c is the one-hot vector of a class
label y in 0..K-1 (K = 10 for MNIST), and it is *concatenated at the input* of both
networks:

    G(z, c) = G_net([z, c])      [z, c]: (n, noise_dim + K)
    D(x, c) = D_net([x, c])      [x, c]: (n, features + K), one logit per row

Why concatenation at the input, not Mirza and Osindero's separate first layers joined
(z -> 200 and y -> 1000 ReLU units, concatenated): a function of a one-hot vector is a
table of K vectors, one per class, whatever layers compute it, so their label branch
amounts to a learned per-class vector added to the second layer's input. Concatenated
at the input, the first Linear layer splits as

    a = [x, c] W + b = x W_x + c W_c + b,       W = [W_x; W_c] stacked by rows,

and ``c W_c`` is row y of ``W_c``: a learned per-class bias of the first layer, the same
kind of conditioning one layer earlier, with no extra layer, no new layer class, and the
same ``Sequential``, optimisers, checkpoints and gradient checks as the unconditional GAN.

The gradient goes to x (and z), never to c. The label is data, not a parameter or a
variable anyone moves: y is an integer and c = onehot(y) has no derivative that means
anything. The network's backward returns the gradient with respect to its whole input,

    dL/d[x, c] = da W^T = [da W_x^T, da W_c^T],      (n, features + K)

and only its first ``features`` columns, ``dL/dx = da W_x^T``, are passed on (to G, in
the generator step). The last K columns, ``da W_c^T``, are dropped. ``W_c`` itself *is* a
parameter, and its gradient is the usual one, ``dW_c = c^T da`` (row y of ``dW_c`` sums
``da`` over the examples of class y), computed by ``Linear`` with the rest of ``W``.

The label's weights start large. ``W_c`` is drawn uniform in ``+-label_init_range`` (1 for
G, 0.5 for D in ``mnist-cgan``) where the other weights are drawn in +-0.05 (G) and
+-0.005 (D): drawn as small as the others, every class starts with almost the same bias,
G ignores the label, and D, which learns that an image does not fit its label long before G
learns to use it, wins (in every setting tried, G then collapsed to one saturated pattern
within two epochs; results/conditional/conditional.md). Drawn large, each class shifts the first
layer by its own vector from the first step, and G's samples differ by class from the start.

Training is Algorithm 1 with a label drawn for every generated example: D's step sees
real pairs (x, y) from the data and fake pairs (G(z, y'), y') with y' uniform over the K
classes; G's step draws fresh (z, y') and follows D's gradient with respect to x. The
simultaneous update of the paper's code (``simultaneous_step``, what ``mnist-cgan`` uses)
takes both gradients from one such pass.
"""

import numbers

from npgan.backend import get_backend
from npgan.models.gan.model import GAN
from npgan.nn import kernels, losses, mlp
from npgan.nn.image_layers import LeakyReLU
from npgan.nn.layers import Dropout, Linear, Maxout, Sequential, Sigmoid

CLASSES = 10  # MNIST's digits


def one_hot(labels, classes=CLASSES, dtype="float32"):
    """(n,) integer labels -> (n, classes) rows of 0s with a 1 in column ``labels[i]``.

    A comparison with ``arange`` rather than a scatter, so CuPy computes it the same way.
    """
    xp = get_backend()
    labels = xp.asarray(labels)
    return (labels[:, None] == xp.arange(classes)[None, :]).astype(dtype)


def check_labels(labels, n=None, classes=CLASSES):
    """``labels`` as a backend integer array (n,); ``ValueError`` naming what is wrong."""
    xp = get_backend()
    labels = xp.asarray(labels)
    if labels.ndim != 1 or (n is not None and labels.shape[0] != n):
        expected = f"({n},)" if n is not None else "(n,)"
        raise ValueError(f"labels: expected shape {expected}, got {tuple(labels.shape)}")
    if labels.size and labels.dtype.kind not in "iu":
        raise ValueError(f"labels: expected integer class labels, got dtype {labels.dtype}")
    if labels.size and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        raise ValueError(f"labels: expected values in 0..{classes - 1}, got {int(labels.min())}..{int(labels.max())}")
    return labels.astype("int64")


def balanced_labels(n, classes=CLASSES):
    """Labels 0, 0, ..., 1, 1, ..., K-1 in label order: n/K of each when K divides n
    (otherwise label ``floor(i K / n)`` for example i, as even as it can be)."""
    xp = get_backend()
    return (xp.arange(n) * classes) // n


def join_label(x, c):
    """``[x, c]`` (n, width + K): the labels' one-hot ``c`` (n, K) beside the input ``x`` (n, width)."""
    if c.shape[0] != x.shape[0]:
        raise ValueError(f"join_label: {x.shape[0]} inputs but {c.shape[0]} labels")
    return get_backend().concatenate([x, c.astype(x.dtype)], axis=1)


def forward_with_label(network, x, c, training=True):
    """``network([x, c])``."""
    return network.forward(join_label(x, c), training=training)


def backward_to_input(network, dy, width, param_grads=True):
    """``dL/dx`` (n, width) of ``network([x, c])``: its input gradient without the label's columns.

    ``network.backward`` returns ``dL/d[x, c]`` (n, width + K); the first ``width`` columns
    are ``dL/dx``, the rest ``dL/dc``, which is dropped (the label is data). With
    ``param_grads=False`` the network's parameter gradients are not computed.
    """
    dinput = network.backward(dy, input_grad=True, param_grads=param_grads)
    return dinput[:, :width]


def draw_label_rows(layer, classes, label_init_range, rng):
    """Redraw the last ``classes`` rows of a first layer's ``W`` (the label's, ``W_c``) uniform in
    ``[-label_init_range, label_init_range]`` (see the module docstring: the label's weight at the start)."""
    W = layer.params["W"]
    W[-classes:] = rng.uniform(-label_init_range, label_init_range, (classes, W.shape[1]), W.dtype.name)
    return layer


def generator(noise_dim, hidden, features, rng, slope=0.2, init_range=0.05, output_bias=None, classes=CLASSES,
              label_init_range=1.0, dtype="float32"):
    """G of ``[z, c]`` (n, noise_dim + classes) -> samples (n, features) in [0, 1].

    hidden: the widths of the hidden layers, each Linear then a leaky ReLU of slope ``slope``
    (0: the paper's ReLU); then Linear and a sigmoid. Weights uniform in ``[-init_range,
    init_range]``, the label's rows of the first layer in ``[-label_init_range, ...]``.
    output_bias: the last Linear's initial bias (``gan_model.data_logit_mean``: G starts at
    the mean training image), or zeros.
    """
    if not hidden:
        raise ValueError("generator: needs at least one hidden layer (the label enters its first layer)")
    layers, width = [], noise_dim + classes
    for h in hidden:
        layers += [Linear(width, h, rng, init_range, dtype), LeakyReLU(slope)]
        width = h
    draw_label_rows(layers[0], classes, label_init_range, rng)
    last = Linear(width, features, rng, init_range, dtype)
    if output_bias is not None:
        last.params["b"][...] = output_bias
    return Sequential(*layers, last, Sigmoid())


class ImageDropout(Dropout):
    """Dropout on the first ``width`` columns of ``[x, c]`` (the image), the label's columns passed unchanged.

    Dropping a label's one 1 would hide the class from D (and scaling the kept ones by
    ``1 / keep_prob`` would give it another value in training than in evaluation), so only
    x is dropped: ``y = [x * mask / keep_prob, c]``, ``dx = [dy_x * mask / keep_prob, dy_c]``.
    ``mask`` and ``fixed_mask`` are (n, width).
    """

    def __init__(self, keep_prob, rng, width):
        super().__init__(keep_prob, rng)
        self.width = width

    def __repr__(self):
        return f"ImageDropout(keep_prob={self.keep_prob}, first {self.width} columns)"

    def forward(self, x, training=True):
        y = super().forward(x[:, :self.width], training)
        return get_backend().concatenate([y, x[:, self.width:]], axis=1)

    def backward(self, dy, input_grad=True, param_grads=True):
        dx = super().backward(dy[:, :self.width])
        return get_backend().concatenate([dx, dy[:, self.width:]], axis=1)


def discriminator(features, hidden, rng, activation="relu", slope=0.2, pieces=5, keep_input=1.0, keep_hidden=1.0,
                  init_range=0.005, classes=CLASSES, label_init_range=0.5, dtype="float32"):
    """D of ``[x, c]`` (n, features + classes) -> logits (n, 1).

    hidden: the widths of the hidden layers; ``activation``: ``"relu"`` (a leaky ReLU of
    slope ``slope``; 0: plain ReLU) or ``"maxout"`` (``pieces`` pieces, the paper's and
    Mirza and Osindero's D). Dropout keeps ``keep_input`` of the image's pixels (never the
    label's columns: ``ImageDropout``) and ``keep_hidden`` of every hidden layer's outputs.
    Weights uniform in ``[-init_range, init_range]``, the label's rows of the first layer in
    ``[-label_init_range, label_init_range]``.
    """
    if not hidden:
        raise ValueError("discriminator: needs at least one hidden layer (the label enters its first layer)")
    if activation not in mlp.HIDDEN:
        raise ValueError(f"discriminator: activation must be one of {mlp.HIDDEN}, got {activation!r}")
    layers, width = [], features + classes
    if keep_input < 1.0:
        layers.append(ImageDropout(keep_input, rng, features))
    for index, h in enumerate(hidden):
        maxout = activation == "maxout"
        weights = (Maxout(width, h, pieces, rng, init_range, dtype) if maxout
                   else Linear(width, h, rng, init_range, dtype))
        if index == 0:
            draw_label_rows(weights, classes, label_init_range, rng)
        layers += [weights] if maxout else [weights, LeakyReLU(slope)]
        if keep_hidden < 1.0:
            layers.append(Dropout(keep_hidden, rng))
        width = h
    layers.append(Linear(width, 1, rng, init_range, dtype))
    return Sequential(*layers)


class ConditionalGAN(GAN):
    """``GAN`` whose G and D take a one-hot label beside their input (see the module docstring).

    ``G`` maps (n, noise_dim + K) to (n, features), ``D`` (n, features + K) to logits.
    ``d_step`` takes a real minibatch as ``(x, labels)``; labels of generated examples
    are drawn uniformly from the GAN's ``rng``.
    """

    classes = CLASSES

    def generate(self, z, labels, training=False):
        """``G(z, onehot(labels))``, shape (n, features)."""
        return forward_with_label(self.G, z, one_hot(labels, self.classes, self.dtype), training)

    def sample(self, n, rng=None, labels=None, batch_size=1000):
        """``n`` samples ``G(z, c)`` in evaluation mode, shape (n, features).

        labels: (n,) integers in 0..K-1, the class of each sample; ``None``: n/K of each class
        in label order (``balanced_labels``). rng: where the noise comes from (default: the GAN's).
        """
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"ConditionalGAN.sample: n must be an integer >= 1, got {n!r}")
        labels = balanced_labels(n, self.classes) if labels is None else check_labels(labels, n, self.classes)
        xp = get_backend()
        parts = [self.generate(self.sample_noise(min(batch_size, n - i), rng), labels[i:i + batch_size])
                 for i in range(0, n, batch_size)]
        return parts[0] if len(parts) == 1 else xp.concatenate(parts)

    def discriminate(self, x, labels, batch_size=1000):
        """``D(x, c)`` in evaluation mode, shape (n,)."""
        xp = get_backend()
        labels = check_labels(labels, x.shape[0], self.classes)
        parts = [forward_with_label(self.D, x[i:i + batch_size], one_hot(labels[i:i + batch_size], self.classes,
                                                                             self.dtype), training=False)[:, 0]
                 for i in range(0, len(x), batch_size)]
        return kernels.sigmoid(parts[0] if len(parts) == 1 else xp.concatenate(parts))

    def random_labels(self, m):
        """``m`` labels uniform over the K classes, from the GAN's stream."""
        return self.rng.integers(0, self.classes, (m,))

    def d_step(self, real, d_optimizer, input_noise=0.0):
        """Algorithm 1, lines 3-5, with labels: D on real pairs (x, y) and fake pairs (G(z, y'), y').

        real: ``(x, labels)``, a minibatch of the data with its classes. The loss is
        ``GAN.d_step``'s; D's backward stops at its parameters (nothing before D learns here).
        """
        x, labels = real
        self._check_real(x)
        xp = get_backend()
        m = x.shape[0]
        fake_labels = self.random_labels(m)
        fake = self.generate(self.sample_noise(m), fake_labels)  # line 3: z ~ p_z, y' ~ p(y)
        c = one_hot(xp.concatenate([xp.asarray(labels), fake_labels]), self.classes, self.dtype)
        logits = forward_with_label(self.D, self._joint_batch(x, fake), c, training=True)  # (2m, 1)
        loss, dreal, dfake = losses.discriminator_loss(logits[:m], logits[m:], self.real_target)  # line 5
        self.D.backward(xp.concatenate([dreal, dfake]), input_grad=False)
        d_optimizer.step()
        return {"d_loss": loss, **self._mean_outputs(logits, m)}

    def g_step(self, m, g_optimizer, input_noise=0.0):
        """Algorithm 1, lines 7-8, with labels: fresh (z, y'), G's gradient through D(., c).

        ``dL/dG(z, c)`` is D's input gradient without the label's columns
        (``backward_to_input``); D's parameter gradients are not computed and D does not move.
        """
        labels = self.random_labels(m)
        c = one_hot(labels, self.classes, self.dtype)
        fake = forward_with_label(self.G, self.sample_noise(m), c, training=True)  # line 7
        logits = forward_with_label(self.D, fake, c, training=True)
        loss, dlogits = losses.generator_loss(logits, self.gen_loss)  # line 8
        dfake = backward_to_input(self.D, dlogits, fake.shape[1], param_grads=False)  # (m, features)
        self.G.backward(dfake, input_grad=False)
        g_optimizer.step()
        return {"g_loss": loss}

    def simultaneous_step(self, real, d_optimizer, g_optimizer, input_noise=0.0):
        """The paper's code's update (``GAN.simultaneous_step``) with labels: one D pass over real pairs
        (x, y) and fake pairs (G(z, y'), y'), D's loss into D's parameters and G's loss, through the
        same pass and dropout masks, into G via D's input gradient without the label's columns."""
        x, labels = real
        self._check_real(x)
        xp = get_backend()
        m = x.shape[0]
        fake_labels = self.random_labels(m)
        fake = self.generate(self.sample_noise(m), fake_labels, training=True)
        c = one_hot(xp.concatenate([xp.asarray(labels), fake_labels]), self.classes, self.dtype)
        logits = forward_with_label(self.D, self._joint_batch(x, fake), c, training=True)
        d_loss, dreal, dfake = losses.discriminator_loss(logits[:m], logits[m:], self.real_target)
        g_loss, g_dlogits = losses.generator_loss(logits[m:], self.gen_loss)
        self.D.backward(xp.concatenate([dreal, dfake]), input_grad=False)
        dpair = backward_to_input(self.D, xp.concatenate([xp.zeros_like(dreal), g_dlogits]), x.shape[1],
                                  param_grads=False)
        self.G.backward(dpair[m:], input_grad=False)
        d_optimizer.step()
        g_optimizer.step()
        return {"d_loss": d_loss, "g_loss": g_loss, **self._mean_outputs(logits, m)}
