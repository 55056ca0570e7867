"""G with the observed pixels fed to every layer (``inpaint_skip``), and its warm start.

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
"""

from npgan.backend import get_backend
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
