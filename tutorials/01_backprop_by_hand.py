# %% [markdown]
# # 1. Backpropagation by hand, and how to prove it right
#
# npgan has no autograd. Every layer of the paper's networks (Linear, ReLU, Sigmoid,
# Maxout, Dropout) has a forward pass and a hand-written backward pass, and the only
# thing that tells us the backward pass is right is a **gradient check**: compare it
# with central finite differences in float64.
#
# The contract of a layer (see `npgan/nn/layers.py`):
#
# * `y = layer.forward(x, training=True)` computes the output and keeps what backward needs;
# * `dx = layer.backward(dy)` receives `dy = dL/dy` for some scalar loss `L` and returns
#   `dx = dL/dx`; it also *overwrites* `layer.grads[name]` with `dL/dparam` for every
#   `layer.params[name]`.
#
# The check (`npgan.nn.gradcheck.check_layer`) picks a random `dy` and differentiates the
# scalar `s(x) = sum(forward(x) * dy)`. Its gradient is exactly `J^T dy`, what backward
# returns, and numerically
#
#     ds/dx_i ~ (s(x + h e_i) - s(x - h e_i)) / (2 h)         error O(h^2)
#
# The error reported is `max|a - n| / max(|a| + |n|)` over all entries: about 1e-10 when
# the derivation is right, 1e-2 or worse when it is wrong.
#
# Run this file top to bottom (`python tutorials/01_backprop_by_hand.py`) or open it as
# a notebook (see `tutorials/README.md`). `NPGAN_FAST=1` makes it smaller still.

# %%
import sys
from pathlib import Path

import matplotlib

if "ipykernel" not in sys.modules:  # a script: draw off-screen; a notebook keeps its own backend
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from npgan import tutorial
from npgan.backend import Random, get_backend, to_numpy
from npgan.nn import functional
from npgan.nn.gradcheck import LAYER_TOLERANCE, check_layer, numerical_gradient, rel_error
from npgan.nn.layers import Dropout, Linear, Maxout, ReLU, Sigmoid

FAST = tutorial.fast_mode()  # NPGAN_FAST=1: seconds, not minutes (see npgan.tutorial)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
FIGURES = tutorial.figures_folder(HERE)  # tutorials/figures/ in a full run, a scratch folder in a fast one

xp = get_backend()  # numpy, or cupy with NPGAN_BACKEND=cupy
rng = Random(0)  # every random draw in this tutorial comes from here
N = 4 if FAST else 8  # examples per batch


def data(*shape):
    """Standard normal float64 test inputs on the active backend."""
    return rng.normal(shape, dtype="float64")


results = {}  # layer name -> (worst error of the correct layer, worst error of a broken one)

# %% [markdown]
# ## Linear: `y = x W + b`
#
# Shapes: `x` (N, D), `W` (D, M), `b` (M,), `y` (N, M). Written with indices,
# `y[n, m] = sum_d x[n, d] W[d, m] + b[m]`. Differentiate `L` through every `y[n, m]`
# that depends on the variable:
#
# * `W[d, m]` appears in `y[n, m]` for every `n` with coefficient `x[n, d]`:
#   `dW[d, m] = sum_n x[n, d] dy[n, m]`, i.e. **`dW = x^T dy`** (D, M);
# * `b[m]` appears in `y[n, m]` for every `n` with coefficient 1: **`db = sum_n dy`** (M,);
# * `x[n, d]` appears in `y[n, m]` for every `m` with coefficient `W[d, m]`:
#   `dx[n, d] = sum_m dy[n, m] W[d, m]`, i.e. **`dx = dy W^T`** (N, D).
#
# A quick sanity rule: each gradient has the shape of its variable, and there is only
# one way to multiply the available matrices to get that shape. (It is not a proof: a
# square `W` accepts `dy W` too, as we will see.)

# %%
linear = Linear(5, 5, init_range=0.5, rng=rng, dtype="float64")
x = data(N, 5)
y = linear.forward(x)
print("x", x.shape, "-> y", y.shape)
errors = check_layer(linear, x)
print({k: f"{v:.1e}" for k, v in errors.items()})
assert max(errors.values()) < LAYER_TOLERANCE

# %% [markdown]
# Now the same layer with a classic slip: `dx = dy W` instead of `dy W^T`. With a square
# `W` the shapes still agree, so nothing crashes; only the check can tell. `dW` and `db`
# stay right (they come from the parent class), so the error appears in `dx` alone.


