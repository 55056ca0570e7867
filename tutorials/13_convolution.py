# %% [markdown]
# # 13. Convolution by hand
#
# The paper's last experiment trains a convolutional discriminator against a
# "deconvolutional" generator, and every GAN since DCGAN (Radford et al., 2016) is
# convolutional. This tutorial builds those layers the way tutorial 1 built the dense
# ones: forward pass, backward pass derived, gradient check, and a deliberately broken
# backward pass that the check catches.
#
# 1. a convolution is one matrix product once the image is unfolded (**im2col**);
# 2. its backward pass needs the **adjoint** of that unfolding (**col2im**), which adds
#    overlapping patches back together;
# 3. the **transposed convolution** of DCGAN's generator is that same adjoint used as a
#    forward pass;
# 4. **batch norm**'s backward runs through the batch statistics, the term most often lost;
# 5. a DCGAN built from these layers, trained on MNIST by the library's own step.
#
# The code is `npgan/nn/conv.py` (the math), `npgan/nn/normalization.py`,
# `npgan/nn/image_layers.py` (the layers) and `npgan/models/dcgan/model.py` (the model). `NPGAN_FAST=1`
# makes everything tiny (seconds); a full run trains 200 DCGAN iterations (about a
# minute and a half on one busy core).

# %%
import sys
from pathlib import Path

import matplotlib

if "ipykernel" not in sys.modules:  # a script: draw off-screen; a notebook keeps its own backend
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import npgan
from npgan import plots, tutorial
from npgan.backend import Random, to_numpy
from npgan.datasets.idx import load_mnist
from npgan.models.dcgan.training import DCGANModel
from npgan.nn import conv, normalization
from npgan.nn.gradcheck import LAYER_TOLERANCE, check_layer, numerical_gradient, rel_error
from npgan.nn.image_layers import BatchNorm, Conv2d, ConvTranspose2d
from npgan.presets import get_preset

FAST = tutorial.fast_mode()  # NPGAN_FAST=1: seconds, not minutes (see npgan.tutorial)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
FIGURES = tutorial.figures_folder(HERE)  # tutorials/figures/ in a full run, a scratch folder in a fast one

rng = Random(0)  # every random draw of the checks comes from here


def data(*shape):
    return rng.normal(shape, dtype="float64")


# %% [markdown]
# ## 1. A convolution is one matrix product
#
# For images `x` (N, C, H, W), filters `W` (F, C, K, K), stride `s` and `p` zeros of
# padding, a convolution layer computes
#
#     y[n, f, oh, ow] = b[f] + sum_{c, i, j} W[f, c, i, j] xpad[n, c, s*oh + i, s*ow + j]
#
# Every output position sees one K x K patch of every channel. Copy each patch into a
# column, `cols[(c, i, j), (n, oh, ow)] = xpad[n, c, s*oh + i, s*ow + j]`, and the layer
# is `y = W.reshape(F, C*K*K) @ cols + b`: one matrix product, the same as `Linear`'s.
# The copy, `conv.im2col`, loops over the K*K kernel offsets `(i, j)`: the values that
# offset meets form the strided slice `xpad[:, :, i::s, j::s]`.
#
# Here a 5 x 5 image whose pixels hold their own index, a 3 x 3 kernel, stride 1: every
# column of `cols` is one patch, and a pixel in the middle is copied into nine of them.

# %%
x = np.arange(25, dtype="float64").reshape(1, 1, 5, 5)
cols = to_numpy(conv.im2col(x, 3, 1, 0))
print("x", x.shape, "-> cols", cols.shape, "(C*K*K rows, N*OH*OW columns)")
print("column 0 (the top-left patch):", cols[:, 0].astype(int))
print("how often each pixel is copied:\n", np.bincount(cols.astype(int).ravel(), minlength=25).reshape(5, 5))

filters, bias = data(4, 1, 3, 3), data(4)
y, _ = conv.conv2d_forward(x, filters, bias, 1, 0)
by_definition = np.zeros((1, 4, 3, 3))
for oh in range(3):
    for ow in range(3):
        by_definition[0, :, oh, ow] = (filters[:, 0] * x[0, 0, oh:oh + 3, ow:ow + 3]).sum(axis=(1, 2)) + bias
