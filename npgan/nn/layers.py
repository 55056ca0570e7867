"""Thin layer classes over ``npgan.nn.functional``.

The contract every layer keeps (and ``Sequential`` too):

- ``forward(x, training=True)`` returns ``y`` and keeps what ``backward`` needs;
- ``backward(dy)`` returns ``dx`` and *overwrites* ``grads[name]`` for every
  ``params[name]`` (same keys, same shapes); ``backward`` before ``forward`` raises;
- ``params`` and ``grads`` are dicts of arrays keyed by name; optimisers update
  ``params`` in place, so references to them stay valid.

- ``backward`` also works after ``forward(x, training=False)``: it is then the gradient
  of the evaluation-mode function (for ``Dropout``, the identity), which is what a
  gradient through a frozen network in evaluation mode needs.

Layers work in any float dtype; the dtype of the parameters is the caller's choice
(float32 to train, float64 to check gradients). Inputs are checked for shape; a wrong
shape raises ``ValueError`` that names the layer and the shape it expected. A layer
with parameters computes in their dtype: an input of another real dtype (float64 into
a float32 layer, integers, booleans) is cast to it; a complex or non-numeric input is
refused with ``TypeError``. Every random draw (initial weights, dropout masks) comes
from a ``Random`` the caller passes in; no layer has a seed of its own.

The math lives in ``functional`` (plain forms, derived); the layers call the fast
forms of ``kernels`` where the training step spends its time.
"""

from npgan.backend import get_backend
from npgan.nn import functional, kernels


class Layer:
    """Base class: parameter bookkeeping, input checks, the backward-before-forward guard."""

    def __init__(self):
        self.params = {}
        self.grads = {}
        self._cache = None

    def __repr__(self):
        return f"{type(self).__name__}()"

    def _check_input(self, x, width=None):
        """``x`` as this layer computes with it; ``ValueError`` for a wrong shape, ``TypeError`` for complex."""
        kind = getattr(getattr(x, "dtype", None), "kind", None)
        if kind not in ("f", "i", "u", "b"):
            raise TypeError(f"{self!r}: expected a real-valued array, got {getattr(x, 'dtype', type(x).__name__)}")
        if getattr(x, "ndim", None) != 2:
            raise ValueError(
                f"{self!r}: expected a 2-D input (batch, features), "
                f"got shape {getattr(x, 'shape', type(x).__name__)}"
            )
        if width is not None and x.shape[1] != width:
            raise ValueError(
                f"{self!r}: expected input of shape (batch, {width}), got {tuple(x.shape)}"
            )
        dtype = next(iter(self.params.values())).dtype if self.params else None
        if dtype is not None and x.dtype != dtype:
            return x.astype(dtype)
        if dtype is None and kind != "f":
            return x.astype("float32")
        return x

    def _take_cache(self):
        if self._cache is None:
            raise RuntimeError(f"{self!r}: backward() called before forward()")
        return self._cache

    def kinks(self):
        """Which side of each kink the last forward pass was on (``None`` for a smooth layer).

        ReLU: its active mask; Maxout: its winning pieces. A gradient check compares these
        before and after probing, to tell a wrong backward from a probe across a kink.
        """
        return None

    def _check_grad(self, dy, shape):
        if tuple(dy.shape) != tuple(shape):
            raise ValueError(f"{self!r}: expected dy of shape {tuple(shape)}, got {tuple(dy.shape)}")


def _uniform_init(rng, shape, init_range, dtype):
    return rng.uniform(-init_range, init_range, shape, dtype=dtype)


