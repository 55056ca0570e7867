"""The inpainter's other generators: G with the observed pixels fed to every layer
(``inpaint_skip``) and its warm start, and the convolutional G (``inpaint_conv``).

The plain inpainting G is an MLP on ``[z, u]`` (``u = observed * (x + 1) - 1``, the
observed pixels with the missing ones at -1): only its first layer sees ``u``, so the
stroke that the completion must continue at the seam reaches the output through two
256-wide bottlenecks. ``SkipGenerator`` gives every Linear the 784 values of ``u``
beside its usual input:

    h_0 = [z, u],    a_i = [h_{i-1}, u] W_i + b_i (i > 1; a_1 = h_0 W_1 + b_1),
    h_i = relu(a_i),    o = sigmoid(a_L),

so the output layer can copy, continue or cancel the pixels next to the hole directly.
It is a ``Sequential`` of the same layers as ``mlp.generator``'s (the same keys ``"0.W"``,
``"0.b"``, ``"2.W"``, ...; only the later ``W`` have 784 more rows, the rows that read
``u``), so optimisers and checkpoints treat it as any network.

Backward (``dy`` = dL/do): the Linear layers give ``d[h_{i-1}, u] = da_i W_i^T``; its
first columns are ``dh_{i-1}``, which continues through the ReLU, and its last 784 are a
contribution to ``du``. The network's input gradient is the first layer's ``d[z, u]``
with every later layer's ``du`` added to its ``u`` columns (``u`` reaches the loss
along every path: the sum rule).

``widen_generator`` embeds a plain G, or a narrower ``SkipGenerator``, into a
``SkipGenerator`` of the same depth: the source's weights where it has them, zeros in the
rows that read ``u`` (from a plain G) or a new hidden unit, so the widened G computes
exactly the source's function and training starts from it (new units' incoming weights
keep their random start; their zero outgoing weights then get the first gradient).

``ConvGenerator`` reads ``u`` as the 28 x 28 image it is: convolutions see a stroke and
its neighbours wherever they are, which an MLP must learn at every position apart. An
encoder halves the image twice, a fully connected bottleneck (which also takes ``z``)
carries what the observed half says about the whole digit across it (a 4 x 4 kernel at
7 x 7 sees only its neighbourhood), and a decoder doubles it back, reading the encoder's
14 x 14 maps again beside its own (U-Net's skip), so the strokes that cross the seam are
continued from where they are. With ``c`` channels and a bottleneck of ``b`` units:

    e1 = lrelu(conv(u))                    (N, c, 14, 14)     4 x 4, stride 2
    e2 = lrelu(conv(e1))                   (N, 2c, 7, 7)      4 x 4, stride 2
    h  = relu([flat(e2), z] W1 + b1)       (N, b)
    d2 = relu(h W2 + b2)                   (N, 2c, 7, 7)
    d1 = relu(convT(d2))                   (N, c, 14, 14)     4 x 4, stride 2
    o  = sigmoid(convT([d1, e1]))          (N, 1, 28, 28) as (N, 784)

Backward: each layer's own, and at the two joins the sum and the split: the channels of
``d[d1, e1]`` split into ``dd1``, which goes on down the decoder, and a share of
``de1``, added to what reaches ``e1`` through ``e2`` (e1 feeds two layers: the sum
rule); the columns of ``d[flat(e2), z]`` split into ``de2`` and ``dz``. The input
gradient is ``[dz, du]``.
"""

import math

from npgan.backend import get_backend
from npgan.models.inpainting.model import SIDE
from npgan.nn.image_layers import Conv2d, ConvTranspose2d, Flatten, LeakyReLU, Reshape
from npgan.nn.layers import Linear, ReLU, Sequential, Sigmoid


