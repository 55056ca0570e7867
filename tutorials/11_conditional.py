# %% [markdown]
# # 11. Conditional generation: "draw me a 7" and "finish this half digit"
#
# The paper's conclusion (Section 7) lists the extensions its framework admits; two of
# them are conditional models (items 1 and 3 of its list, quoted as the paper writes them):
#
# 1. "A conditional generative model p(x | c) can be obtained by adding c as input to
#    both G and D." With c the one-hot class of a digit this is the conditional GAN of
#    Mirza and Osindero (2014).
# 3. "One can approximately model all conditionals p(x_S | x_not_S) where S is a subset of
#    the indices of x by training a family of conditional models that share parameters."
#    (The paper writes the complement as an S struck through; `x_not_S` here.) Today
#    this is called **inpainting**: given some pixels, draw the rest.
#
# (Item 2, learned approximate inference, is the subject of tutorial 10.) A warning on
# notation: in the paper S is the set of pixels the model *draws*, given the rest. npgan's
# code and this tutorial call the *observed* pixels S (G sees `x_S`), so in these names
# the model learns `p(x_not_S | x_S)`: the same family of conditionals, with S and its
# complement swapped.
#
# This tutorial takes both apart with npgan's own layers:
#
# 1. the label at the input: why concatenating a one-hot vector is a learned per-class
#    bias, and why the gradient goes to x but never to the label (checked by central
#    differences);
# 2. the conditional GAN's training step written out and checked against the library's;
#    a small conditional GAN trained here, then the committed one
#    (`pretrained/npgan-mnist-cgan.npz`), scored by npgan's classifier: is a "7" a 7?
# 3. the inpainter: one G for seven kinds of mask, the observed pixels copied through,
#    D judging the completed image *with its mask*, and G's three-term loss written out;
# 4. the other route: search the plain generator's code z until G(z) agrees with the
#    pixels we have (Yeh et al., 2017), the gradient taken through G to its input
#    (tutorial 10 derives and checks it).
#
# Models: `npgan.models.cgan.model` (+ `conditional_model`), `npgan.models.inpainting.model` (+
# `inpainting_model`, `inpainting_search`), trained by the same `npgan.train.train` as
# `npgan train --preset mnist-cgan|mnist-inpaint`. `NPGAN_FAST=1` shrinks every run to
# seconds (and the pictures to nonsense).

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
from npgan.evaluation import classifier as classifiers
from npgan.models.cgan import model as cgan_model
from npgan.models.cgan.checks import LabelledNetwork
from npgan.models.inpainting import model as inpaint_model
from npgan.models.inpainting.scores import missing_error_and_spread, nearest_neighbour_completion
from npgan.models.inpainting.search import complete_by_search
from npgan.nn.gradcheck import numerical_gradient, rel_error
from npgan.plots import tile_images
from npgan.train import train

FAST = tutorial.fast_mode()  # NPGAN_FAST=1: seconds, not minutes (see npgan.tutorial)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
REPO = HERE.parent
FIGURES = tutorial.figures_folder(HERE)  # tutorials/figures/ in a full run, a scratch folder in a fast one
RUNS = Path(tempfile.mkdtemp(prefix="npgan-tutorial-11-"))  # the run folders of this tutorial

mnist = load_mnist()
x_test, y_test = mnist.test_x, mnist.test_y.astype(np.int64)
net = classifiers.load()[0]  # npgan's MNIST classifier (98.77% on the test set): our judge of "is it a 7?"


def classify(images):
    """The classifier's digit for each image (n, 784)."""
    return to_numpy(net.logits(asarray(images))).argmax(axis=1)


# %% [markdown]
# ## 1. The label at the input
#
# G gets `[z, c]` and D gets `[x, c]`, with `c = onehot(y)`. Split the first layer's
# weights by rows, `W = [W_x; W_c]`:
#
#     [x, c] W + b = x W_x + c W_c + b = x W_x + (W_c[y] + b)
#
# so the label adds **row y of `W_c`**, a learned bias of the first layer for class y.
# Nothing else is new: the same `Linear`, optimisers, checkpoints and gradient checks.
# Here it is with a real first layer:

# %%
rng = Random(0)
D = cgan_model.discriminator(784, (32,), rng, activation="maxout", pieces=2, dtype="float64")
first = D.layers[0]  # a Maxout layer of 32 units x 2 pieces: W (794, 64), its columns unit by unit
W, b = to_numpy(first.params["W"]), to_numpy(first.params["b"])
x = x_test[:4].astype(np.float64)
y = y_test[:4]
joined = np.concatenate([x, np.eye(10)[y]], axis=1) @ W + b
per_class_bias = x @ W[:784] + W[784:][y] + b
print("first layer on [x, c] vs x W_x + W_c[y] + b: largest difference", np.abs(joined - per_class_bias).max())

# %% [markdown]
# The backward pass returns the gradient with respect to the whole input `[x, c]`,
# `da W^T`. Its first 784 columns are `dL/dx`, which G needs in its step; the last ten
# are "the gradient with respect to the label", which means nothing: a label is an
# integer, no step ever moves it. `conditional_checks.LabelledNetwork` wraps D as a function of
# x alone (the label held fixed) and drops those columns; central differences on x agree:

# %%
D_of_x = LabelledNetwork(D, asarray(np.eye(10)[y]))
D_of_x.forward(asarray(x), training=False)
dx = to_numpy(D_of_x.backward(asarray(np.ones((4, 1))), param_grads=False))
x_probe = asarray(x.copy())
numeric = to_numpy(numerical_gradient(lambda: float(D_of_x.forward(x_probe, training=False).sum()), x_probe))
print(f"dD/dx: backward {dx.shape}, relative error against central differences {rel_error(dx, numeric):.1e}")

# %% [markdown]
# ### The conditional GAN's training step, written out
#
# `mnist-cgan` trains by the paper's code's update (tutorial 5: one D pass over real and
# generated rows, D's loss into D, G's loss through the *same* pass into G), with labels:
# real pairs `(x, y)` from the data, fake pairs `(G(z, y'), y')` with `y'` drawn
# uniformly. Written out with the losses of tutorial 3, the label joined by hand, and
# the label's columns of D's input gradient dropped by hand; beside it the library's
# `ConditionalModel.step` on a second copy built from the same seed (the same minibatch,
# noise, labels and dropout masks), and the weights compared:

# %%
from npgan.models.cgan.training import ConditionalModel  # noqa: E402  (the model the trainer runs)
from npgan.nn import losses  # noqa: E402

step_config = npgan.get_preset("tiny-cgan").replace(g_hidden=(16,), d_hidden=(8,), batch_size=20)
by_hand, library = ConditionalModel(step_config), ConditionalModel(step_config)
for model in (by_hand, library):
    model.begin_epoch(0, fresh=True)
library.step(0)

g = by_hand.gan
x_real, y_real = by_hand.data.batch(0)
m = x_real.shape[0]
y_fake = g.random_labels(m)  # y' ~ uniform, then z ~ p_z: the library's order of draws
z = g.sample_noise(m)
fake = g.G.forward(np.concatenate([z, np.eye(10, dtype=z.dtype)[y_fake]], axis=1), training=True)
pairs = np.concatenate([np.concatenate([x_real, fake]), np.eye(10, dtype=z.dtype)[np.concatenate([y_real, y_fake])]],
                       axis=1)  # [x, onehot(y)] rows: m real, then m generated