print("W_mat @ cols + b equals the definition:", np.allclose(to_numpy(y), by_definition, atol=1e-12))

# %% [markdown]
# ## 2. The backward pass: the adjoint of the unfolding
#
# `Y = W_mat cols + b` is `linear_backward`'s product turned around, so with `dY` the
# upstream gradient as an (F, N*OH*OW) matrix:
#
# * `dW_mat = dY cols^T`: every filter against every patch it saw;
# * `db = sum of dY over examples and positions`;
# * `dcols = W_mat^T dY`, and then `dx`. The unfolding `cols = P x` is linear (`P` is a
#   0/1 matrix whose rows each copy one pixel), so `dx = P^T dcols`: the **adjoint**.
#   `P^T` sends each entry of `dcols` back to the pixel it was copied from, and where a
#   pixel was copied into several patches, their gradients **add**. That is
#   `conv.col2im`: `im2col`'s loop with `=` turned into `+=`.
#
# An adjoint is defined by `<P x, c> = <x, P^T c>` for every `x` and `c`; checking it
# on random arrays is the quickest test of a hand-written transpose.

# %%
x, c = data(2, 3, 7, 7), data(3 * 4 * 4, 2 * 4 * 4)
left = float((to_numpy(conv.im2col(x, 4, 2, 2)) * c).sum())
right = float((x * to_numpy(conv.col2im(c, x.shape, 4, 2, 2))).sum())
print(f"<im2col(x), c> = {left:.12f}\n<x, col2im(c)> = {right:.12f}")

layer = Conv2d(3, 4, 3, rng, stride=1, padding=1, init_std=0.5, dtype="float64")
errors = check_layer(layer, data(2, 3, 6, 6))
print("Conv2d(3, 4, k3, s1, p1):", {k: f"{v:.1e}" for k, v in errors.items()})
assert max(errors.values()) < LAYER_TOLERANCE

# %% [markdown]
# Now the bug this step invites: a `col2im` that *writes* each patch back instead of
# adding it. Where patches overlap (kernel larger than the stride) the last patch wins and
# the others' gradient is lost; where they do not overlap (kernel equal to the stride)
# the two are the same, and the broken layer passes. A gradient check only proves the
# cases it runs: check the layer in the configuration that exercises the code.


# %%
def col2im_overwriting(cols, x_shape, kernel, stride, padding):
    """col2im with ``=`` where the adjoint needs ``+=`` (wrong wherever patches overlap)."""
    n, ch, h, w = x_shape
    oh, ow = conv.output_size(h, kernel, stride, padding), conv.output_size(w, kernel, stride, padding)
    cols = cols.reshape(ch, kernel, kernel, n, oh, ow)
    xpad = np.zeros((ch, n, h + 2 * padding, w + 2 * padding))
    for i in range(kernel):
        for j in range(kernel):
            xpad[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride] = cols[:, i, j]  # wrong: =, not +=
    return np.ascontiguousarray(xpad[:, :, padding:padding + h, padding:padding + w].transpose(1, 0, 2, 3))


class Conv2dOverwriting(Conv2d):
    def backward(self, dy, input_grad=True, param_grads=True):
        super().backward(dy, input_grad=False)  # dW and db are right
        x_shape, _, W, stride, padding = self._cache
        d_matrix = dy.transpose(1, 0, 2, 3).reshape(W.shape[0], -1)
        return col2im_overwriting(W.reshape(W.shape[0], -1).T @ d_matrix, x_shape, self.kernel, stride, padding)


broken = {}
for kernel, stride in [(3, 1), (4, 2), (2, 2)]:
    bad = Conv2dOverwriting(3, 4, kernel, rng, stride=stride, init_std=0.5, dtype="float64")
    broken[f"k{kernel} s{stride}"] = check_layer(bad, data(2, 3, 6, 6))["dx"]
    print(f"overwriting col2im, kernel {kernel}, stride {stride}: dx error {broken[f'k{kernel} s{stride}']:.1e}")
assert broken["k3 s1"] > 1e-2 and broken["k4 s2"] > 1e-2 and broken["k2 s2"] < LAYER_TOLERANCE

