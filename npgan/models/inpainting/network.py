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

``widen_generator`` embeds a plain G into a ``SkipGenerator`` of the same widths: the
plain weights in the rows that read ``h``, zeros in the rows that read ``u``, so the
widened G computes exactly the plain one's function and training starts from it.
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


def widen_generator(plain, skip):
    """Copy a plain ``mlp.generator`` G into ``skip`` (a ``SkipGenerator`` of the same widths): the
    plain weights in the rows that read the previous layer, zeros in the rows that read ``u``."""
    plain_params, skip_params = plain.params, skip.params
    if set(plain_params) != set(skip_params):
        raise ValueError(f"widen_generator: the plain G has parameters {sorted(plain_params)}, "
                         f"the skip G {sorted(skip_params)}; their widths differ")
    for key, value in plain_params.items():
        target = skip_params[key]
        if key.endswith(".b") or key == "0.W":
            if target.shape != value.shape:
                raise ValueError(f"widen_generator: {key} has shape {value.shape}, the skip G's {target.shape}")
            target[...] = value
        else:
            rows = value.shape[0]
            if target.shape != (rows + skip.pixels, value.shape[1]):
                raise ValueError(f"widen_generator: {key} has shape {value.shape}, the skip G's {target.shape}")
            target[:rows] = value
            target[rows:] = 0