logits = g.D.forward(pairs, training=True)
d_loss, d_real, d_fake = losses.discriminator_loss(logits[:m], logits[m:], g.real_target)
g_loss, g_dlogits = losses.generator_loss(logits[m:], g.gen_loss)
g.D.backward(np.concatenate([d_real, d_fake]), input_grad=False)  # D's parameter gradients
d_pairs = g.D.backward(np.concatenate([np.zeros_like(d_real), g_dlogits]), param_grads=False)  # the same pass
g.G.backward(d_pairs[m:, :784], input_grad=False)  # the label's ten columns dropped: no step moves a label
by_hand.d_optimizer.step()
by_hand.g_optimizer.step()
worst = max(float(np.abs(to_numpy(a) - to_numpy(b)).max())
            for net_a, net_b in ((by_hand.gan.D, library.gan.D), (by_hand.gan.G, library.gan.G))
            for a, b in zip(net_a.params.values(), net_b.params.values()))
fresh = ConditionalModel(step_config)
moved = {name: max(float(np.abs(to_numpy(a) - to_numpy(b)).max()) for a, b in zip(
    getattr(library.gan, name).params.values(), getattr(fresh.gan, name).params.values())) for name in ("D", "G")}
print(f"one cGAN step by hand against ConditionalModel.step ({step_config.update} update): largest weight "
      f"difference {worst:.1e}, where the step moved D's weights by up to {moved['D']:.1e}, G's by {moved['G']:.1e}")
assert worst <= 1e-3 * min(moved.values())

# %% [markdown]
# ## 2. A conditional GAN, trained here and committed
#
# The preset `tiny-cgan` is `mnist-cgan` with one small hidden layer in G and D:
# Algorithm 1 where every generated example draws its label uniformly, and D sees real
# pairs (x, y) from the data beside fake pairs (G(z, y'), y'). The score is the share of
# samples that npgan's classifier puts in the class they were asked for.

# %%
EPOCHS = 1 if FAST else 3
tiny = train(npgan.get_preset("tiny-cgan").replace(epochs=EPOCHS), RUNS / "cgan", quiet=True)
labels = np.repeat(np.arange(10), 10 if FAST else 100)
asked = classify(to_numpy(tiny.sample(len(labels), rng=Random(1), labels=asarray(labels)))) == labels
print(f"small cGAN, {EPOCHS} epoch(s): {asked.mean():.1%} of {len(labels)} samples classified as asked")

# %% [markdown]
# What D learned about labels: the same real test images, judged with their own label
# and with a wrong one (the next digit). A D that ignored the label would give both the
# same probability of "real"; a trained one says a 7 labelled 8 is a fake.

# %%
real, wrong = x_test[:1000], (y_test[:1000] + 1) % 10
right_label = to_numpy(tiny.discriminate(asarray(real), asarray(y_test[:1000])))
wrong_label = to_numpy(tiny.discriminate(asarray(real), asarray(wrong)))
print(f"D(x, c) on 1,000 real test images: {right_label.mean():.3f} with their own label, "
      f"{wrong_label.mean():.3f} with the next digit's")

# %%
committed = REPO / "pretrained" / "npgan-mnist-cgan.npz"
cgan = npgan.load(committed) if committed.exists() and not FAST else tiny
samples = to_numpy(cgan.sample(1000, rng=Random(2)))  # 100 of each class, in label order
print(f"{'committed' if cgan is not tiny else 'small'} cGAN: "
      f"{(classify(samples) == np.repeat(np.arange(10), 100)).mean():.1%} of 1,000 samples classified as asked")

fig, ax = plt.subplots(figsize=(6, 6))
ax.imshow(tile_images(samples.reshape(10, 100, 784)[:, :10].reshape(100, 784), ncols=10), cmap="gray")
ax.set_title("G(z, c): one class per row, ten draws of z each")
ax.axis("off")
fig.savefig(FIGURES / "11_cgan_samples.png", dpi=100, bbox_inches="tight")
plt.close(fig)