class Linear(Layer):
    """``y = x W + b`` with ``W`` (n_in, n_out) uniform in [-init_range, init_range] from ``rng``, ``b`` zero."""

    def __init__(self, n_in, n_out, rng, init_range=0.05, dtype="float32"):
        super().__init__()
        if n_in < 1 or n_out < 1:
            raise ValueError(f"Linear: n_in and n_out must be >= 1, got {n_in}, {n_out}")
        xp = get_backend()
        self.n_in, self.n_out = n_in, n_out
        self.params = {
            "W": _uniform_init(rng, (n_in, n_out), init_range, dtype),
            "b": xp.zeros(n_out, dtype=dtype),
        }

    def __repr__(self):
        return f"Linear({self.n_in}, {self.n_out})"

    def forward(self, x, training=True):
        x = self._check_input(x, self.n_in)
        y, self._cache = functional.linear_forward(x, self.params["W"], self.params["b"])
        return y

    def backward(self, dy, input_grad=True, param_grads=True):
        x, _ = cache = self._take_cache()
        self._check_grad(dy, (x.shape[0], self.n_out))
        dx, dW, db = functional.linear_backward(dy, cache, input_grad, param_grads)
        if param_grads:
            self.grads["W"], self.grads["b"] = dW, db
        return dx


class Maxout(Layer):
    """Maxout: ``n_units`` units, each the max of ``n_pieces`` linear pieces.

    ``W`` is (n_in, n_units * n_pieces); unit ``u`` owns the consecutive columns
    ``u*n_pieces ... u*n_pieces + n_pieces - 1``. Ties go to the first piece.
    """

    def __init__(self, n_in, n_units, n_pieces, rng, init_range=0.005, dtype="float32"):
        super().__init__()
        if n_pieces < 1:
            raise ValueError(f"Maxout: n_pieces must be >= 1, got {n_pieces}")
        if n_in < 1 or n_units < 1:
            raise ValueError(f"Maxout: n_in and n_units must be >= 1, got {n_in}, {n_units}")
        xp = get_backend()
        self.n_in, self.n_units, self.n_pieces = n_in, n_units, n_pieces
        width = n_units * n_pieces
        self.params = {
            "W": _uniform_init(rng, (n_in, width), init_range, dtype),
            "b": xp.zeros(width, dtype=dtype),
        }

    def __repr__(self):
        return f"Maxout({self.n_in}, {self.n_units} units x {self.n_pieces} pieces)"

    def forward(self, x, training=True):
        x = self._check_input(x, self.n_in)
        y, self._cache = kernels.maxout_forward(x, self.params["W"], self.params["b"], self.n_pieces)
        return y

    def kinks(self):
        return self._take_cache()[2]

    def backward(self, dy, input_grad=True, param_grads=True):
        x = self._take_cache()[0]
        self._check_grad(dy, (x.shape[0], self.n_units))
        dx, dW, db = kernels.maxout_backward(dy, self._cache, input_grad, param_grads)
        if param_grads:
            self.grads["W"], self.grads["b"] = dW, db
        return dx


class _Elementwise(Layer):
    """A parameter-free layer applied element by element."""

    _forward = _backward = None

    def forward(self, x, training=True):
        x = self._check_input(x)
        y, self._cache = type(self)._forward(x)
        self._shape = x.shape
        return y

    def backward(self, dy, input_grad=True, param_grads=True):
        cache = self._take_cache()
        self._check_grad(dy, self._shape)
        return type(self)._backward(dy, cache)


class ReLU(_Elementwise):
    """``y = max(x, 0)``."""

    _forward = staticmethod(functional.relu_forward)
    _backward = staticmethod(functional.relu_backward)

    def kinks(self):
        return self._take_cache()


class Sigmoid(_Elementwise):
    """``y = 1 / (1 + exp(-x))``."""

    _forward = staticmethod(kernels.sigmoid_forward)
    _backward = staticmethod(functional.sigmoid_backward)