class SkipGenerator(Sequential):
    """``[z, u]`` (N, noise_dim + pixels) -> ``o`` (N, pixels): ReLU layers of ``hidden`` widths,
    sigmoid output, and the last ``pixels`` columns of the input (``u``) fed to every Linear."""

    def __init__(self, noise_dim, hidden, pixels, rng, init_range=0.05, output_bias=None, dtype="float32"):
        if not hidden:
            raise ValueError("SkipGenerator: needs at least one hidden layer (with none it is the plain G)")
        layers, width = [], noise_dim + pixels
        for h in hidden:
            layers += [Linear(width, h, rng, init_range, dtype), ReLU()]
            width = h + pixels
        last = Linear(width, pixels, rng, init_range, dtype)
        if output_bias is not None:
            last.params["b"][...] = output_bias
        super().__init__(*layers, last, Sigmoid())
        self.pixels = pixels

    def __repr__(self):
        return "SkipGenerator(" + ", ".join(repr(layer) for layer in self.layers) + ")"

    def forward(self, x, training=True):
        xp = get_backend()
        u = x[:, -self.pixels:]
        h = x
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Linear) and i > 0:
                h = xp.concatenate([h, u], axis=1)
            h = layer.forward(h, training=training)
        return h

    def backward(self, dy, input_grad=True, param_grads=True):
        """``dx`` (with ``input_grad``) for the forward's input; every parameter's grad (with ``param_grads``).

        Walks the layers last to first; at each Linear after the first, the columns of its
        input gradient that belong to ``u`` are summed into ``du`` and the rest go on.
        """
        du = None
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            first = i == 0
            if first and not input_grad:
                layer.backward(dy, input_grad=False, param_grads=param_grads)
                return None
            dy = layer.backward(dy, input_grad=True, param_grads=param_grads)
            if isinstance(layer, Linear) and not first:
                part = dy[:, -self.pixels:]
                if input_grad:
                    du = part if du is None else du + part
                dy = dy[:, :-self.pixels]
        dy[:, -self.pixels:] += du
        return dy


def widen_generator(source, skip):
    """Copy ``source`` (a plain ``mlp.generator`` G, or a ``SkipGenerator``) into ``skip``, a
    ``SkipGenerator`` of the same depth and hidden widths at least ``source``'s, so that ``skip``
    computes exactly ``source``'s function.

    Per Linear, ``skip``'s weight has row blocks [previous layer's units, u] and column blocks
    [``source``'s units, new units]. The block that ``source`` has is copied; the rows that read
    ``u`` are zero where a plain ``source`` has none; the rows that read a new unit are zero
    (what a new unit computes reaches nothing yet); a new unit's own column keeps ``skip``'s
    random start (so that its outgoing weights get a gradient). ``ValueError`` for a mismatch.
    """
    source_skip = isinstance(source, SkipGenerator)
    pixels = skip.pixels
    linears = [layer for layer in getattr(source, "layers", []) if "W" in layer.params]
    targets = [layer for layer in skip.layers if "W" in layer.params]
    shapes = [tuple(layer.params["W"].shape) for layer in linears]
    if len(linears) != len(targets) or shapes[0][0] != targets[0].params["W"].shape[0] or any(
            t.params["W"].shape[1] < w[1] for t, w in zip(targets, shapes)) or shapes[-1][1] != pixels:
        raise ValueError(f"widen_generator: the source G's layers {shapes} do not fit the skip G's "
                         f"{[tuple(t.params['W'].shape) for t in targets]}; their widths differ")
    previous_source = previous_target = None
    for i, (layer, target) in enumerate(zip(linears, targets)):
        W, b = layer.params["W"], layer.params["b"]
        Wt, bt = target.params["W"], target.params["b"]
        units = W.shape[1]
        bt[:units] = b
        if i == 0:
            Wt[:, :units] = W
        else:
            Wt[:previous_source, :units] = W[:previous_source]
            Wt[previous_source:previous_target] = 0
            Wt[previous_target:, :units] = W[previous_source:] if source_skip else 0
        previous_source, previous_target = units, Wt.shape[1]
    if previous_source != pixels or len(linears) and shapes[-1][1] != pixels:
        raise ValueError("widen_generator: the source G's output is not one value per pixel")


def _he_std(fan_in):
    """He et al.'s (2015) standard deviation for a layer followed by a (leaky) ReLU: sqrt(2 / fan_in)."""
    return math.sqrt(2.0 / fan_in)