# %%
class LinearMissingTranspose(Linear):
    """A Linear layer whose input gradient forgets the transpose."""

    def backward(self, dy, input_grad=True, param_grads=True):
        super().backward(dy)  # sets the correct dW and db
        return dy @ self.params["W"]  # wrong: should be dy @ W.T


broken = LinearMissingTranspose(5, 5, init_range=0.5, rng=Random(1), dtype="float64")
broken_errors = check_layer(broken, x)
print({k: f"{v:.1e}" for k, v in broken_errors.items()})
results["Linear"] = (max(errors.values()), max(broken_errors.values()))

# %% [markdown]
# ## ReLU: `y = max(x, 0)`
#
# Elementwise, so the Jacobian is diagonal: `dy[n, j]/dx[n, j] = 1 if x > 0 else 0`, and
# **`dx = dy * 1[x > 0]`** (the cache is just that mask). At `x = 0` ReLU has no derivative;
# npgan uses 0 there, and the check keeps inputs away from 0 (random normals land within
# `h = 1e-6` of 0 with probability about 1e-6, and `check_layer` raises if a mask flips
# while probing).
#
# Two broken versions. The first forgets the mask altogether (`dx = dy`) and is caught.
# The second uses `x >= 0` instead of `x > 0`: it differs only *at* the kink, where the
# check never probes, so it passes. A gradient check proves the derivative where it looks,
# nowhere else; here the difference is harmless, because exact zeros almost never occur.

# %%
relu = ReLU()
x = data(N, 6)
errors = check_layer(relu, x)


class ReLUNoMask(ReLU):
    """A ReLU whose backward lets every gradient through."""

    def backward(self, dy, input_grad=True, param_grads=True):
        return dy


class ReLUAtKink(ReLU):
    """A ReLU that credits x = 0 with slope 1: wrong only on a set the check never visits."""

    def forward(self, x, training=True):
        self.x = x
        return super().forward(x, training)

    def backward(self, dy, input_grad=True, param_grads=True):
        return dy * (self.x >= 0)


broken_errors = check_layer(ReLUNoMask(), x)
kink_errors = check_layer(ReLUAtKink(), x)
for name, errs in [("correct", errors), ("no mask", broken_errors), (">= at the kink", kink_errors)]:
    print(f"{name:15s}", {k: f"{v:.1e}" for k, v in errs.items()})
assert max(errors.values()) < LAYER_TOLERANCE and max(kink_errors.values()) < LAYER_TOLERANCE
results["ReLU"] = (max(errors.values()), max(broken_errors.values()))

# %% [markdown]
# ## Sigmoid: `y = 1 / (1 + e^-x)`
#
# Elementwise again. `dy/dx = e^-x / (1 + e^-x)^2 = y (1 - y)`, so
# **`dx = dy * y * (1 - y)`**, which needs only the *output* `y` (that is the cache).
#
# The tempting bug is to evaluate the derivative formula at the wrong point: writing
# `s'(t) = s(t)(1 - s(t))` as a helper and calling it on `y` instead of on `x`, so the
# backward computes `sigmoid(y) * (1 - sigmoid(y))`.

# %%
sigmoid = Sigmoid()
x = data(N, 6)
errors = check_layer(sigmoid, x)


class SigmoidDerivativeOfOutput(Sigmoid):
    """Evaluates sigmoid' at the output y instead of the input x."""

    def forward(self, x, training=True):
        self.y = super().forward(x, training)
        return self.y

    def backward(self, dy, input_grad=True, param_grads=True):
        s = functional.sigmoid(self.y)  # wrong: the derivative at x is y * (1 - y)
        return dy * s * (1 - s)


broken_errors = check_layer(SigmoidDerivativeOfOutput(), x)
print("correct", {k: f"{v:.1e}" for k, v in errors.items()})
print("broken ", {k: f"{v:.1e}" for k, v in broken_errors.items()})
assert max(errors.values()) < LAYER_TOLERANCE
results["Sigmoid"] = (max(errors.values()), max(broken_errors.values()))

