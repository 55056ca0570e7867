# %% [markdown]
# # 9. Before GANs: autoencoders and the VAE
#
# The GAN paper's Table 2 compares four families of deep generative models on training,
# inference, sampling, evaluating `p(x)` and model design: "Deep directed graphical
# models", "Deep undirected graphical models", "Generative autoencoders" and
# "Adversarial models". Two of those columns are built here with npgan's own layers and
# hand-written backward passes, and run on MNIST. The table's "generative autoencoders"
# are the denoising autoencoders and generative stochastic networks, whose sampling
# "Requires Markov chain"; the VAE (Kingma and Welling, 2014, cited by the paper for its
# stochastic backpropagation) is a *deep directed* model with "Learned approximate
# inference", the first column. (The table gives adversarial models learned approximate
# inference too, as future work: tutorial 10 builds it, and borrows its reconstruction
# term from this tutorial.)
#
# 1. the **autoencoder**: an encoder to a small code, a decoder back, trained to
#    reconstruct; the Bernoulli cross-entropy from logits;
# 2. the **denoising criterion** (Vincent et al., 2008): reconstruct the clean image from
#    a corrupted one, which the paper's Markov-chain discussion generalises;
# 3. the **VAE** (Kingma and Welling, 2014): the reparameterisation `z = mu + sigma * eps`
#    and its gradient by hand; the two bugs it invites, and what catches each: a missing
#    1/2 in the backward (the gradient check), a KL added with the wrong sign (not the
#    gradient check: the invariants of a bound); then the VAE's training step written
#    out and checked against the library's;
# 4. the **ELBO's two terms** over training, and the importance-weighted bound on
#    `log p(x)` that a VAE has and a GAN does not;
# 5. **samples** from the prior and the **2-d latent map**.
#
# The models are `npgan.models.autoencoders.model` (the math in `npgan.models.autoencoders.losses`), trained
# by `npgan.train.train` exactly as `npgan train --preset mnist-ae|mnist-dae|mnist-vae`
# trains them. A full run takes a few minutes on 2 cores; `NPGAN_FAST=1` shrinks it to
# seconds (and its pictures to nonsense).

# %%
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small matrices: one BLAS thread is fastest

import matplotlib

if "ipykernel" not in sys.modules:  # a script: draw off-screen; a notebook keeps its own backend
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import npgan
from npgan import tutorial
from npgan.backend import Random, asarray, to_numpy
from npgan.datasets.idx import load_mnist
from npgan.models.autoencoders import losses as ae_losses
from npgan.models.autoencoders.bounds import bounds
from npgan.models.autoencoders.training import evaluation_images
from npgan.nn.gradcheck import numerical_gradient, rel_error
from npgan.plots import tile_images
from npgan.presets import get_preset
from npgan.train import train

FAST = tutorial.fast_mode()  # NPGAN_FAST=1: seconds, not minutes (see npgan.tutorial)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
FIGURES = tutorial.figures_folder(HERE)  # tutorials/figures/ in a full run, a scratch folder in a fast one
RUNS = Path(tempfile.mkdtemp(prefix="npgan-tutorial-09-"))  # the run folders of this tutorial

mnist = load_mnist()
# Fast mode: tiny networks, batches of 500 (100 steps an epoch), one or two epochs.
SMALL = dict(ae_hidden=(32,), batch_size=500, sample_every=0) if FAST else dict(sample_every=0)
EPOCHS = {"ae": 1, "dae": 1, "vae": 2, "vae2d": 2} if FAST else {"ae": 10, "dae": 10, "vae": 20, "vae2d": 30}


def fit(preset, name, **changes):
    """Train a preset (with changes) into its own run folder; returns the trained model."""
    config = get_preset(preset).replace(**{**SMALL, "epochs": EPOCHS[name], **changes})
    return train(config, RUNS / name, quiet=True)


