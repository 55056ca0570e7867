"""The paper's multilayer perceptrons, at any width.

``generator``: Linear, ReLU, ..., Linear, then a sigmoid (pixels in [0, 1]) or nothing
(real-valued toy data). ``discriminator``: dropout on the input, maxout (or ReLU) hidden
layers each with dropout before the next layer, and a final Linear to one *logit*
``l``; ``D(x) = sigmoid(l)`` is applied inside the losses (``npgan.nn.losses``), which is
where the numerically stable forms live.
"""

from npgan.nn.layers import Dropout, Linear, Maxout, ReLU, Sequential, Sigmoid
from npgan.nn.remedies import MinibatchStddev, Pack

OUTPUTS = ("sigmoid", "linear")
HIDDEN = ("maxout", "relu")


def generator(noise_dim, hidden, out_dim, rng, output="sigmoid", init_range=0.05,
              output_bias=None, dtype="float32"):
    """Noise (N, noise_dim) -> samples (N, out_dim).

    hidden: widths of the ReLU layers, e.g. ``(1200, 1200)`` for the paper's MNIST G.
    output_bias: initial bias of the last Linear (the paper sets it to the logit of
    the per-pixel mean of the training images, so G starts at the data's mean image).
    """
    if output not in OUTPUTS:
        raise ValueError(f"generator: output must be one of {OUTPUTS}, got {output!r}")
    layers, width = [], noise_dim
    for h in hidden:
        layers += [Linear(width, h, rng, init_range, dtype), ReLU()]
        width = h
    last = Linear(width, out_dim, rng, init_range, dtype)
    if output_bias is not None:
        if tuple(output_bias.shape) != (out_dim,):
            raise ValueError(f"generator: output_bias must have shape ({out_dim},), got {tuple(output_bias.shape)}")
        last.params["b"][...] = output_bias
    layers.append(last)
    if output == "sigmoid":
        layers.append(Sigmoid())
    return Sequential(*layers)


def discriminator(in_dim, hidden, rng, n_pieces=5, keep_input=0.8, keep_hidden=0.5,
                  init_range=0.005, activation="maxout", dtype="float32", bias_range=0.0,
                  pack=1, minibatch_std=0):
    """Samples (N, in_dim) -> logits (N, 1), or (N / pack, 1) with ``pack > 1``.

    hidden: widths of the hidden layers, e.g. ``(240, 240)`` maxout units for the
    paper's MNIST D. Dropout keeps ``keep_input`` of the inputs and ``keep_hidden`` of
    the inputs to every later layer (inverted scaling).

    bias_range: biases uniform in ``[-bias_range, bias_range]`` instead of zero. With
    zero biases every piece of a low-dimensional input passes through the origin, so all
    kinks sit at ``x = 0`` and D is *linear* over data far from it (the 1-D Gaussian at
    4): it cannot represent ``D*`` until its biases have crawled there. Random biases
    spread the kinks over the data (the paper's MNIST D keeps zeros).

    pack: PacGAN's packing, ``pack`` samples judged as one (``remedies.Pack``, first).
    minibatch_std: groups of this many rows get their standard deviation as one more
    input of the last hidden layer (``remedies.MinibatchStddev``); 0: none.
    """
    if activation not in HIDDEN:
        raise ValueError(f"discriminator: activation must be one of {HIDDEN}, got {activation!r}")
    if not (0 < keep_input <= 1 and 0 < keep_hidden <= 1):
        raise ValueError("discriminator: keep_input and keep_hidden must be in (0, 1], "
                         f"got {keep_input}, {keep_hidden}")
    layers, width, keep = [], in_dim, keep_input
    if pack > 1:
        layers.append(Pack(pack, in_dim))
        width = pack * in_dim
    for index, h in enumerate(hidden):
        if minibatch_std and index == len(hidden) - 1:
            layers.append(MinibatchStddev(minibatch_std))
            width += 1
        if keep < 1.0:
            layers.append(Dropout(keep, rng))
        if activation == "maxout":
            layers.append(Maxout(width, h, n_pieces, rng, init_range, dtype))
        else:
            layers += [Linear(width, h, rng, init_range, dtype), ReLU()]
        width, keep = h, keep_hidden
    if keep < 1.0:
        layers.append(Dropout(keep, rng))
    layers.append(Linear(width, 1, rng, init_range, dtype))
    if bias_range:
        for layer in layers:
            if "b" in layer.params:
                layer.params["b"][...] = rng.uniform(-bias_range, bias_range, layer.params["b"].shape, dtype)
    return Sequential(*layers)
