# %% [markdown]
# # Solutions to tutorial 3's exercises
#
# Each solution checks itself (an `assert`); everything takes a second.

# %%
import numpy as np

from npgan.backend import asarray, to_numpy
from npgan.nn import losses
from npgan.nn.gradcheck import numerical_gradient, rel_error

# %% [markdown]
# ## 1. The two generator objectives' gradients against the logit
#
# With `D = sigmoid(l)`: the minimax loss `log(1 - D) = -softplus(l)` has
# `d/dl = -sigmoid(l) = -D`; the non-saturating `-log D = softplus(-l)` has
# `d/dl = sigmoid(l) - 1 = -(1 - D)`. Where D rejects a fake confidently (`D = 0.01`) the
# first is 99 times smaller than the second. Check both against `losses.generator_loss`
# (which averages over the batch: divide by N) and against central differences.

# %%
logits = asarray(np.array([[-4.595], [-2.0], [0.0], [2.0]]))  # D(G(z)) = 0.01, 0.12, 0.5, 0.88
d = 1 / (1 + np.exp(-to_numpy(logits)))
n = logits.shape[0]
for kind, by_hand in (("minimax", -d / n), ("nonsaturating", -(1 - d) / n)):
    loss, grad = losses.generator_loss(logits, kind)
    numeric = numerical_gradient(lambda: float(losses.generator_loss(logits, kind)[0]), logits)
    print(f"{kind:13s}: by hand vs npgan {rel_error(by_hand, grad):.1e}, vs central differences "
          f"{rel_error(grad, numeric):.1e}")
    assert rel_error(by_hand, grad) < 1e-12 and rel_error(grad, numeric) < 1e-7
ratio = (1 - d[0, 0]) / d[0, 0]
print(f"at D(G(z)) = {d[0, 0]:.3f} the non-saturating gradient is {ratio:.0f} times the minimax one")
assert 95 < ratio < 103

# %% [markdown]
# ## 2. Both objectives have the same fixed point
#
# At the optimum of the game `D(G(z)) = 1/2`. Summed over a batch, both gradients are
# then `-1/(2N)` per example: neither objective pushes G away from the equilibrium
# harder than the other, they differ only far from it.

# %%
half = asarray(np.zeros((3, 1)))
g_minimax = to_numpy(losses.generator_loss(half, "minimax")[1])
g_nonsat = to_numpy(losses.generator_loss(half, "nonsaturating")[1])
print("gradients at D = 1/2:", g_minimax.ravel(), g_nonsat.ravel())
assert np.allclose(g_minimax, g_nonsat) and np.allclose(g_minimax, -1 / 6)