def grid(ax, images, ncols, title):
    ax.imshow(tile_images(images, ncols), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.axis("off")


# %% [markdown]
# ## 1. The autoencoder: compress, then reconstruct
#
# The encoder `E` is Linear/ReLU layers down to a code `h` of 50 numbers; the decoder `G`
# mirrors it back to one **logit** `l_d` per pixel. Reading each pixel as a Bernoulli
# with mean `s_d = sigmoid(l_d)`, the reconstruction loss of an image is its negative
# log-probability, in nats:
#
#     L = -sum_d [x_d log s_d + (1 - x_d) log(1 - s_d)] = sum_d [softplus(l_d) - x_d l_d]
#
# using `log s = -softplus(-l)`, `log(1 - s) = -softplus(l)` and
# `softplus(-l) = softplus(l) - l`. Differentiating, `dL/dl_d = sigmoid(l_d) - x_d`: the
# same "prediction minus target" as the GAN's discriminator loss, now per pixel. Written
# from logits it never takes `log(0)`, however saturated the decoder is.

# %%
rng = Random(0)
x = asarray(mnist.test_x[:3, 392:448], dtype="float64")  # two rows of pixels through the middle of 3 digits
logits = rng.normal(x.shape, dtype="float64") * 3
loss, dlogits = ae_losses.bernoulli_cross_entropy(logits, x)
numeric = numerical_gradient(lambda: ae_losses.bernoulli_cross_entropy(logits, x)[0], logits)
print(f"Bernoulli cross-entropy of random logits: {float(loss):.1f} nats per image (56 pixels); "
      f"dL/dlogits against central differences: {rel_error(dlogits, numeric):.1e}")

ae = fit("mnist-ae", "ae")
test = asarray(mnist.test_x[:10])
print(f"autoencoder trained for {EPOCHS['ae']} epoch(s): a code of {ae.code_dim} numbers for 784 pixels")

# %% [markdown]
# ## 2. The denoising criterion
#
# A denoising autoencoder is trained on the same loss, but its encoder sees a corrupted
# `x~` (here: each pixel zeroed with probability 0.25, "masking noise") while the loss
# still compares with the clean `x`. It cannot copy its input; it has to know what
# digits look like to put the missing ink back. Feed both models the same corrupted
# test images:

# %%
dae = fit("mnist-dae", "dae")
corrupted = dae.corrupt(test, Random(1))
clean = to_numpy(test)
for name, model in (("autoencoder", ae), ("denoising autoencoder", dae)):
    error = ((to_numpy(model.reconstruct(corrupted)) - clean) ** 2).sum(axis=1).mean()
    print(f"{name:22s} squared error of its reconstruction of the corrupted images: {error:.1f} per image")

fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
grid(axes[0], np.concatenate([clean, to_numpy(ae.reconstruct(test))]), 10,
     "test images (top), the autoencoder's reconstructions (bottom)")
grid(axes[1], np.concatenate([to_numpy(corrupted), to_numpy(ae.reconstruct(corrupted)),
                              to_numpy(dae.reconstruct(corrupted))]), 10,
     "25% of pixels zeroed (top); autoencoder (middle);\ndenoising autoencoder (bottom)")
fig.tight_layout()
fig.savefig(FIGURES / "09_reconstruction_and_denoising.png", dpi=100)
plt.close(fig)

# %% [markdown]
# ## 3. The VAE: a gradient through a random draw
#
# The VAE's encoder outputs the mean `mu` and log-variance `logvar` of a Gaussian
# `q(z | x)`; the decoder scores `x` given a `z` drawn from it; the prior is `N(0, I)`.
# Its loss, the negative ELBO, is
#
#     -E_q[log p(x | z)] + KL(q(z | x) || N(0, I))
#
# The first term needs a draw of `z`, and a draw has no gradient. The
# reparameterisation moves the randomness into an input: `z = mu + sigma * eps` with
# `sigma = exp(logvar / 2)` and `eps ~ N(0, I)` drawn first and held fixed. Then `z` is
# an ordinary function of `(mu, logvar)`:
#
#     dz/dmu = 1,     dz/dlogvar = eps * sigma / 2
#
# and the KL between two Gaussians is analytic, with its own gradient:
#
#     KL = 1/2 sum_j (mu_j^2 + exp(logvar_j) - 1 - logvar_j)
#     dKL/dmu = mu,   dKL/dlogvar = (exp(logvar) - 1) / 2
#
# First, does the reparameterised gradient estimate the right thing? For
# `f(z) = z^2`, `E_q[z^2] = mu^2 + sigma^2`, so `d/dmu = 2 mu` and `d/dlogvar = sigma^2`.
# Averaging the per-draw gradient `f'(z) * dz/d(mu, logvar)` over many `eps` should give
# exactly these.

# %%
mu, logvar = 0.8, np.log(0.5)
eps = to_numpy(Random(2).normal((200000,), dtype="float64"))
sigma = np.exp(logvar / 2)
z = mu + sigma * eps
print(f"d E[z^2]/dmu:     reparameterised {np.mean(2 * z):.4f}  exact {2 * mu:.4f}")
print(f"d E[z^2]/dlogvar: reparameterised {np.mean(2 * z * eps * sigma / 2):.4f}  exact {sigma ** 2:.4f}")

# %% [markdown]
# Now the check that every hand-written backward in npgan gets: central differences in
# float64, with `eps` held fixed (otherwise the function being differentiated would
# change at every probe). The bug this topic invites in a backward pass is
# `dz/dlogvar` taken as `eps * sigma`, forgetting that `sigma = exp(logvar / 2)`: it
# trains without an error message, and the check says it is wrong.

# %%
rng = Random(3)
mu, logvar, eps, dz = (rng.normal((4, 3), dtype="float64") for _ in range(4))
sigma = np.exp(0.5 * logvar)
numeric_z = numerical_gradient(lambda: (ae_losses.reparameterize_forward(mu, logvar, eps)[0] * dz).sum(), logvar)
right = ae_losses.reparameterize_backward(dz, (sigma, eps))[1]
print(f"z = mu + sigma eps, dlogvar: npgan {rel_error(right, numeric_z):.1e}   "
      f"without the 1/2 {rel_error(dz * eps * sigma, numeric_z):.1e}")

# %% [markdown]
# The other classic slip is in the *objective*: the KL added with the wrong sign, so that
# the loss rewards posteriors far from the prior. Whoever writes `-KL` also writes its
# gradient `-dKL`, and a gradient check compares a gradient with the function it
# belongs to: the wrong objective and its matching gradient agree perfectly.

# %%
kl, _, dkl_dlogvar = ae_losses.gaussian_kl(mu, logvar)
numeric_flipped = numerical_gradient(lambda: -ae_losses.gaussian_kl(mu, logvar)[0], logvar)
print(f"-KL and its gradient -dKL/dlogvar against central differences of -KL: "
      f"{rel_error(-dkl_dlogvar, numeric_flipped):.1e} (passes)")
per_image_kl = 0.5 * (mu ** 2 + np.exp(logvar) - 1 - logvar).sum(axis=1)
print(f"the invariant KL >= 0 on these 4 posteriors: KL {np.round(per_image_kl, 3)}; "
      f"the flipped term {np.round(-per_image_kl, 3)}")

# %% [markdown]
# What catches a wrong objective is what must hold for the right one, whatever the
# parameters: `KL(q || p) >= 0` for every image (above: the flipped term is negative
# wherever `q` differs from the prior); and the ELBO is a lower bound, so it can never
# exceed `log p(x)` nor the tighter importance-weighted bound `L_k` of section 4. The
# flipped "ELBO" breaks both; section 4 shows it on the trained model.
#
# %% [markdown]
# ### The VAE's training step, written out
#
# Everything above assembles into one step of the `mnist-vae` preset, as tutorial 3
# wrote out Algorithm 1 before handing it to the library: a minibatch `x`, its posterior
# `(mu, logvar) = E(x)`, a draw `eps`, `z = mu + sigma eps`, the decoder's logits, and
# the backward pass in reverse order, the KL's gradient added to the reconstruction's at
# `(mu, logvar)`; then one Adam update (tutorial 4) of each network. Below, the step by
# hand on one copy of a small model, the library's `AutoencoderModel.step` on another
# built from the same seed (so the same minibatch and the same `eps`), and the weights
# compared. From here on `train` runs this step.

# %%
from npgan.models.autoencoders.training import AutoencoderModel  # noqa: E402  (the model the trainer runs)

step_config = get_preset("mnist-vae").replace(ae_hidden=(32,), ae_code=4, batch_size=50)
by_hand, library = AutoencoderModel(step_config), AutoencoderModel(step_config)
for model in (by_hand, library):
    model.begin_epoch(0, fresh=True)  # the epoch's order of the examples, from the run's random stream
library.step(0)

vae_net = by_hand.net
x = by_hand.data.batch(0)
n = x.shape[0]
out = vae_net.E.forward(x)  # training mode
mu, logvar = out[:, :vae_net.code_dim], out[:, vae_net.code_dim:]
eps = vae_net.rng.normal(mu.shape, dtype=mu.dtype.name)  # the draw the library's step makes next
sigma = np.exp(0.5 * logvar)
z = mu + sigma * eps
logits = vae_net.G.forward(z)
dlogits = (1 / (1 + np.exp(-logits)) - x) / n  # d/dlogits of (1/N) sum [softplus(l) - x l]
dz = vae_net.G.backward(dlogits)
dmu = dz + mu / n  # through z = mu + sigma eps, plus the KL's mu / N
dlogvar = dz * eps * sigma / 2 + (np.exp(logvar) - 1) / (2 * n)
vae_net.E.backward(np.concatenate([dmu, dlogvar], axis=1), input_grad=False)
for optimizer in by_hand.optimizers.values():
    optimizer.step()
worst = max(float(np.abs(to_numpy(a) - to_numpy(b)).max())
            for net_a, net_b in ((by_hand.net.E, library.net.E), (by_hand.net.G, library.net.G))
            for a, b in zip(net_a.params.values(), net_b.params.values()))
moved = max(float(np.abs(to_numpy(a) - to_numpy(b)).max())
            for a, b in zip(library.net.E.params.values(), AutoencoderModel(step_config).net.E.params.values()))
print(f"one VAE step by hand against AutoencoderModel.step: largest weight difference {worst:.1e} "
      f"(float32 rounding), where the step moved the weights by up to {moved:.1e}")
assert worst < 1e-6 < moved

# %% [markdown]
# ## 4. The ELBO's two terms over training, and a bound on log p(x)
#
# Train the `mnist-vae` preset (784-200-200-50, Adam) and read its `log.csv`. The
# reconstruction term falls as the decoder learns; the KL *rises* from 0: at the start
# `q(z | x)` is the prior for every image (nothing is encoded), and the model pays nats
# of KL for every bit of information about `x` that it puts into `z`.

# %%
vae = fit("mnist-vae", "vae")
log = np.genfromtxt(RUNS / "vae" / "log.csv", delimiter=",", names=True)
log = np.atleast_1d(log)
print("epoch  reconstruction  KL     negative ELBO (validation)")
for row in log:
    print(f"{int(row['epoch']):5d}  {row['reconstruction']:14.2f}  {row['kl']:5.2f}  {row['valid_loss']:8.2f}")

# %% [markdown]
# The ELBO is a lower bound on `log p(x)`; drawing `k` codes per image and averaging
# their importance weights gives a tighter one, `L_k` (Burda et al., 2016), rising with
# `k` towards `log p(x)`. A GAN has neither: its generator defines no density one could
# evaluate, which is why the paper had to fall back on a Parzen window.
# (These pixels are grey, so the numbers are cross-entropies, not log-probabilities; the
# binarised model of `results/model_families/model_families.md` gives real ones.)

# %%
n_bound = 100 if FAST else 500
ks = [1, 10, 100] if FAST else [1, 10, 100, 1000]
x_bound = evaluation_images(vae.config, "test", n_bound)
iw = [float(to_numpy(bounds(vae, x_bound, k, Random(4))["iw"]).mean()) for k in ks]
elbo = float(to_numpy(bounds(vae, x_bound, 100, Random(4))["elbo"]).mean())
for k, value in zip(ks, iw):
    print(f"L_{k:<5d} {value:8.2f} nats per image (first {n_bound} test images)")
print(f"ELBO (analytic KL) {elbo:8.2f}")
mu_b, logvar_b = (to_numpy(a).astype(np.float64) for a in vae.posterior(x_bound))
kl_b = float((0.5 * (mu_b ** 2 + np.exp(logvar_b) - 1 - logvar_b).sum(axis=1)).mean())
flipped = elbo + 2 * kl_b  # E_q[log p(x|z)] + KL instead of - KL
print(f"invariants: ELBO <= L_k for every k: {all(elbo <= value + 1e-9 for value in iw)}; "
      f"the ELBO with the KL's sign flipped: {flipped:.2f}, "
      f"{'above' if flipped > iw[-1] else 'below'} L_{ks[-1]} = {iw[-1]:.2f}"
      f"{': not a bound' if flipped > iw[-1] else ''}")

fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
axes[0].plot(log["epoch"], log["reconstruction"], "o-", label="reconstruction, -E_q log p(x|z)")
axes[0].plot(log["epoch"], log["loss"], "s-", label="negative ELBO (training)")
axes[0].plot(log["epoch"], log["valid_loss"], "^-", label="negative ELBO (validation)")
axes[0].set_xlabel("epoch")
axes[0].set_ylabel("nats per image")
axes[0].legend(fontsize=8)
axes[1].plot(log["epoch"], log["kl"], "o-", color="C3")
axes[1].set_xlabel("epoch")
axes[1].set_title("KL(q(z|x) || p(z)), nats per image", fontsize=9)
axes[2].semilogx(ks, iw, "o-", label="importance-weighted L_k")
axes[2].axhline(elbo, color="gray", ls="--", label="ELBO")
axes[2].set_xlabel("k (codes drawn per image)")
axes[2].set_title("bounds on log p(x) (grey pixels: cross-entropy)", fontsize=9)
axes[2].legend(fontsize=8)
fig.tight_layout()
fig.savefig(FIGURES / "09_elbo_terms_and_bounds.png", dpi=100)
plt.close(fig)

# %% [markdown]
# ## 5. Samples from the prior, and the 2-d latent map
#
# Sampling needs no encoder: `z ~ N(0, I)`, then the decoder's Bernoulli means. They are
# blurred where a GAN's are sharp: the decoder is paid for the *average* image of all the
# codes `q` might give, and nothing penalises blur the way a discriminator does.
#
# With a 2-d code the whole latent space fits on a page: encode the test images (their
# means `mu`, coloured by digit), and decode a grid of `z` placed at the quantiles of the
# prior, so that equal areas of the grid hold equal prior mass (Kingma and Welling's
# Figure 4).

# %%
vae2d = fit("mnist-vae", "vae2d", ae_code=2)
codes = to_numpy(vae2d.encode(asarray(mnist.test_x[:5000])))
labels = mnist.test_y[:5000]
side = 15
quantiles = np.linspace(0.03, 0.97, side)
from scipy.stats import norm  # noqa: E402  (only here: the normal quantile function)

values = norm.ppf(quantiles)
z_grid = np.array([[a, b] for b in values[::-1] for a in values], dtype="float32")
decoded = to_numpy(vae2d.decode(asarray(z_grid)))

pretrained = HERE.parent / "pretrained" / "npgan-mnist-vae.npz"
sample_source = npgan.load(pretrained) if pretrained.exists() else vae
samples = to_numpy(sample_source.sample(50, rng=Random(5)))

fig, axes = plt.subplots(1, 3, figsize=(16, 5.4))
source_name = "pretrained/npgan-mnist-vae.npz" if pretrained.exists() else "this run"
grid(axes[0], samples, 10, f"samples from the prior\n({source_name})")
scatter = axes[1].scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", s=3, alpha=0.6)
axes[1].legend(*scatter.legend_elements(), fontsize=7, loc="upper right", title="digit")
axes[1].set_title("2-d code: mu of 5,000 test images", fontsize=9)
axes[1].set_aspect("equal")
grid(axes[2], decoded, side, "decoder on a grid of z at the prior's quantiles")
fig.tight_layout()
fig.savefig(FIGURES / "09_samples_and_latent_map.png", dpi=100)
plt.close(fig)
log2d = np.atleast_1d(np.genfromtxt(RUNS / "vae2d" / "log.csv", delimiter=",", names=True))
print(f"2-d VAE: validation negative ELBO {log2d['valid_loss'][-1]:.1f} nats per image "
      f"(the 50-d one: {log['valid_loss'][-1]:.1f})")

# %% [markdown]
# ## The paper's Table 2, with the columns built so far
#
# The paper's rows, for the two families it calls "Deep directed graphical models" (the
# VAE is one) and "Generative autoencoders" (the denoising autoencoder with its Markov
# chain), beside its "Adversarial models"; the plain autoencoder, which is not a
# generative model, is added for comparison:
#
# | | autoencoder | denoising AE | VAE | GAN |
# |---|---|---|---|---|
# | the paper's column | (not generative) | generative autoencoders | deep directed | adversarial |
# | training | reconstruction | reconstruction of a corrupted x | ELBO | the minimax game |
# | inference of `z` | the encoder | MCMC-based (the paper) | learned, approximate: q | learned (tutorial 10) |
# | sampling | none | a Markov chain | one decoder pass | one generator pass |
# | evaluating `p(x)` | none | a Parzen estimate | a lower bound `L_k` (the paper: AIS) | a Parzen estimate |
#
# `results/model_families/model_families.md` measures all four models with the same yardsticks.

# %%
print(f"the run folders are in {RUNS} (delete it when done)")

# %% [markdown]
# ## What to take away
#
# * The Bernoulli cross-entropy from logits, `softplus(l) - x l`, has the gradient
#   `sigmoid(l) - x`: the same "prediction minus target" as D's loss, per pixel.
# * The reparameterisation `z = mu + sigma eps` makes a sampled code differentiable in
#   `(mu, logvar)`; `dz/dlogvar = eps sigma / 2`, and the 1/2 is the classic slip, which a
#   gradient check catches.
# * A gradient check compares a gradient with its own function: a wrong *objective* with
#   its matching gradient passes it. Invariants catch those: `KL >= 0`,
#   `ELBO <= L_k <= log p(x)`.
# * The VAE has what the GAN lacks (an encoder, a bound on `log p(x)`) and lacks what the
#   GAN has (sharp samples): its decoder is paid for the average image of the codes `q`
#   might give.

# %% [markdown]
# ## Exercises
#
# 1. Estimate `KL(q || p)` by its definition, `E_q[log q - log p]` over many draws, and
#    check the closed form and `gaussian_kl` against it.
# 2. On the committed VAE and its own samples, show `L_1 < L_10 < L_100` and the ELBO
#    below them.
#
# Solutions: `tutorials/solutions/09_autoencoders.py` (the test suite runs it in fast mode).
