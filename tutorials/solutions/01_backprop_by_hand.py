# %% [markdown]
# # Solutions to tutorial 1's exercises
#
# Each solution checks itself (an `assert`), so running this file is the check;
# `NPGAN_FAST=1` changes nothing here (everything takes a second).

# %%
import numpy as np

from npgan.backend import Random
from npgan.nn.gradcheck import check_layer, numerical_gradient, rel_error
from npgan.nn.layers import Layer

rng = Random(0)
x = rng.normal((5, 4), dtype="float64")

# %% [markdown]
# ## 1. A Tanh layer, forward and backward
#
# `y = tanh(x)`, `dy/dx = 1 - tanh(x)^2 = 1 - y^2`, so the backward is `dx = dy * (1 - y^2)`
# and only `y` needs caching. The slip to try: `dx = dy * (1 - x^2)` (the derivative at
# the input instead of the output, tutorial 1's sigmoid bug in another form).


# %%
class Tanh(Layer):
    def forward(self, x, training=True):
        x = self._check_input(x)
        self._cache = np.tanh(x)
        return self._cache

    def backward(self, dy, input_grad=True, param_grads=True):
        y = self._take_cache()
        return dy * (1 - y * y)


class TanhAtTheInput(Tanh):
    def forward(self, x, training=True):
        self._x = x
        return super().forward(x, training)

    def backward(self, dy, input_grad=True, param_grads=True):
        return dy * (1 - self._x * self._x)


right, wrong = check_layer(Tanh(), x)["dx"], check_layer(TanhAtTheInput(), x)["dx"]
print(f"Tanh: dx relative error {right:.1e}; derivative taken at the input: {wrong:.1e}")
assert right < 1e-8 < 1e-2 < wrong

# %% [markdown]
# ## 2. Central against one-sided differences
#
# Taylor: `f(x + h) = f + h f' + h^2/2 f'' + h^3/6 f''' + ...`. The one-sided difference
# `(f(x + h) - f(x)) / h` is off by about `h f''/2`, the central one
# `(f(x + h) - f(x - h)) / 2h` by about `h^2 f'''/6`: shrinking h tenfold shrinks the
# first error tenfold and the second a hundredfold (until rounding takes over, near
# `h = 1e-5` for the central one in float64).

# %%
def sigmoid(t):
    return 1 / (1 + np.exp(-t))


point = 0.3
exact = sigmoid(point) * (1 - sigmoid(point))
for h in (1e-2, 1e-3):
    one_sided = (sigmoid(point + h) - sigmoid(point)) / h
    central = (sigmoid(point + h) - sigmoid(point - h)) / (2 * h)
    print(f"h = {h:.0e}: one-sided error {abs(one_sided - exact):.2e}, central {abs(central - exact):.2e}")
errors = {h: (abs((sigmoid(point + h) - sigmoid(point)) / h - exact),
              abs((sigmoid(point + h) - sigmoid(point - h)) / (2 * h) - exact)) for h in (1e-2, 1e-3)}
assert 8 < errors[1e-2][0] / errors[1e-3][0] < 12      # O(h)
assert 80 < errors[1e-2][1] / errors[1e-3][1] < 120    # O(h^2)

# %% [markdown]
# ## 3. The gradient check of a whole function
#
# The same check works on any scalar function: for `L = sum(softplus(x W))` the gradient
# with respect to `W` is `x^T sigmoid(x W)`.

# %%
W = rng.normal((4, 3), dtype="float64")
analytic = x.T @ sigmoid(x @ W)
numeric = numerical_gradient(lambda: float(np.logaddexp(0, x @ W).sum()), W)
print(f"d sum softplus(x W) / dW: relative error {rel_error(analytic, numeric):.1e}")
assert rel_error(analytic, numeric) < 1e-8
