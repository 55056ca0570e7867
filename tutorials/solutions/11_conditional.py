# %% [markdown]
# # Solutions to tutorial 11's exercises
#
# Each solution checks itself (an `assert`). They use the committed models in
# `pretrained/` and no data set; `NPGAN_FAST=1` draws fewer samples.

# %%
from pathlib import Path

import numpy as np

import npgan
from npgan import tutorial
from npgan.backend import Random, asarray, to_numpy
from npgan.evaluation import classifier as classifiers
from npgan.models.inpainting import model as inpaint_model

FAST = tutorial.fast_mode()
REPO = Path(__file__).resolve().parents[2] if "__file__" in globals() else Path.cwd().parents[1]

# %% [markdown]
# ## 1. The diversity term is flat above its cap
#
# `L_div = -1/h sum_n min(d_n / s_n, 0.02)`: once two completions of one input are far
# enough apart (per unit of code distance), the term stops asking for more, and its
# gradient is exactly 0. Build one pair below the cap and one far above it.

# %%
rng = Random(0)
observed = to_numpy(inpaint_model.observed_mask("top", 1, rng, "float64"))
observed2 = np.concatenate([observed, observed])
z = to_numpy(rng.uniform(-1.7, 1.7, (2, 8), "float64"))
base = np.full((1, 784), 0.5)
for name, other in (("close", base + 0.01), ("far apart", base + 0.5)):
    loss, grad = inpaint_model.diversity_loss(np.concatenate([base, other]), z, observed2)
    print(f"{name:9s}: L_div {float(loss):+.4f}, largest |dL/do| {np.abs(to_numpy(grad)).max():.2e}")
    if name == "far apart":
        assert float(loss) == -0.02 and not np.abs(to_numpy(grad)).any()
    else:
        assert float(loss) > -0.02 and np.abs(to_numpy(grad)).max() > 0

# %% [markdown]
# ## 2. Which digits does the committed cGAN draw worst?
#
# Ask for `n` samples of each class and score each class separately with npgan's
# classifier. The share differs by class; the overall number hides it.

# %%
cgan = npgan.load(REPO / "pretrained" / "npgan-mnist-cgan.npz")
net = classifiers.load()[0]
per_class = 20 if FAST else 200
labels = np.repeat(np.arange(10), per_class)
samples = cgan.sample(len(labels), rng=Random(1), labels=asarray(labels))
predicted = to_numpy(net.logits(samples)).argmax(axis=1)
shares = (predicted == labels).reshape(10, per_class).mean(axis=1)
print("share classified as asked, per class:", np.round(shares, 2))
print(f"worst: {shares.argmin()} ({shares.min():.0%}); overall {shares.mean():.1%}")
assert shares.mean() > 0.5 and shares.min() < shares.max()
