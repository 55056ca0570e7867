# %% [markdown]
# # 10. Inference: from x back to z
#
# A GAN's generator maps a code `z` to an image `x = G(z)`, but nothing in Algorithm 1
# goes the other way: given a digit, which `z` draws it? The paper's Section 7 names the
# fix as its second direction: "learned approximate inference can be performed by
# training an auxiliary network to predict z given x ... with the advantage that the
# inference net may be trained for a fixed generator net after the generator net has
# finished training." This tutorial builds three routes with npgan's layers:
#
# 1. the **sleep phase**: G labels its own data, pairs `(G(z), z)`, and an encoder `E`
#    learns `x -> z` from them by squared error, for the committed, frozen generator;
# 2. **refinement**: gradient descent on `z` itself, with the gradient through G to its
#    *input*, projected back into the prior's box after every step; and the bug the
#    input gradient invites;
# 3. **interpolation** between two test digits through their codes;
# 4. **BiGAN** (Donahue et al., 2017; ALI, Dumoulin et al., 2017): E and G trained
#    together against a D that judges pairs `(x, z)`, its step written out and checked;
# 5. **ALICE** (Li et al., 2017): BiGAN with a reconstruction term, which makes
#    `G(E(x))` keep the digit.
#
# `npgan.models.inference.model` holds the math, `npgan.models.inference.encoder_training` and
# `npgan.models.inference.bigan_training` the two families that
# `npgan train --preset mnist-encoder | mnist-bigan | mnist-alice` trains, and
# `results/inference/inference.md` the measurements on all 10,000 test images. A full run takes a
# few minutes on 2 cores; `NPGAN_FAST=1` shrinks it to seconds (and its pictures to nonsense).

# %%
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # a busy machine: one BLAS thread per process

import matplotlib

if "ipykernel" not in sys.modules:  # a script: draw off-screen; a notebook keeps its own backend
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import npgan
from npgan import tutorial
from npgan.backend import Random, asarray, to_numpy
from npgan.datasets.idx import load_mnist
from npgan.evaluation.classifier import load as load_classifier
from npgan.models.gan.inversion import refine, refinement_gradient
from npgan.models.inference.bigan import build_bigan
from npgan.models.inference.model import ScaledTanh, build_encoder, code_loss
from npgan.models.inference.scores import class_kept, pixel_mse
from npgan.nn.gradcheck import check_layer, numerical_gradient, randomize_parameters, rel_error
from npgan.nn.layers import Dropout
from npgan.nn.optim import Adam
from npgan.plots import tile_images
from npgan.presets import get_preset
from npgan.train import train

FAST = tutorial.fast_mode()  # NPGAN_FAST=1: seconds, not minutes (see npgan.tutorial)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
REPO = HERE.parent
FIGURES = tutorial.figures_folder(HERE)  # tutorials/figures/ in a full run, a scratch folder in a fast one
RUNS = Path(tempfile.mkdtemp(prefix="npgan-tutorial-10-"))

mnist = load_mnist()
gan = npgan.load(REPO / "pretrained" / "npgan-mnist-generator.npz")  # the committed generator, frozen
G, BOUND = gan.G, gan.noise_scale  # z ~ uniform on [-sqrt(3), sqrt(3)]^100
N_TEST = 20 if FAST else 200  # test images the pictures and numbers below use
x_test, y_test = asarray(mnist.test_x[:N_TEST]), mnist.test_y[:N_TEST]
clf = load_classifier()[0]  # npgan's MNIST classifier: does a reconstruction keep the digit?