# %% [markdown]
# ## 3. Transposed convolution: the same adjoint, as a layer
#
# DCGAN's generator grows images with "deconvolutions". Take the convolution `A` with
# weights `W` (Cin, Cout, K, K) that maps Cout-channel images down to Cin channels:
# its adjoint is what section 2 computed for `dx`, `A^T y = col2im(W_mat^T y_mat)`, and
# used as a forward pass that is `ConvTranspose2d`: every input pixel paints a K x K
# copy of the kernel into the output, and overlapping copies add. A stride-2 `A` halves
# the side, so `A^T` doubles it, and its backward is `A` itself (an `im2col` and a
# product). The defining identity again, this time between two layers:

# %%
weights = data(3, 2, 4, 4)  # A: 2 channels -> 3 channels, kernel 4, stride 2, padding 1
x, y = data(2, 2, 8, 8), data(2, 3, 4, 4)
ax, _ = conv.conv2d_forward(x, weights, None, 2, 1)
aty, _ = conv.conv_transpose2d_forward(y, weights, None, 2, 1)
print(f"<A x, y> = {float((to_numpy(ax) * y).sum()):.12f}\n<x, A^T y> = {float((x * to_numpy(aty)).sum()):.12f}")
up = ConvTranspose2d(3, 2, 4, rng, stride=2, padding=1, init_std=0.5, dtype="float64")
errors = check_layer(up, data(2, 3, 4, 4))
print("ConvTranspose2d(3, 2, k4, s2, p1):", {k: f"{v:.1e}" for k, v in errors.items()})
assert max(errors.values()) < LAYER_TOLERANCE

# %% [markdown]
# How many kernel taps reach each output pixel? With all-ones weights and input, the
# output counts them. A 4 x 4 kernel at stride 2 covers the interior evenly (4 taps
# everywhere); a 3 x 3 kernel at stride 2 covers it 1, 2 or 4 times in a checkerboard,
# which a generator must then learn to cancel (Odena et al., 2016, "Deconvolution and
# checkerboard artifacts"). That is why npgan's DCGAN uses 4 x 4 kernels.

# %%
coverage = {}
for kernel in (4, 3):
    ones = np.ones((1, 1, kernel, kernel))
    coverage[kernel] = to_numpy(conv.conv_transpose2d_forward(np.ones((1, 1, 6, 6)), ones, None, 2, 1)[0])[0, 0]
    print(f"kernel {kernel}, stride 2: taps per output pixel, two interior rows:\n{coverage[kernel][2:4, 2:8]}")

# %% [markdown]
# ## 4. Batch norm's backward, through the batch statistics
#
# Batch norm normalises each channel over the batch (and, for images, over every
# position): `xhat = (x - mu) s` with `s = (var + eps)^(-1/2)`, then `y = gamma xhat + beta`.
# `dgamma` and `dbeta` are immediate. For `dx`, every `xhat_m` depends on every `x_k` of
# its channel through `mu` and `var`; carrying that through (`normalization.py` has the
# derivation) gives, over the M values of a channel,
#
#     dx = s (dxhat - mean(dxhat) - xhat mean(dxhat xhat)),      dxhat = gamma dy
#
# The slip is to treat `mu` and `var` as constants, `dx = s dxhat`. Both have the right
# shape, and only a check of `dx` tells them apart.

# %%
bn = BatchNorm(3, dtype="float64")
bn.params["gamma"][...] = data(3) + 1
bn.params["beta"][...] = data(3)
x = data(4, 3, 3, 3) * 2 + 1
errors = check_layer(bn, x)
print("BatchNorm(3), training mode:", {k: f"{v:.1e}" for k, v in errors.items() if not k.startswith("running")})
dy = data(*x.shape)
_, cache, _ = normalization.batch_norm_forward(x, bn.params["gamma"], bn.params["beta"])
xhat, s, gamma = cache
constant_stats = dy * gamma[None, :, None, None] * s  # the slip


def loss():
    return float((normalization.batch_norm_forward(x, bn.params["gamma"], bn.params["beta"])[0] * dy).sum())