# %% [markdown]
# ## Maxout: `y[n, u] = max_p z[n, u, p]`, `z = x W + b`
#
# The discriminator of the paper is built from maxout units (Goodfellow et al., 2013):
# `U` units with `P` linear pieces each, `W` of shape (D, U*P). Unit `u` owns the
# consecutive columns `u*P ... u*P + P - 1` of `z`, so `z.reshape(N, U, P)` lines them up.
#
# The max is locally just one of its arguments: `y[n, u] = z[n, u, which[n, u]]` with
# `which = argmax_p z` (ties go to the first piece). So
# `dz[n, u, p] = dy[n, u] * 1[p == which[n, u]]`: the whole gradient of a unit flows to its
# winning piece, through a one-hot mask. Then `z = x W + b` is a Linear layer:
# `dW = x^T dz`, `db = sum_n dz`, `dx = dz W^T` (with `dz` flattened back to (N, U*P)).
#
# The broken version credits *every* piece with the unit's gradient, as if
# `y = sum_p z`; the check catches it in `dx`, `W` and `b`.

# %%
maxout = Maxout(7, 4, 3, init_range=0.5, rng=rng, dtype="float64")
x = data(N, 7)
y = maxout.forward(x)
print("x", x.shape, "-> z", (N, 4 * 3), "-> y", y.shape)
errors = check_layer(maxout, x)


class MaxoutEveryPiece(Maxout):
    """Sends each unit's gradient to all of its pieces instead of the winner."""

    def forward(self, x, training=True):
        self.x = x
        return super().forward(x, training)

    def backward(self, dy, input_grad=True, param_grads=True):
        dz = xp.repeat(dy, self.n_pieces, axis=1)  # (N, U*P), wrong: no one-hot mask
        dx, self.grads["W"], self.grads["b"] = functional.linear_backward(dz, (self.x, self.params["W"]))
        return dx


broken = MaxoutEveryPiece(7, 4, 3, init_range=0.5, rng=Random(2), dtype="float64")
broken_errors = check_layer(broken, x)
print("correct", {k: f"{v:.1e}" for k, v in errors.items()})
print("broken ", {k: f"{v:.1e}" for k, v in broken_errors.items()})
assert max(errors.values()) < LAYER_TOLERANCE
results["Maxout"] = (max(errors.values()), max(broken_errors.values()))

# %% [markdown]
# ## Dropout: `y = x * mask / keep_prob`
#
# npgan names dropout by what it *keeps*: each entry survives with probability
# `keep_prob` (0.8 on the paper's D input, 0.5 on its hidden layers), and survivors are
# divided by `keep_prob` so that `E[y] = x` and evaluation needs no rescaling
# ("inverted" dropout). Once the mask is drawn, the layer is multiplication by the fixed
# `s = mask / keep_prob`, so **`dx = dy * s`**: dropped units get no gradient.
#
# A check needs a deterministic function, so `check_layer` holds the mask of the first
# forward pass fixed while it probes (`Dropout.fixed_mask`).
#
# The broken version is a bug that shipped in a well-known NumPy library: a backward that
# ignores the mask and only rescales, `dx = dy / keep_prob`. Dropped units then receive
# gradient for an output they never produced.

# %%
dropout = Dropout(0.5, rng=rng)
x = data(N, 6)
y = dropout.forward(x)
print("kept", int(to_numpy(dropout.mask).sum()), "of", dropout.mask.size, "entries")
errors = check_layer(dropout, x)


class DropoutIgnoresMask(Dropout):
    """Rescales the gradient but forgets which units were dropped."""

    def backward(self, dy, input_grad=True, param_grads=True):
        return dy / self.keep_prob


broken_errors = check_layer(DropoutIgnoresMask(0.5, rng=Random(3)), x)
print("correct", {k: f"{v:.1e}" for k, v in errors.items()})
print("broken ", {k: f"{v:.1e}" for k, v in broken_errors.items()})
assert max(errors.values()) < LAYER_TOLERANCE
results["Dropout"] = (max(errors.values()), max(broken_errors.values()))

# %% [markdown]
# ## Why float64 and central differences
#
# The finite-difference estimate has two errors that pull in opposite directions:
# truncation, `O(h^2)` for the central difference (`O(h)` for a one-sided one), and
# rounding, about `eps * |s| / h`, where `eps` is the machine epsilon (2e-16 in float64,
# 1e-7 in float32). The sweep below checks `dx` of the Sigmoid layer over `h` (a Linear
# layer would be a poor subject: it is linear in `x`, so differences have no truncation
# error at all). Central differences in float64 have a wide valley around `h = 1e-5`,
# far below the 1e-7 tolerance (npgan uses `h = 1e-6`). One-sided differences barely dip
# under it at their best `h`. In float32 the best `h` (about 1e-2) leaves an error near
# 1e-5, and at `h = 1e-6` the estimate is rounding noise: a tolerance loose enough for
# float32 would let small genuine bugs through. That is why every check runs in float64.