# %% [markdown]
# Two details made `mnist-cgan` train at all (`results/conditional/conditional.md`): the label's rows
# of the first layer start **large** (drawn like the other weights, every class starts
# with nearly the same bias, G ignores the label, and D, which soon learns that an image
# does not fit its label, wins); and D's dropout drops pixels, never the label.
#
# ## 3. Inpainting: one model for a family of masks
#
# A mask `observed` is 1 on the pixels we have (the set S). G sees
# `u = observed * (x + 1) - 1` (the observed pixels, and -1 where a pixel is missing)
# beside its noise, and its output fills only the missing pixels:
#
#     completion = observed * x + (1 - observed) * G(z, u)
#
# so the gradient of anything with respect to G's output is zero on the observed pixels
# (`inpainting.compose_backward`). D judges `[completion, observed]`: without the mask a
# seam between given and drawn pixels would be invisible to it. Every training example
# draws one of seven masks, named by what is **missing**:

# %%
mask_rng = Random(3)
masks = np.concatenate([to_numpy(inpaint_model.observed_mask(name, 1, mask_rng)) for name in inpaint_model.MASKS])
fig, axes = plt.subplots(1, len(inpaint_model.MASKS), figsize=(12, 2.2))
for ax, name, m in zip(axes, inpaint_model.MASKS, masks):
    ax.imshow((x_test[0] * m + 0.35 * (1 - m)).reshape(28, 28), cmap="gray", vmin=0, vmax=1)
    ax.set_title(name)
    ax.axis("off")
fig.suptitle("the seven masks (grey: missing)")
fig.savefig(FIGURES / "11_masks.png", dpi=100, bbox_inches="tight")
plt.close(fig)

# %% [markdown]
# ### G's loss, written out
#
# The adversarial term alone left G nearly deterministic (it learned to ignore z), so
# npgan's inpainting presets train G on three terms (`mnist-inpaint`'s weights are below;
# the committed model, a convolutional G, ended its training at 100 and 78). With `o = G(z, u)`, the
# completion `c = observed * x + (1 - observed) * o`, `m = 1 - observed` (the missing
# pixels) and N images of 784 pixels:
#
#     L_G = L_adv + 50 L_2 + 50 L_div
#
#     L_adv = -1/N sum_n log D([c_n, observed_n])              (the non-saturating objective)
#     L_2   = 1/(784 N) sum_n sum_d m_nd (o_nd - x_nd)^2        (squared error, missing pixels only)
#     L_div = -1/h sum_n min(d_n / s_n, 0.02)                   (Yang et al.'s diversity term)
#
# For `L_div` the batch holds each image twice, rows `n` and `n + h`, one mask, two codes:
# `s_n = mean_j (z_nj - z_{n+h},j)^2` is how far apart the codes are, and `d_n` how far apart
# the two completions are on the missing pixels, measured on 4 x 4 cell averages
# `p_n = pool(m_n (o_n - o_{n+h}))` so that speckle cannot meet it: `d_n = 16/k_n sum_c p_nc^2`
# with `k_n` the number of missing pixels. Minimising `-d_n / s_n` pulls the two completions
# apart, per unit of code distance, until the ratio reaches the cap 0.02.
#
# Each term's gradient with respect to G's output `o`:
#
# * `L_adv`: D's input gradient `dc` (its first 784 columns; the mask's are data), then
#   `do = m * dc`, since `dc_nd / do_nd = 1 - observed_nd` (`compose_backward`): an observed
#   pixel passes no gradient, whatever G wrote there is overwritten;
# * `L_2`: `dL_2/do_nd = 2 m_nd (o_nd - x_nd) / (784 N)`;
# * `L_div`: where the ratio is below the cap, `dL_div/dp_nc = -32 p_nc / (h k_n s_n)`; the
#   pooling's backward spreads each cell's gradient over its 16 pixels divided by 16, the
#   mask keeps the missing ones, and row `n + h` gets the opposite sign
#   (`o_{n+h}` enters `p_n` with a minus); above the cap the term is flat and its gradient 0.
#
# The sum `do` goes into G's backward as in Algorithm 1 (`Inpainter.g_loss_and_grad`).
# The two new terms against central differences, in float64, on two images each twice:

# %%
rng64 = Random(11)
observed2 = to_numpy(inpaint_model.observed_mask("top", 2, rng64, "float64"))
observed4 = np.concatenate([observed2, observed2])
x4 = np.concatenate([x_test[:2], x_test[:2]]).astype(np.float64)
o4 = to_numpy(rng64.uniform(0.0, 1.0, (4, 784), "float64"))
z4 = to_numpy(rng64.uniform(-1.7, 1.7, (4, 16), "float64"))
o4[2:] = o4[:2] + 0.3 * (o4[2:] - o4[:2])  # two close completions: the ratio is below the cap
for name, term in (("L_2", lambda: inpaint_model.missing_squared_error(o_probe, x4, observed4)),
                   ("L_div", lambda: inpaint_model.diversity_loss(o_probe, z4, observed4))):
    o_probe = o4.copy()
    value, grad = term()
    numeric = numerical_gradient(lambda: float(term()[0]), o_probe)
    print(f"{name:5s} = {float(value):+.5f}, dL/do against central differences: {rel_error(grad, numeric):.1e}")
preset = npgan.get_preset("mnist-inpaint")
print(f"the preset's weights: l2 {preset.inpaint_l2}, diversity {preset.inpaint_diversity}")

# %% [markdown]
# A small inpainter trained here, then the committed one (`npgan inpaint` uses it). For
# each mask: the completions' accuracy under the classifier (against the original's
# label), the squared error on the missing pixels, and the **spread** between two
# completions of the same input (a G that ignores z gives 0), beside the nearest
# training image on the observed pixels.

# %%
small = train(npgan.get_preset("tiny-inpaint").replace(iters_per_epoch=20 if FAST else 300), RUNS / "inpaint",
              quiet=True)
committed = REPO / "pretrained" / "npgan-mnist-inpaint.npz"
inpainter = npgan.load(committed) if committed.exists() and not FAST else small
n_images = 100 if FAST else 1000
x, y = x_test[:n_images], y_test[:n_images]
train_images = mnist.train_x[:5000] if FAST else mnist.train_x
rows = []
for name in inpaint_model.MASKS:
    observed = to_numpy(inpaint_model.observed_mask(name, n_images, Random(4)))
    completions = to_numpy(inpainter.complete(asarray(x), asarray(observed), Random(5), per_image=2))
    error, spread = missing_error_and_spread(x, observed, completions, 2)
    nearest = to_numpy(nearest_neighbour_completion(asarray(x), asarray(observed), asarray(train_images)))
    accuracy = (classify(completions) == np.repeat(y, 2)).mean()
    rows.append((name, accuracy, error, spread, (classify(nearest) == y).mean()))
print(f"{'mask':>9} | {'GAN accuracy':>12} | {'missing MSE':>11} | {'spread':>6} | nearest image accuracy")
for name, accuracy, error, spread, nearest_accuracy in rows:
    print(f"{name:>9} | {accuracy:12.1%} | {float(error):11.4f} | {float(spread):6.3f} | {nearest_accuracy:.1%}")

# %% [markdown]
# Read the last column beside the first. The nearest training image (on the observed
# pixels) is a strong baseline: the distance to 50,000 real digits is a good classifier,
# and through three rounds of npgan's trials it kept the class more often than every MLP
# inpainter did. The committed one, a convolutional G (`network.ConvGenerator`), keeps it
# more often on the four halves of the full test set (by 1.2-3.4 points; on these 1,000
# images the margins move by about a point), but not with 90% of the pixels missing at
# random, where the neighbour still finds the right digit more often
# (`results/inpainting/inpainting.md` has every mask on the full test set, and the rounds
# of trials that led there). What the
# GAN has that the neighbour cannot have is the spread: different z, different plausible
# completions of one input. Without the diversity term in G's loss it was several times
# smaller (0.01-0.02 against 0.08-0.16 in the 2-epoch trials of
# `results/inpainting/inpainting.md`): G learned to ignore z, the conditional
# GAN's classic failure. The squared-error term has the opposite pull: on its own its
# minimiser is the *mean* of the plausible completions, a blur, which the adversarial term
# and the diversity term push back against.

