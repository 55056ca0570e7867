# %% [markdown]
# # Solutions to tutorial 12's exercises
#
# Each solution checks itself (an `assert`); a second, no data.

# %%
import numpy as np
from scipy.special import logsumexp

from npgan.backend import Random, to_numpy
from npgan.models.semisup import model as semisup_model
from npgan.nn.gradcheck import check_loss

# %% [markdown]
# ## 1. Why the fake logit can be fixed at 0
#
# A (K+1)-way softmax is unchanged when every logit moves by the same constant. Give the
# fake class a free logit `f`: then `D(x) = 1 - p(fake | x) = sigmoid(logsumexp(l) - f)`.
# Subtracting `f` from all K+1 logits gives the same probabilities with the fake logit
# at 0, which is the parameterisation npgan uses.

# %%
rng = np.random.default_rng(0)
l, f = rng.normal(size=(5, 10)) * 2, rng.normal(size=(5, 1))
full = np.concatenate([l, f], axis=1)
p = np.exp(full - logsumexp(full, axis=1, keepdims=True))
shifted = np.concatenate([l - f, np.zeros_like(f)], axis=1)
p_shifted = np.exp(shifted - logsumexp(shifted, axis=1, keepdims=True))
d_formula = 1 / (1 + np.exp(-(logsumexp(l, axis=1) - f[:, 0])))
assert np.allclose(p, p_shifted) and np.allclose(1 - p[:, -1], d_formula)
assert np.allclose(to_numpy(semisup_model.real_probability(l - f)), d_formula)
print("D(x):", np.round(d_formula, 4))

# %% [markdown]
# ## 2. The best step for a gradient check
#
# Sweep `h` for the unsupervised loss at the tutorial's logits: the error falls as `h^2`
# (truncation) until rounding, `eps |L| / h`, takes over. The best `h` sits where the two
# meet, far from the usual 1e-6 when the gradient is small.

# %%
real_logits, fake_logits = (Random(0).normal((6, 10), "float64") * 3 for _ in range(2))
steps = [1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2]
errors = [check_loss(lambda x: semisup_model.unsupervised_loss(x, fake_logits)[:2], real_logits, h) for h in steps]
for h, e in zip(steps, errors):
    print(f"h = {h:.0e}: relative error {e:.1e}")
best = steps[int(np.argmin(errors))]
assert 1e-5 <= best <= 1e-3 and min(errors) < 1e-8