class ConvGenerator(Sequential):
    """``[z, u]`` (N, noise_dim + 784) -> ``o`` (N, 784): the encoder-decoder of the module's docstring,
    ``channels`` maps at 14 x 14, ``2 channels`` at 7 x 7, a bottleneck of ``bottleneck`` units.

    Weights start at He et al.'s scale (convolutions N(0, 2 / fan_in), the Linear layers uniform
    with the same variance), fan_in counting the inputs one output sees (a transposed
    convolution of stride 2 gives each output ``in K^2 / 4``); biases at 0.
    """

    def __init__(self, noise_dim, channels, bottleneck, rng, dtype="float32"):
        if min(noise_dim, channels, bottleneck) < 1:
            raise ValueError(f"ConvGenerator: noise_dim, channels and bottleneck must be >= 1, got "
                             f"{noise_dim}, {channels}, {bottleneck}")
        c, quarter = channels, (2 * channels, SIDE // 4, SIDE // 4)
        q = math.prod(quarter)

        def linear(n_in, n_out):
            return Linear(n_in, n_out, rng, math.sqrt(3) * _he_std(n_in), dtype)

        super().__init__(
            Reshape((1, SIDE, SIDE)),  # 0: u as an image
            Conv2d(1, c, 4, rng, 2, 1, _he_std(16), dtype), LeakyReLU(0.2),  # 1, 2: e1
            Conv2d(c, 2 * c, 4, rng, 2, 1, _he_std(16 * c), dtype), LeakyReLU(0.2),  # 3, 4: e2
            Flatten(quarter),  # 5
            linear(q + noise_dim, bottleneck), ReLU(),  # 6, 7: reads [flat(e2), z]
            linear(bottleneck, q), ReLU(),  # 8, 9
            Reshape(quarter),  # 10: d2
            ConvTranspose2d(2 * c, c, 4, rng, 2, 1, _he_std(8 * c), dtype), LeakyReLU(0.0),  # 11, 12: d1
            ConvTranspose2d(2 * c, 1, 4, rng, 2, 1, _he_std(8 * c), dtype),  # 13: reads [d1, e1]
            Flatten((1, SIDE, SIDE)), Sigmoid())  # 14, 15
        self.noise_dim, self.channels, self.bottleneck = noise_dim, channels, bottleneck

    def __repr__(self):
        return f"ConvGenerator(noise {self.noise_dim}, channels {self.channels}, bottleneck {self.bottleneck})"

    def _run(self, first, last, h, training):
        for layer in self.layers[first:last]:
            h = layer.forward(h, training=training)
        return h

    def _back(self, first, last, dy, input_grad, param_grads):
        """Layers ``last - 1`` down to ``first``; the first of them gives its ``dx`` only with ``input_grad``."""
        for i in range(last - 1, first - 1, -1):
            dy = self.layers[i].backward(dy, input_grad=input_grad or i > first, param_grads=param_grads)
        return dy

    def forward(self, x, training=True):
        xp = get_backend()
        z, u = x[:, :self.noise_dim], x[:, self.noise_dim:]
        e1 = self._run(0, 3, u, training)
        h = self._run(3, 6, e1, training)
        h = self._run(6, 13, xp.concatenate([h, z], axis=1), training)
        return self._run(13, 16, xp.concatenate([h, e1], axis=1), training)

    def backward(self, dy, input_grad=True, param_grads=True):
        """``[dz, du]`` (with ``input_grad``; else ``None``) and every parameter's grad (with ``param_grads``)."""
        xp = get_backend()
        c = self.channels
        djoin = self._back(13, 16, dy, True, param_grads)  # d[d1, e1]
        dbottom = self._back(6, 13, djoin[:, :c], True, param_grads)  # d[flat(e2), z]
        de1 = self._back(3, 6, dbottom[:, :-self.noise_dim], True, param_grads) + djoin[:, c:]
        du = self._back(0, 3, de1, input_grad, param_grads)
        if not input_grad:
            return None
        return xp.concatenate([dbottom[:, -self.noise_dim:], du], axis=1)