# %% [markdown]
# ## 4. The other route: search the plain generator's z
#
# An unconditional G already knows p(x). To complete an image, find the code whose
# image agrees with the observed pixels,
#
#     z* = argmin_z 1/784 sum_d observed_d (G(z)_d - x_d)^2,
#
# by gradient descent on z, the gradient taken through G to its *input* by G's own
# backward pass (`inpainting_search.search_gradient`, checked in `npgan gradcheck`), and
# copy the observed pixels through. No training, but hundreds of passes through G per
# image, and G's range may not hold a good completion at all.

# %%
generator = npgan.load(REPO / "pretrained" / "npgan-mnist-generator.npz")
shown = 8
observed = to_numpy(inpaint_model.observed_mask("top", shown, Random(6)))  # the top half is missing
z0 = generator.sample_noise(shown, Random(7))
searched, _, _ = complete_by_search(generator.G, asarray(x_test[:shown]), asarray(observed), z0,
                                    steps=5 if FAST else 300, lr=0.05, bound=generator.noise_scale)
drawn = to_numpy(inpainter.complete(asarray(x_test[:shown]), asarray(observed), Random(8), per_image=3))
picture = np.concatenate([x_test[:shown], x_test[:shown] * observed + 0.35 * (1 - observed),
                          drawn.reshape(shown, 3, 784).transpose(1, 0, 2).reshape(-1, 784), to_numpy(searched)])
fig, ax = plt.subplots(figsize=(6, 5.5))
ax.imshow(tile_images(picture, ncols=shown), cmap="gray")
ax.set_title("original / top half missing / three inpaintings / search of G's z")
ax.axis("off")
fig.savefig(FIGURES / "11_inpainting.png", dpi=100, bbox_inches="tight")
plt.close(fig)
print("classes of the originals:", y_test[:shown], " of the searched completions:", classify(to_numpy(searched)))

# %% [markdown]
# The conditional model answers in one pass and draws different completions for
# different z; the search answers one completion per start and costs hundreds of passes.
# `results/inpainting/inpainting.md` compares the two routes on every mask over the test set, and
# `results/conditional/conditional.md` scores the committed cGAN with FD, precision and recall
# beside the unconditional generator.

# %% [markdown]
# ## What to take away
#
# * Conditioning by concatenation is a learned per-class bias of the first layer; the
#   gradient to the image drops the label's columns (a label is not a parameter).
# * A conditional D must see the condition: D judges `(x, c)` pairs, and a real digit
#   with a wrong label is a fake to it. For inpainting the condition is the mask, and D
#   judges the completed image *with* its mask, or a seam would be invisible.
# * The inpainter's G loss is three terms, each with its own gradient into `o`: the
#   adversarial one through D and the composition (zero on observed pixels), the squared
#   error on the missing pixels (which alone draws the conditional mean, a blur), and the
#   diversity term (which alone spreads completions without making them right).
# * Judge a completion against a baseline that needs no training: the nearest training
#   image keeps the class more often than the committed inpainter. What the GAN adds is
#   diversity, measured as the spread between two completions of one input.

# %% [markdown]
# ## Exercises
#
# 1. Show that the diversity term is flat above its cap: for two completions far apart
#    the loss is exactly `-0.02` and its gradient exactly 0.
# 2. Score the committed cGAN class by class: which digit does it draw worst?
#
# Solutions: `tutorials/solutions/11_conditional.py` (the test suite runs it in fast mode).