bn_broken_error = rel_error(constant_stats, numerical_gradient(loss, x))
print(f"dx = s * dxhat (statistics held constant): error {bn_broken_error:.1e}")
assert bn_broken_error > 1e-2 and max(errors.values()) < LAYER_TOLERANCE

# %% [markdown]
# In training, batch norm also keeps running averages of each channel's mean and
# variance (each training pass moves them a tenth of the way to the batch's); in
# evaluation (`training=False`, how `GAN.sample` runs G) it normalises with those instead,
# so a sample does not depend on what else is in its batch. A fresh layer after one
# training pass still holds mostly its initial 0 and 1, so the two modes disagree. After
# many passes over the same batch the running mean equals the batch mean, but the two
# modes still do not agree exactly: the running variance is kept in its *unbiased* form,
# `var * M / (M - 1)` with `M` the values per channel (here 4 images x 3 x 3 positions,
# `M = 36`), while a training pass normalises by the biased `var`. In evaluation every
# `xhat` is therefore `sqrt(35/36)` of its training value, and the outputs differ by
# `|gamma xhat| (1 - sqrt(35/36))`, computed below beside the measured gap. On a real
# data set the running statistics average many batches and the factor is tiny for large
# `M`; the point is that the two modes are different functions by design.
# (`tests/nn/test_conv.py` checks both modes.)

# %%
fresh = BatchNorm(3, dtype="float64")
done = 0
for passes in (1, 99):
    for _ in range(passes):
        train_out = to_numpy(fresh.forward(x))
    done += passes
    difference = np.abs(train_out - to_numpy(fresh.forward(x, training=False))).max()
    print(f"after {done} training pass{'es' if done > 1 else ''}: largest |training - evaluation| output "
          f"difference {difference:.3f}")
for passes in (900,):
    for _ in range(passes):
        train_out = to_numpy(fresh.forward(x))
    done += passes
M = x.shape[0] * x.shape[2] * x.shape[3]
_, (xhat_train, _, _), _ = normalization.batch_norm_forward(x, fresh.params["gamma"], fresh.params["beta"])
predicted = np.abs(to_numpy(fresh.params["gamma"])[None, :, None, None] * to_numpy(xhat_train)).max() * (
    1 - np.sqrt((M - 1) / M))
difference = np.abs(train_out - to_numpy(fresh.forward(x, training=False))).max()
print(f"after {done} passes: measured difference {difference:.4f}; predicted by the unbiased variance "
      f"(M = {M}), max |gamma xhat| (1 - sqrt({M - 1}/{M})) = {predicted:.4f}")

# %% [markdown]
# ## 5. A DCGAN on MNIST
#
# `npgan/models/dcgan/model.py` builds DCGAN for 28 x 28 images from these layers: D convolves to 64
# then 128 channels at stride 2 with LeakyReLU and a batch norm on the second, G grows
# 100 numbers to 7 x 7 x 128, 14 x 14 x 64 and 28 x 28 x 1 by transposed convolutions
# with batch norm and ReLU and a sigmoid out, trained with Adam at DCGAN's 2e-4 and
# beta1 0.5 (`npgan train --preset mnist-dcgan`). D's step differs from the MLP GAN's in
# one way that batch norm forces: real and generated minibatches go through D in
# separate passes, each normalised by its own statistics, as in DCGAN's code.
#
# DCGAN's recipe alone improves slowly on MNIST (Frechet distance about 9 after 69 epochs,
# `results/dcgan/dcgan.md`). One change to the networks makes it the best generator in
# npgan: a fully connected hidden layer in each net, as InfoGAN's MNIST networks have
# (`conv_fc_units`; preset `mnist-dcgan-fc`, 128 units). G maps z to 128 units before the
# projection; D maps its 7 x 7 x 128 features to 128 units before the logit. npgan builds
# that layer from the convolution above: a convolution whose kernel covers the whole input
# map, without padding, has one output position, and each of its units reads every input,
# which is what a fully connected layer is. The check: such a convolution is the product
# of the flattened map with the kernel as a matrix.