class Dropout(Layer):
    """Inverted dropout named by what it keeps: each unit kept with probability ``keep_prob``.

    Kept units are divided by ``keep_prob`` during training; with ``training=False`` the
    layer is the identity (and so is its backward). The mask is drawn from the
    ``Random`` given at construction and kept for ``backward``. To hold a mask fixed
    (gradient checks, parity tests), set ``fixed_mask`` to an array of 0s and 1s of the
    input's shape: every training pass uses it until it is set back to ``None``.
    """

    def __init__(self, keep_prob, rng):
        super().__init__()
        if not 0.0 < keep_prob <= 1.0:
            raise ValueError(f"Dropout: keep_prob must be in (0, 1], got {keep_prob}")
        self.keep_prob = float(keep_prob)
        self.rng = rng
        self.fixed_mask = None

    def __repr__(self):
        return f"Dropout(keep_prob={self.keep_prob})"

    def forward(self, x, training=True):
        x = self._check_input(x)
        self._shape = x.shape
        if not training or (self.keep_prob == 1.0 and self.fixed_mask is None):
            self._cache = (None,)  # the identity: no scale
            return x
        mask = self.fixed_mask
        if mask is None:
            mask = self.rng.bernoulli(self.keep_prob, x.shape, dtype=bool)
        elif tuple(mask.shape) != tuple(x.shape):
            raise ValueError(f"{self!r}: expected fixed_mask of shape {tuple(x.shape)}, got {tuple(mask.shape)}")
        y, scale = functional.dropout_forward(x, mask, self.keep_prob)
        self._cache = (scale,)
        return y

    @property
    def mask(self):
        """The 0/1 mask of the last forward pass (``None`` if it was the identity)."""
        (scale,) = self._take_cache()
        return None if scale is None else (scale != 0).astype(scale.dtype)

    def backward(self, dy, input_grad=True, param_grads=True):
        (scale,) = self._take_cache()
        self._check_grad(dy, self._shape)
        return dy if scale is None else functional.dropout_backward(dy, scale)


class Sequential(Layer):
    """Layers applied in order; the same contract as a single layer.

    ``params``/``grads`` are views keyed ``"<index>.<name>"`` (e.g. ``"0.W"``), and
    ``parameters()`` yields ``(key, layer, name)`` for every parameter, which is what
    optimisers and checkpoints iterate over.
    """

    def __init__(self, *layers):
        if not layers:
            raise ValueError("Sequential: needs at least one layer")
        self.layers = list(layers)

    def __repr__(self):
        return "Sequential(" + ", ".join(repr(layer) for layer in self.layers) + ")"

    def __iter__(self):
        return iter(self.layers)

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, i):
        return self.layers[i]

    def parameters(self):
        """Yield ``(key, layer, name)`` for every parameter, in layer order."""
        for i, layer in enumerate(self.layers):
            for name in layer.params:
                yield f"{i}.{name}", layer, name

    @property
    def params(self):
        """``{"<index>.<name>": array}``: the layers' own arrays (read-only view of the dict)."""
        return {key: layer.params[name] for key, layer, name in self.parameters()}

    @property
    def grads(self):
        """``{"<index>.<name>": array}`` for every gradient the last ``backward`` computed."""
        return {key: layer.grads[name] for key, layer, name in self.parameters() if name in layer.grads}

    def forward(self, x, training=True):
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, dy, input_grad=True, param_grads=True):
        """Backpropagate through every layer, last to first.

        ``input_grad=False`` skips the network's ``dx`` (returns ``None``);
        ``param_grads=False`` computes only the input gradient (the parameters' grads are
        left as they were). Only the gradients something needs are computed: layer
        ``i`` needs its ``dy`` if it has parameters whose grads are wanted or if its own
        ``dx`` is needed, and its ``dx`` is needed if layer ``i - 1`` needs its ``dy``
        (the network's ``dx`` if ``input_grad``). So in a D step, where D's first layers
        are Dropout then Maxout, Maxout's ``dx = dz W^T`` (a product as large as its
        ``dW``) and Dropout's backward are skipped: nothing reads them.
        """
        needs_dy, wanted = [], input_grad  # wanted: is the dx of the next layer needed?
        for layer in self.layers:
            needs_dy.append(wanted or (param_grads and bool(layer.params)))
            wanted = needs_dy[-1]
        for i in range(len(self.layers) - 1, -1, -1):
            if not needs_dy[i]:
                return None  # no earlier layer needs anything either
            need_dx = input_grad if i == 0 else needs_dy[i - 1]
            dy = self.layers[i].backward(dy, input_grad=need_dx, param_grads=param_grads)
        return dy