def grid(ax, images, ncols, title):
    ax.imshow(tile_images(to_numpy(images), ncols), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.axis("off")


# %% [markdown]
# ## 1. The sleep phase: the generator labels its own data
#
# Draw `z` from the prior, make `x = G(z)`: now `(x, z)` is an example whose answer is
# known. An encoder trained on such pairs by the squared error
#
#     L = 1/(N K) sum_n sum_k (E(x_n)_k - z_nk)^2,      dL/dE(x_n)_k = 2 (E(x_n)_k - z_nk) / (N K)
#
# needs no real image at all (wake-sleep's sleep phase: the generative model dreams, the
# recognition model learns from the dreams). Its minimiser is `E(x) = E[z | x]`, the mean
# of the codes that G sends to `x`.
#
# E's last layer is `ScaledTanh(sqrt 3)`: `y = s tanh(a)` keeps every code inside the
# prior's box, and its backward is `dx = dy * s * (1 - tanh(a)^2)`. A backward that
# forgets the factor `s` is the bug this layer invites; the float64 check catches it:

# %%
layer, a = ScaledTanh(BOUND), Random(0).normal((4, 6), dtype="float64")
print("ScaledTanh, dx relative error:", f"{check_layer(layer, a)['dx']:.1e}")


class ForgetsTheScale(ScaledTanh):
    def backward(self, dy, input_grad=True, param_grads=True):
        t = self._take_cache()
        return dy * (1 - t * t)  # d tanh/da, without the factor s = sqrt(3)


print("the same without the scale:", f"{check_layer(ForgetsTheScale(BOUND), a)['dx']:.1e}")

# %% [markdown]
# Now the sleep phase itself, written out: each step draws fresh pairs, so E never sees
# the same example twice and cannot overfit. (`npgan train --preset mnist-encoder` runs
# exactly this step, `EncoderModel.step`, for 10,000 minibatches; here a short run.)

# %%
rng = Random(1)
E = build_encoder(784, (32,) if FAST else (240, 240), 100, rng, pieces=5, init_range=0.05, bound=BOUND)
optimizer = Adam(E, lr=3e-4, beta1=0.9)
held_out = gan.sample_noise(500, Random(2))
x_held = G.forward(held_out, training=False)
curve = []
for step in range(30 if FAST else 1500):
    z = gan.sample_noise(100, rng)
    x = G.forward(z, training=False)  # G frozen: evaluation mode, no gradients of its own
    loss, dcodes = code_loss(E.forward(x), z)
    E.backward(dcodes, input_grad=False)
    optimizer.step()
    if step % (10 if FAST else 100) == 0:
        codes = E.forward(x_held, training=False)
        recon = G.forward(codes, training=False)
        curve.append((step, float(code_loss(codes, held_out)[0]), float(pixel_mse(recon, x_held).mean())))
print("step, held-out code error, pixel error of G(E(G(z)))")
for row in curve[:: max(1, len(curve) // 6)]:
    print(f"{row[0]:5d}  {row[1]:.3f}  {row[2]:.4f}")

# %% [markdown]
# The code error falls from 1 (the prior's variance: what the constant code 0 scores) but
# stays far above 0: G does not use all of its 100 input dimensions equally, and where
# many codes draw nearly the same digit, the best E can answer is their mean. The pixel
# error of `G(E(G(z)))` is the number that matters, and it falls steadily.
#
# From here on we use the committed encoder, `pretrained/npgan-mnist-encoder.npz`,
# trained the same way for 10,000 steps. Its file holds E alone and names the generator
# it inverts by SHA-256; `npgan.load` finds that file beside it and refuses another.

# %%
encoder = npgan.load(REPO / "pretrained" / "npgan-mnist-encoder.npz")
print("generator:", encoder.state["generator"]["file"], encoder.state["generator"]["sha256"][:16], "...")
z_e = encoder.encode(x_test)
recon_e = G.forward(z_e, training=False)
print(f"E alone on {N_TEST} test images: pixel error {float(pixel_mse(recon_e, x_test).mean()):.4f}, "
      f"class kept {class_kept(clf, recon_e, y_test)[0]:.1%}")

# %% [markdown]
# ## 2. Refinement: the gradient through G to its input
#
# A test digit is not one of G's dreams, so E's answer is a guess. We can improve it for
# each image by descending `r(z) = 1/D ||G(z) - x||^2` over `z`. The chain rule through G
# is G's ordinary backward pass, stopped at the input instead of the weights:
#
#     dr/dz = J_G(z)^T dr/dG(z),        dr/dG(z) = 2 (G(z) - x) / D
#
# In npgan: `G.forward(z, training=False)`, then `G.backward(dx_hat, param_grads=False)`,
# which returns `dz` and leaves G's weights and their gradients alone. After each step the
# codes are clipped back into the box `[-sqrt 3, sqrt 3]^100` (the projection onto the
# prior's support: G never saw a code outside it).
#
# The bug this invites: backpropagating from the wrong place. G ends in a sigmoid; a
# hand-written loop that starts the backward pass at the last *Linear* (the pre-sigmoid
# output) leaves out the factor `y (1 - y)`. Both against central differences, in float64:

# %%
G64 = npgan.load(REPO / "pretrained" / "npgan-mnist-generator.npz").G
for _, layer, name in G64.parameters():
    layer.params[name] = layer.params[name].astype("float64")
z64, x64 = to_numpy(z_e[:2]).astype("float64"), to_numpy(x_test[:2]).astype("float64")
_, dz = refinement_gradient(G64, z64, x64)
numeric = numerical_gradient(lambda: refinement_gradient(G64, z64, x64)[0].sum(), z64)
print(f"dz through G to its input: relative error {rel_error(dz, numeric):.1e}")
h = z64
for layer in G64.layers[:-1]:
    h = layer.forward(h, training=False)  # the layers below the sigmoid, holding their caches
dh = 2 * (G64.layers[-1].forward(h, training=False) - x64) / x64.shape[1]  # dr/dG(z) ...
for layer in reversed(G64.layers[:-1]):  # ... sent into the Linear below the sigmoid: y (1 - y) is lost
    dh = layer.backward(dh, param_grads=False)
print(f"the same, backward started after the sigmoid: relative error {rel_error(dh, numeric):.1e}")

# %% [markdown]
# Now refine the encoder's codes of the test images for a growing number of steps and
# watch the error and the share of digits that keep their class. Each step costs one
# forward and one input-backward pass of G per image, two matrix products per layer of
# the size of G's forward; G has about twice E's weights (printed below), so each step
# costs about four of E's forward passes and 100 steps about 400. The projection is a
# guard; how often it acts is printed last: the share of coordinates that would end
# outside the box without it.

# %%
weights = {name: sum(layer.params[p].size for _, layer, p in net.parameters() if p == "W")
           for name, net in (("G", G), ("E", encoder.E))}
print(f"weights: G {weights['G']:,}, E {weights['E']:,} (ratio {weights['G'] / weights['E']:.2f})")
steps_list = (0, 10, 30) if FAST else (0, 10, 25, 50, 100, 200)
curve = []
for steps in steps_list:
    z_r, r = refine(G, x_test, z_e, steps=steps, lr=0.02, bound=BOUND)
    recon_r = G.forward(z_r, training=False)
    curve.append((steps, float(r.mean()), class_kept(clf, recon_r, y_test)[0]))
    print(f"{steps:4d} steps: pixel error {curve[-1][1]:.4f}, class kept {curve[-1][2]:.1%}")
z_unprojected, _ = refine(G, x_test, z_e, steps=steps_list[-1], lr=0.02, bound=None)
outside = float((np.abs(to_numpy(z_unprojected)) > BOUND).mean())
print(f"without the projection {outside:.3%} of the coordinates end outside the box")

fig, axes = plt.subplots(1, 3, figsize=(13, 3.4), gridspec_kw={"width_ratios": [1, 1, 1.6]})
axes[0].plot([c[0] for c in curve], [c[1] for c in curve], "o-")
axes[0].set(xlabel="refinement steps", ylabel="pixel error", title="(a) error of G(z) against x")
axes[1].plot([c[0] for c in curve], [c[2] for c in curve], "o-", color="C2")
axes[1].set(xlabel="refinement steps", ylabel="share", title="(b) class kept (npgan's classifier)")
rows = np.concatenate([to_numpy(x_test[:10]), to_numpy(recon_e[:10]), to_numpy(recon_r[:10])])
grid(axes[2], rows, 10, f"(c) test images; G(E(x)); after {steps_list[-1]} refinement steps")
fig.tight_layout()
fig.savefig(FIGURES / "10_refinement.png", dpi=100)

# %% [markdown]
# ## 3. Interpolation between two test digits
#
# With a code for every test digit we can walk between two of them: `G((1 - t) z_a +
# t z_b)` for `t` from 0 to 1. In pixel space the same walk is a cross-fade, two
# half-transparent digits. The hope is that in z space the strokes move from one digit
# to the other; look at the picture before believing it.

# %%
pairs = [(0, 1), (3, 4), (8, 9)] if not FAST else [(0, 1)]
t = np.linspace(0, 1, 10)[:, None]
z_best = to_numpy(refine(G, x_test, z_e, steps=10 if FAST else 200, lr=0.02, bound=BOUND)[0])
rows = []
for a, b in pairs:
    rows.append(to_numpy(G.forward(asarray((1 - t) * z_best[a] + t * z_best[b], dtype="float32"), training=False)))
    rows.append((1 - t) * to_numpy(x_test[a]) + t * to_numpy(x_test[b]))
fig, ax = plt.subplots(figsize=(8, 1.0 * len(rows) + 0.5))
grid(ax, np.concatenate(rows), 10, "G along the line between two test digits' codes (odd rows); the pixel blend (even)")
fig.savefig(FIGURES / "10_interpolation.png", dpi=100, bbox_inches="tight")
walk_classes = [classify_walk for classify_walk in
                (to_numpy(clf.logits(G.forward(asarray((1 - t) * z_best[a] + t * z_best[b], dtype="float32"),
                                               training=False))).argmax(axis=1) for a, b in pairs)]
for (a, b), classes in zip(pairs, walk_classes):
    print(f"test digits {y_test[a]} -> {y_test[b]}: the classifier reads the walk as {classes}")
norms = np.linalg.norm(z_best, axis=1)
midpoints = np.linalg.norm((z_best[:-1] + z_best[1:]) / 2, axis=1)
prior = to_numpy(gan.sample_noise(10000, Random(9)))
prior_norms, prior_midpoints = np.linalg.norm(prior, axis=1), np.linalg.norm((prior[::2] + prior[1::2]) / 2, axis=1)
print(f"|z|: prior codes {prior_norms.mean():.2f} +- {prior_norms.std():.2f} (shortest of 10,000: "
      f"{prior_norms.min():.2f}), midpoints of two prior codes {prior_midpoints.mean():.2f}; "
      f"the test digits' refined codes {norms.mean():.2f}, midpoints of two of them {midpoints.mean():.2f}")

# %% [markdown]
# What the picture shows (`figures/10_interpolation.png`, from the full run): the walk
# does *not* move the strokes smoothly. It passes through other digits on the way (a 7
# becoming a 2 through 1s), and some walks switch from one digit to the other in a single
# frame. Two reasons, both in the numbers above:
#
# * the points of the line are not typical codes. In 100 dimensions a code of the
#   uniform prior has length close to `sqrt(100) = 10` (each coordinate has variance 1),
#   with a spread of less than one; the midpoint of two independent prior codes has length
#   near `sqrt(50) = 7.1`, shorter than any code the prior draws in 10,000 tries. The test
#   digits' codes are shorter still: E answers the *mean* of the codes that draw an image,
#   and a mean of many codes lies near the centre; refinement moves them only part of the
#   way back. The box is convex, so every point of the line lies in the prior's support,
#   but support is not typicality: G was trained almost only on codes near the shell of
#   typical length, and well inside it G draws whatever its weights extrapolate to, often a
#   thin, generic stroke such as a 1;
# * G's map is not smooth in the way the eye would like: regions of z that draw one digit
#   meet along boundaries, and a straight line crosses them where it crosses them; a class
#   boundary crossed between two frames is a switch in one frame.
#
# (Interpolating along the great circle between the two codes, which keeps the length
# typical, is a common remedy; it is an exercise below.)

# %% [markdown]
# ## 4. BiGAN: learning E and G together
#
# The post-hoc encoder only ever sees G's dreams. BiGAN trains E on real images instead,
# adversarially: D judges *pairs*, `(x, E(x))` with `x` a real digit against `(G(z), z)`
# with `z` from the prior, on the paper's value function
#
#     V(D, E, G) = E_x[log D(x, E(x))] + E_z[log(1 - D(G(z), z))].
#
# D ascends V; E and G descend it (in practice each plays D's game with the labels
# swapped). At the optimum the two joint distributions are equal, and then E inverts G.
# D's input gradient carries both: its image columns of the generated pairs go to G, its
# code columns of the real pairs go to E (`BiGAN.eg_backward`). `npgan gradcheck`
# checks every parameter of E and G through it. The preset's D reads x and z apart in
# its first layer (`PairMaxout`, ALI's separate paths) and joins them in the next.
#
# One step of the family written out (Algorithm 1 with `k = 1`, E and G playing G's
# part): D on the pairs, with E and G in evaluation mode; then E and G on fresh noise,
# D's input gradient split by columns; Adam (tutorial 4) for each of the three networks.
# Beside it, the library's `BiGANModel.step` on a twin built from the same seed:

# %%
from npgan.models.inference.bigan_training import BiGANModel  # noqa: E402  (the model the trainer runs)
from npgan.nn import losses  # noqa: E402

step_config = get_preset("mnist-bigan").replace(g_hidden=(16,), d_hidden=(8,), d_pieces=2, d_code_units=4,
                                                e_hidden=(8,), e_pieces=2, batch_size=20)
by_hand, library = BiGANModel(step_config), BiGANModel(step_config)
for model in (by_hand, library):
    model.begin_epoch(0, fresh=True)
library.step(0)
net, opt = by_hand.gan, by_hand.optimizers
x_real = by_hand.data.batch(0)
m = x_real.shape[0]


def pairs_of(codes, fake, z):
    return np.concatenate([np.concatenate([x_real, codes], axis=1), np.concatenate([fake, z], axis=1)])


z = net.sample_noise(m)  # lines 3-5: D's step, E and G only evaluated
logits = net.D.forward(pairs_of(net.E.forward(x_real, training=False), net.G.forward(z, training=False), z),
                       training=True)
_, d_real, d_fake = losses.discriminator_loss(logits[:m], logits[m:])
net.D.backward(np.concatenate([d_real, d_fake]), input_grad=False)
opt["D"].step()
z = net.sample_noise(m)  # lines 7-8: E and G, D's labels swapped (the non-saturating form for both)
logits = net.D.forward(pairs_of(net.E.forward(x_real), net.G.forward(z), z), training=True)
_, eg_fake, eg_real = losses.discriminator_loss(logits[m:], logits[:m])
d_pairs = net.D.backward(np.concatenate([eg_real, eg_fake]), param_grads=False)
net.E.backward(np.ascontiguousarray(d_pairs[:m, 784:]), input_grad=False)  # the code columns of the real pairs
net.G.backward(np.ascontiguousarray(d_pairs[m:, :784]), input_grad=False)  # the image columns of the generated
for name in ("E", "G"):
    opt[name].step()
fresh = BiGANModel(step_config)
worst, moved = 0.0, {}
for name in ("D", "E", "G"):
    after = [to_numpy(a) for a in getattr(library.gan, name).params.values()]
    worst = max([worst] + [float(np.abs(to_numpy(a) - b).max())
                           for a, b in zip(getattr(by_hand.gan, name).params.values(), after)])
    moved[name] = max(float(np.abs(to_numpy(a) - b).max())
                      for a, b in zip(getattr(fresh.gan, name).params.values(), after))
print(f"one BiGAN step by hand against BiGANModel.step ({step_config.update}, k = {step_config.k}): largest "
      f"weight difference {worst:.1e}; the step moved D, E, G by up to "
      + ", ".join(f"{v:.1e}" for v in moved.values()))
assert worst <= 1e-3 * min(moved.values())

# %% [markdown]
# Here the preset `mnist-bigan` trains for two epochs (fast mode: a tiny BiGAN for a few
# minibatches) through the library's trainer, and we read its `log.csv`: watch the mean
# `D(x, E(x))` and `D(G(z), z)`. D wins within an epoch or two, and in the short runs of
# `results/inference/inference.md` it kept winning, whatever was tried.

# %%
config = get_preset("mnist-bigan").replace(epochs=2, sample_every=0)
if FAST:
    config = config.replace(g_hidden=(16,), d_hidden=(8,), d_pieces=2, d_code_units=4, e_hidden=(8,), e_pieces=2,
                            batch_size=1000, epochs=1)
bigan = train(config, RUNS / "bigan", quiet=True)
print((RUNS / "bigan" / "log.csv").read_text())
recon_b = bigan.reconstruct(x_test)
print(f"BiGAN on {N_TEST} test images: pixel error {float(pixel_mse(recon_b, x_test).mean()):.4f}, "
      f"class kept {class_kept(clf, recon_b, y_test)[0]:.1%}")

# %% [markdown]
# ## 5. ALICE: asking for the reconstruction
#
# Nothing in V asks `G(E(x))` to look like `x`: only the joint distributions are matched,
# and a D that wins early leaves E and G with no reason to agree on any one image. ALICE
# (Li et al., 2017) adds a conditional-entropy term; its simplest form is an explicit
# cycle, a reconstruction error in E's and G's loss:
#
#     L_EG + lambda R,    R = 1/m sum_n 1/F sum_d (G(E(x_n))_d - x_nd)^2,
#     d(lambda R)/dx_hat_nd = 2 lambda (x_hat_nd - x_nd) / (m F).
#
# The gradient flows back through G to its input `E(x)` (the refinement's gradient of
# section 2, now also into G's weights) and on into E, where it is *added* to D's code
# gradient: E's output feeds both D and G. `BiGAN.eg_backward` runs G once on the rows
# `[z; E(x)]`, so G's weights get both terms' gradients from one backward pass. The
# check, in float64, of E's first weights through the whole loss, and of the slip this
# invites (`npgan gradcheck` checks every parameter of E and G):

# %%
tiny = build_bigan(get_preset("mnist-alice").replace(
    dataset="ring-8", noise_dim=3, g_hidden=(6,), g_output="linear", g_output_bias="zero", e_hidden=(5,), e_pieces=2,
    d_hidden=(6,), d_code_units=3, iters_per_epoch=1, dtype="float64"), Random(3))
for network in (tiny.E, tiny.G, tiny.D):
    randomize_parameters(network, Random(4))
x_tiny, z_tiny = Random(5).normal((8, 2), dtype="float64"), Random(6).normal((8, 3), dtype="float64")
tiny.eg_backward(x_tiny, z_tiny)
for layer in tiny.D.layers:  # the numerical gradient needs the same dropout masks at every probe
    if isinstance(layer, Dropout):
        layer.fixed_mask = layer.mask
analytic = tiny.E.params["0.W"], tiny.E.grads["0.W"].copy()


def alice_loss():
    logits = tiny.forward_pairs(x_tiny, z_tiny, training=True, reconstruct=True)
    return tiny.eg_loss(logits, 8)[0] + tiny.reconstruction_term(x_tiny)[0]


numeric = numerical_gradient(alice_loss, analytic[0])
print(f"E's first weights through D and the term: relative error {rel_error(analytic[1], numeric):.1e}")
# The slip this invites: E's backward fed D's code gradient alone, the term's path through G forgotten.
tiny.recon_weight = 0.0
tiny.eg_backward(x_tiny, z_tiny)
tiny.recon_weight = 1000.0
print(f"the same with only D's gradient into E: relative error {rel_error(tiny.E.grads['0.W'], numeric):.1e}")

# %% [markdown]
# `npgan train --preset mnist-alice` trains the same networks as `mnist-bigan` with
# `lambda = 1000` for 15 epochs; its G and E are the committed
# `pretrained/npgan-mnist-bigan.npz` (float16, 1.0 MB; the file's state says it is the
# ALICE variant). Its reconstructions keep the digit far more often than plain BiGAN's;
# `results/inference/inference.md` has the numbers on all 10,000 test images, beside plain BiGAN's.
#
# That is not a free fix, and the price is visible. With `lambda = 1000` the term
# dominates: E's and G's loss in the committed run's log is about 21 at the end, of which
# the reconstruction term (1000 times a pixel error near 0.014) is about 14, and the
# gradient that shapes `G(E(x))` is mostly that term's. The model is in effect an
# **autoencoder** (tutorial 09's) with a discriminator attached. And the discriminator has
# won: at epoch 15 the log reads `d_real` 0.946, `d_fake` 0.054, D tells the pairs apart
# almost perfectly. Nothing asks `G(z)` for a prior `z` to be a digit: many of the samples
# below are not digits (`figures/10_bigan.png`; `results/inference/inference.md`'s
# evaluation gives them a precision of 0.60), while the reconstructions of real digits
# are good.

# %%
alice = npgan.load(REPO / "pretrained" / "npgan-mnist-bigan.npz")
print(alice.state["variant"])
alice_log = np.atleast_1d(np.genfromtxt(REPO / "results" / "inference" / "inference-alice-log.csv", delimiter=",",
                                        names=True))
last = alice_log[-1]
print(f"the committed run's log, epoch {int(last['epoch'])}: d_real {last['d_real']:.3f}, "
      f"d_fake {last['d_fake']:.3f}, E and G's loss {last['eg_loss']:.1f}")
recon_a = alice.reconstruct(x_test)
print(f"ALICE on {N_TEST} test images: pixel error {float(pixel_mse(recon_a, x_test).mean()):.4f}, "
      f"class kept {class_kept(clf, recon_a, y_test)[0]:.1%}")
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
grid(axes[0], np.concatenate([to_numpy(x_test[:10]), to_numpy(recon_b[:10]), to_numpy(recon_a[:10])]), 10,
     "test images; BiGAN's G(E(x)) (two epochs); ALICE's (committed)")
grid(axes[1], alice.sample(30, rng=Random(0)), 10, "ALICE's samples G(z)")
fig.tight_layout()
fig.savefig(FIGURES / "10_bigan.png", dpi=100)

# %% [markdown]
# ## What to take away
#
# * The sleep phase turns inference into regression on the generator's own pairs
#   `(G(z), z)`; its minimiser is `E[z | x]`, a mean, which is why E's codes are short
#   and blur what G does not distinguish.
# * The gradient through G to its input is G's backward stopped at `dz`; refinement
#   descends it per image, at about four of E's forward passes a step.
# * A straight line in code space is not a path through typical codes: its middle is
#   shorter than anything the prior draws, and G switches digits along it.
# * BiGAN matches joint distributions and nothing ties `G(E(x))` to `x`; D wins early.
#   ALICE's reconstruction term ties them, at a weight where the model is an
#   autoencoder with a discriminator attached, whose samples from the prior are often not
#   digits. A fix that works on one measure can cost another: report both.

# %% [markdown]
# ## Exercises
#
# 1. Interpolate between two prior codes along the great circle (slerp) and compare the
#    lengths of its codes with the straight line's; draw G along both.
# 2. Encode G's own samples with the committed encoder: how long are its codes against
#    the codes that made the images, and how well does each coordinate come back?
#    Explain both with `E[z | x]`.
#
# Solutions: `tutorials/solutions/10_inference.py` (the test suite runs it in fast mode).