# %%
rng = np.random.default_rng(3)
whole_map = Conv2d(8, 5, 7, Random(4), bias=False, dtype="float64")  # 8 channels of 7 x 7 -> 5 units
maps = rng.normal(size=(3, 8, 7, 7))
as_convolution = to_numpy(whole_map.forward(maps)).reshape(3, 5)
as_product = maps.reshape(3, -1) @ to_numpy(whole_map.params["W"]).reshape(5, -1).T
print("output shape", to_numpy(whole_map.forward(maps)).shape,
      "; largest difference from the product:", np.abs(as_convolution - as_product).max())

# %% [markdown]
# Below, the library's own step (`DCGANModel.step`) on `mnist-dcgan-fc`'s networks for a few
# hundred iterations (a fraction of an epoch; a fast run uses tiny networks and a handful
# of steps).

# %%
config = get_preset("mnist-dcgan-fc")
iterations = 200
if FAST:
    config, iterations = config.replace(conv_width=4, batch_size=16), 6
model = DCGANModel(config)
print(model.gan.G)
print(model.gan.D)
model.begin_epoch(0, True)
history = []
for i in range(iterations):
    history.append({name: float(value) for name, value in model.step(i).items()})
    if (i + 1) % 50 == 0 or i + 1 == iterations:
        print(f"iteration {i + 1}: " + "  ".join(f"{k} {v:.3f}" for k, v in history[-1].items()))

# %% [markdown]
# The committed DCGAN generator (`pretrained/npgan-mnist-dcgan-generator.npz`, from
# `npgan train --preset mnist-dcgan-fc`, 40 epochs; its scores are in `results/dcgan/dcgan.md`)
# beside the one just trained and real test images. Two hundred steps are not enough for
# these networks to draw strokes: with the fully connected layer the first epoch ends
# further from the data than DCGAN's plain recipe does (Frechet distance 141 against 60),
# and the layer pays from the third epoch on (9.9 against 32).

# %%
pretrained = npgan.load(HERE.parent / "pretrained" / "npgan-mnist-dcgan-generator.npz")
mnist = load_mnist()
panels = [("real MNIST test images", mnist.test_x[:40]),
          (f"after {iterations} iterations here", to_numpy(model.gan.sample(40, rng=Random(1)))),
          ("the committed DCGAN generator", to_numpy(pretrained.sample(40, rng=Random(1))))]

fig = plt.figure(figsize=(14, 8))
grid = fig.add_gridspec(2, 12)
ax = fig.add_subplot(grid[0, 0:3])
picture = np.arange(25).reshape(5, 5)
ax.imshow(picture, cmap="Greys", alpha=0.3)
for (r, c), value in np.ndenumerate(picture):
    ax.text(c, r, value, ha="center", va="center", fontsize=8)
for (r, c), colour in (((0, 0), "tab:red"), ((1, 2), "tab:blue")):
    ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 3, 3, fill=False, edgecolor=colour, lw=2))
ax.set_title("(a) a 5x5 image, two 3x3 patches", fontsize=9)
ax.axis("off")
ax = fig.add_subplot(grid[0, 3:6])
ax.imshow(cols, cmap="viridis", aspect="auto")
for column, colour in ((0, "tab:red"), (5, "tab:blue")):
    ax.add_patch(plt.Rectangle((column - 0.5, -0.5), 1, 9, fill=False, edgecolor=colour, lw=2))
ax.set_xlabel("output position (oh, ow)")
ax.set_ylabel("kernel offset (i, j)")
ax.set_title("(b) im2col: a patch per column\n(colour: pixel index)", fontsize=9)
for k, kernel in enumerate((4, 3)):
    ax = fig.add_subplot(grid[0, 6 + 3 * k:9 + 3 * k])
    shown = ax.imshow(coverage[kernel], cmap="magma", vmin=0, vmax=4)
    ax.set_title(f"({'cd'[k]}) taps per output pixel,\nConvTranspose kernel {kernel}, stride 2", fontsize=9)
    ax.axis("off")
fig.colorbar(shown, ax=ax, fraction=0.046)
ax = fig.add_subplot(grid[1, 0:3])
steps = np.arange(1, len(history) + 1)
for name, label in (("d_real", "D(x)"), ("d_fake", "D(G(z))")):
    ax.plot(steps, [h[name] for h in history], label=label)
