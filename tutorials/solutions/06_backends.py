# %% [markdown]
# # Solutions to tutorial 6's exercises
#
# Each solution checks itself (an `assert`); NumPy only, a second.

# %%
import time

import numpy as np

from npgan.backend import Random, to_numpy
from npgan.nn.gradcheck import numerical_gradient, rel_error

# %% [markdown]
# ## 1. Why gradient checks run in float64
#
# Central differences in float32 drown in rounding: the error of a difference quotient is
# about `eps |f| / h`, and float32's `eps = 1.2e-7` against float64's `2.2e-16`. Check
# the gradient of `sum(tanh(x W))` in both precisions at the same `h`.

# %%
rng = Random(0)
x64, W64 = rng.normal((6, 5), dtype="float64"), rng.normal((5, 4), dtype="float64")
errors = {}
for dtype in ("float32", "float64"):
    x, W = x64.astype(dtype), W64.astype(dtype)
    analytic = x.T @ (1 - np.tanh(x @ W) ** 2)
    numeric = numerical_gradient(lambda: np.tanh(x @ W).sum(), W, h=1e-3)
    errors[dtype] = rel_error(analytic, numeric)
    print(f"{dtype}: relative error {errors[dtype]:.1e}")
assert errors["float64"] < 1e-5 < errors["float32"]

# %% [markdown]
# ## 2. Timing honestly
#
# Warm up, repeat, take the best (the least disturbed) time; compare float32 and float64
# matrix products of the paper's widths. On a CPU float32 is usually faster (half the
# memory traffic); the results agree to float32's precision.

# %%
a64 = to_numpy(Random(1).normal((100, 1200), dtype="float64"))
b64 = to_numpy(Random(2).normal((1200, 1200), dtype="float64"))
timings, results = {}, {}
for dtype in ("float32", "float64"):
    a, b = a64.astype(dtype), b64.astype(dtype)
    a @ b  # warm-up
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        results[dtype] = a @ b
        best = min(best, time.perf_counter() - start)
    timings[dtype] = best
print({k: f"{1000 * v:.2f} ms" for k, v in timings.items()}, f"ratio {timings['float64'] / timings['float32']:.2f}")
difference = np.abs(results["float32"] - results["float64"]).max() / np.abs(results["float64"]).max()
print(f"largest difference relative to the largest entry: {difference:.1e}")
assert difference < 1e-5