# %%
def sigmoid_dx_error(h, dtype, one_sided=False):
    layer = Sigmoid()
    x = Random(5).normal((N, 6), dtype=dtype)
    dy = Random(6).normal((N, 6), dtype=dtype)
    layer.forward(x)
    analytic = layer.backward(dy)
    s = lambda: xp.sum(layer.forward(x) * dy)  # noqa: E731
    if not one_sided:
        return rel_error(analytic, numerical_gradient(s, x, h))
    base, numeric, flat = float(s()), xp.zeros_like(x), x.reshape(-1)
    for i in range(x.size):  # forward differences, to show their O(h) error
        old = flat[i].copy()
        flat[i] = old + h
        numeric.reshape(-1)[i] = (float(s()) - base) / h
        flat[i] = old
    return rel_error(analytic, numeric)


steps = np.logspace(-1, -11, 6 if FAST else 21)
sweep = {
    "float64, central": [sigmoid_dx_error(h, "float64") for h in steps],
    "float64, one-sided": [sigmoid_dx_error(h, "float64", one_sided=True) for h in steps],
    "float32, central": [sigmoid_dx_error(h, "float32") for h in steps],
}
for name, errs in sweep.items():
    best = int(np.argmin(errs))
    print(f"{name:20s} best h {steps[best]:.0e}: error {errs[best]:.1e}")

# %% [markdown]
# ## The picture
#
# Left: the worst relative error of each layer's gradients, correct derivation against
# the broken one, with the tolerance npgan's tests use (1e-7). The gap is eight orders of
# magnitude or more, which is what makes the check decisive. Right: the step-size sweep.

# %%
names = list(results)
correct = [max(results[n][0], 1e-17) for n in names]  # a log axis cannot show an exact 0
wrong = [results[n][1] for n in names]
positions = np.arange(len(names))

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
ax1.bar(positions - 0.2, correct, 0.4, label="derivation as in npgan", color="tab:green")
ax1.bar(positions + 0.2, wrong, 0.4, label="deliberately broken backward", color="tab:red")
ax1.axhline(LAYER_TOLERANCE, color="black", ls="--", lw=1, label=f"tolerance {LAYER_TOLERANCE:g}")
ax1.set_yscale("log")
ax1.set_xticks(positions, names)
ax1.set_ylabel("relative error, worst gradient")
ax1.set_title("Gradient checks in float64")
ax1.legend(fontsize=8, loc="center left")

for name, errs in sweep.items():
    ax2.loglog(steps, errs, "o-", ms=3, label=name)
ax2.axhline(LAYER_TOLERANCE, color="black", ls="--", lw=1)
ax2.invert_xaxis()
ax2.set_xlabel("finite-difference step h")
ax2.set_ylabel("relative error of dx (Sigmoid, correct)")
ax2.set_title("Truncation vs rounding")
ax2.legend(fontsize=8)
fig.tight_layout()
path = FIGURES / "01_gradcheck.png"
fig.savefig(path, dpi=90)
plt.show()
print("saved", path)

# %% [markdown]
# ## What to take away
#
# * Each backward pass is the chain rule written once per variable, in the code's names:
#   `dW = x^T dy`, `db = sum_n dy`, `dx = dy W^T`; `dx = dy * 1[x > 0]`;
#   `dx = dy * y * (1 - y)`; one-hot routing to the winning maxout piece; `dx = dy * s`.
# * A shape check catches some slips; a float64 central-difference check catches the rest
#   that matter, with errors of ~1e-10 against ~1e-1.
# * It checks only where it probes: a bug that lives exactly on a kink passes.
# * Next: whole networks are checked the same way (`npgan gradcheck` prints the table for
#   every layer, loss and a paper-shaped D and G), and tutorial 2 turns to what the
#   discriminator these layers build is supposed to learn.

# %% [markdown]
# ## Exercises
#
# 1. Write a `Tanh` layer (forward and backward, caching only the output) and check it
#    with `check_layer`; then write the slip that takes the derivative at the input, `1
#    - x^2`, and watch the check catch it.
# 2. On the sigmoid at one point, compare the error of a one-sided difference `(f(x + h)
#    - f(x)) / h` with a central one for `h = 1e-2` and `1e-3`: show from Taylor's
#    formula why one falls tenfold and the other a hundredfold.
# 3. Derive `d/dW sum(softplus(x W))` and check it against `numerical_gradient`.
#
# Solutions: `tutorials/solutions/01_backprop_by_hand.py` (the test suite runs it in fast mode).