ax.set_xlabel("iteration")
ax.set_ylim(0, 1)
ax.legend()
ax.set_title("(e) D(x) and D(G(z)) while training", fontsize=9)
for k, (title, images) in enumerate(panels):
    ax = fig.add_subplot(grid[1, 3 + 3 * k:6 + 3 * k])
    ax.imshow(plots.tile_images(images, ncols=8), cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"({'fgh'[k]}) {title}", fontsize=9)
    ax.axis("off")
fig.tight_layout()
path = FIGURES / "13_convolution.png"
fig.savefig(path, dpi=80, bbox_inches="tight")
plt.show()
print("saved", path)

# %% [markdown]
# ## 6. How fast, beside PyTorch
#
# The layers above are the plain forms, written to be read. The layers the library runs
# on NumPy call fast forms of the same functions (`npgan/nn/kernels.py`: channels-last
# arrays, unfolding by one strided view, folding by a few block adds, batch norm's
# backward fused), tested equal to the plain ones. `python benchmarks/conv.py --threads 1`
# times one DCGAN iteration (both steps and Adam, batch 128) beside the same model in
# PyTorch, in one process, and splits npgan's time into its parts; every full run adds a
# line to `benchmarks/results/conv.jsonl`. The latest lines of the fast forms, one and two
# threads:

# %%
import json  # noqa: E402

measured = HERE.parent / "benchmarks" / "results" / "conv.jsonl"
latest = {}
if measured.exists():
    for line in measured.read_text().splitlines():
        run = json.loads(line)
        if run.get("forms") == "fast" and run["batch"] == 128:
            latest[run["threads"]] = run  # the file is in time order: the last one wins
for threads, run in sorted(latest.items()):
    step = run["rows"][-1]
    print(f"{threads} thread(s), {run['time'][:10]}: one DCGAN iteration {step['npgan_ms']:.0f} ms, "
          f"PyTorch {step['torch_ms']:.0f} ms (wall clock): npgan / PyTorch = {step['ratio']:.2f}")
if 1 in latest:
    print("\nwhere one thread's iteration goes (ms of CPU; PyTorch's from its profiler):")
    for part in latest[1]["parts"]:
        theirs = part["torch_ms"]
        print(f"  {part['what'].replace('part:', '').strip():32s} {part['npgan_ms']:7.1f}"
              + (f" {theirs:7.1f}" if theirs is not None else "       -"))

# %% [markdown]
# Most of the gap is in the convolutions: npgan unfolds each image into a matrix of
# patches, multiplies, and folds the result back, writing and reading megabytes that
# PyTorch's direct convolutions (oneDNN) never make; the products themselves are the same
# arithmetic. Batch norm and the activations are the rest: each NumPy operation makes a
# pass over memory, where PyTorch fuses several into one.

# %% [markdown]
# ## What to take away
#
# * A convolution is a matrix product after an unfolding that copies each pixel into
#   every patch that sees it; its backward pass needs the unfolding's adjoint, which adds
#   the copies' gradients back together.
# * Test a transpose by its definition, `<A x, y> = <x, A^T y>`, and test a gradient in
#   the configuration that exercises the code (an overwriting `col2im` passes whenever
#   patches do not overlap).
# * The "deconvolution" of DCGAN's generator is a convolution's adjoint, so its backward
#   pass is the convolution itself.
# * Batch norm's input gradient runs through the batch mean and variance; dropping them
#   gives a plausible, wrong `dx` that only a check catches.
# * A fully connected layer is a convolution whose kernel covers the whole map; one such
#   layer in each net is the change that took npgan's DCGAN from its worst generator to its best.

# %% [markdown]
# ## Exercises
#
# 1. Check `<im2col(x), y> = <x, col2im(y)>` over several kernels, strides and paddings,
#    with and without overlapping patches.
# 2. Derive the output sizes of a convolution and a transposed convolution and check
#    them against `conv.output_size`, `conv.transposed_size` and DCGAN's 7 -> 14 -> 28.
#
# Solutions: `tutorials/solutions/13_convolution.py` (the test suite runs it in fast mode).
