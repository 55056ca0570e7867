# %% [markdown]
# # 4. The game's dynamics: why training circles, and what the optimiser does to the orbit
#
# Tutorials 2 and 3 looked at the GAN game's *solution*: for a fixed G the best D is
# `D*`, and G's best answer to `D*` is the data. Algorithm 1 does not jump to best
# answers; it takes small gradient steps for both players, one after the other, and a
# game of gradient steps is not an optimisation: there is no single quantity that every
# step lowers. This tutorial draws what the steps do, in games small enough to picture:
#
# 1. the **bilinear game** `min_x max_y x y`: the vector field of gradient steps is a pure
#    rotation; simultaneous steps spiral out, alternating steps circle for ever, and why,
#    from the eigenvalues of the update;
# 2. what a **smaller step** and **momentum** do to that orbit (and why negative momentum
#    helps the alternating update);
# 3. **Adam by hand**: its two moments and bias correction, derived, and checked against
#    `npgan.nn.optim.Adam` on a reference update (the tutorials that follow train with it);
#    then Adam's orbit on the same game;
# 4. **tutorial 3's 1-D GAN**, cut down to one parameter per player so that its whole
#    state is a point in the plane: G shifts its noise by `theta`, D is a logistic unit of
#    slope `psi`. Its vector field, why `k = 1` oscillates around the equilibrium, and what
#    `k`, the step, momentum and Adam change.
#
# Everything here is NumPy on two or four numbers; a full run takes seconds.

# %%
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # tiny arrays: one BLAS thread is fastest

import matplotlib

if "ipykernel" not in sys.modules:  # a script: draw off-screen; a notebook keeps its own backend
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from npgan import tutorial
from npgan.backend import Random
from npgan.nn.layers import Linear
from npgan.nn.optim import Adam, MomentumSGD

FAST = tutorial.fast_mode()  # NPGAN_FAST=1: fewer steps (see npgan.tutorial)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
FIGURES = tutorial.figures_folder(HERE)  # tutorials/figures/ in a full run, a scratch folder in a fast one
STEPS = 300 if FAST else 3000

# %% [markdown]
# ## 1. The bilinear game
#
# `f(x, y) = x y`; x wants it small, y wants it large. The equilibrium is `(0, 0)`: there
# neither player can gain by moving alone. The gradients are `df/dx = y` and
# `df/dy = x`, so the field of the players' descent directions is
#
#     (dx, dy) = (-y, +x)
#
# a rotation: at every point it is perpendicular to the line from the origin. Followed
# exactly (infinitely small steps) it carries the point around a circle for ever; the
# players never settle, and never get further apart either.
#
# **Simultaneous steps** of size `eta` (both players read the same old position):
#
#     x' = x - eta y,   y' = y + eta x,       i.e.  [x'; y'] = [[1, -eta], [eta, 1]] [x; y]
#
# The matrix has eigenvalues `1 +- i eta`, of modulus `sqrt(1 + eta^2) > 1`: every step
# moves the point *outwards* by that factor, since each step leaves along the tangent of
# the circle it is on. **Alternating steps** (x moves, then y answers x's *new* value,
# as Algorithm 1 alternates D and G):
#
#     x' = x - eta y,   y' = y + eta x'       i.e.  [[1, -eta], [eta, 1 - eta^2]]
#
# whose determinant is exactly 1 and whose trace `2 - eta^2` lies in (-2, 2) for
# `eta < 2`: two eigenvalues on the unit circle. The orbit neither grows nor shrinks (it
# is a slightly tilted ellipse, which keeps `x^2 + y^2 - eta x y` constant).


# %%
def bilinear(x, y, eta, steps, alternating):
    """The path of ``steps`` gradient steps on ``x y`` from ``(x, y)``: (steps + 1, 2)."""
    path = [(x, y)]
    for _ in range(steps):
        x_new = x - eta * y
        y = y + eta * (x_new if alternating else x)
        x = x_new
        path.append((x, y))
    return np.array(path)


eta, n = 0.1, 200
for alternating in (False, True):
    path = bilinear(1.0, 0.0, eta, n, alternating)
    print(f"{'alternating ' if alternating else 'simultaneous'}: radius after {n} steps "
          f"{np.hypot(*path[-1]):.4f}", end="")
    if not alternating:
        print(f"  (predicted (1 + eta^2)^(n/2) = {(1 + eta**2) ** (n / 2):.4f})")
    else:
        conserved = path[:, 0] ** 2 + path[:, 1] ** 2 - eta * path[:, 0] * path[:, 1]
        print(f"  (x^2 + y^2 - eta x y from {conserved[0]:.6f} to {conserved[-1]:.6f})")
        assert np.allclose(conserved, conserved[0])

# %% [markdown]
# ## 2. A smaller step, and momentum
#
# A smaller step does not cure the simultaneous update, it only slows the spiral: to
# follow the flow for a fixed "time" `T = eta n`, the radius grows by
# `(1 + eta^2)^(T / 2 eta)`, which tends to 1 as `eta -> 0`, never below it. The flow
# itself circles; no step size converges.

# %%
T = 20.0
for step in (0.5, 0.1, 0.01):
    path = bilinear(1.0, 0.0, step, int(T / step), alternating=False)
    print(f"eta {step:5.2f}: radius after time {T:.0f} (simultaneous) {np.hypot(*path[-1]):8.3f}")

# %% [markdown]
# **Heavy-ball momentum** keeps a velocity `v <- beta v + g` and steps `p <- p - eta v`
# (npgan's `MomentumSGD`, with the rate folded into `v`). On a rotation, the velocity
# remembers where the gradient pointed a quarter-turn ago, so positive `beta` pushes
# the point further off its circle. The whole update is linear in `(x, y, v_x, v_y)`;
# its largest eigenvalue modulus (the *spectral radius* `rho`) says what happens in the
# long run: `rho > 1` spirals out, `rho < 1` spirals in, at `rho^n`.


# %%
def spectral_radius(eta, beta, alternating):
    """rho of heavy-ball momentum on ``x y``: the matrix of the linear update, column by column."""
    def step(state):
        x, y, vx, vy = state
        vx = beta * vx + y
        x_new = x - eta * vx
        vy = beta * vy - (x_new if alternating else x)
        return np.array([x_new, y - eta * vy, vx, vy])

    matrix = np.stack([step(e) for e in np.eye(4)], axis=1)
    return np.abs(np.linalg.eigvals(matrix)).max()


betas = np.linspace(-0.6, 0.9, 31)
rho = {name: [spectral_radius(0.1, b, name == "alternating") for b in betas]
       for name in ("simultaneous", "alternating")}
for b in (-0.5, 0.0, 0.5, 0.9):
    i = int(np.argmin(np.abs(betas - b)))
    print(f"beta {betas[i]:+.1f}: rho simultaneous {rho['simultaneous'][i]:.4f}, "
          f"alternating {rho['alternating'][i]:.4f}")

# %% [markdown]
# Positive momentum makes both updates spiral out faster, and `beta = 0.9`, the usual
# value for supervised learning, is the worst of the range. *Negative* momentum (Gidel
# et al., 2019) brings the alternating update's `rho` below 1, so the orbit finally
# closes in on the equilibrium; the simultaneous update stays above 1 at every `beta`.
# `MomentumSGD` only takes `beta` in [0, 1), and the paper's MNIST model uses momentum
# 0.5 rising to 0.7: a real GAN has other forces (below) that damp what momentum adds.
#
# ## 3. Adam by hand
#
# Adam (Kingma and Ba, 2015) keeps two running means per parameter, of the gradient and
# of its square:
#
#     m_t = beta1 m_{t-1} + (1 - beta1) g_t          (first moment)
#     v_t = beta2 v_{t-1} + (1 - beta2) g_t^2        (second moment)
#
# Both start at 0. Unrolled, `m_t = (1 - beta1) sum_{s<=t} beta1^(t-s) g_s`, a weighted
# sum whose weights add up to `(1 - beta1) (1 + beta1 + ... + beta1^(t-1)) = 1 - beta1^t`,
# not 1: early on, `m_t` is an average shrunk towards 0 (after one step, `m_1 = 0.1 g_1`
# for `beta1 = 0.9`). **Bias correction** divides the shrinkage out,
# `m_hat = m_t / (1 - beta1^t)`, `v_hat = v_t / (1 - beta2^t)`, and the step is
#
#     p <- p - lr m_hat / (sqrt(v_hat) + eps)
#
# so each coordinate moves by about `lr` times "mean gradient over root-mean-square
# gradient", a number near +-1 when the gradient is steady and near 0 when it flips sign.
# The first step is exactly `-lr sign(g_1)` (up to `eps`), whatever the gradient's scale.
# Written out, and checked against npgan's `Adam` (which updates a network's parameters
# in place from the gradients its backward left) on three updates of a `Linear` layer:


# %%
def adam_by_hand(p, grads, lr, beta1, beta2, eps=1e-8):
    """The parameter after Adam's updates with the gradients ``grads`` in turn."""
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        p = p - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return p


rng = Random(0)
layer = Linear(3, 2, rng, dtype="float64")
start = {name: layer.params[name].copy() for name in layer.params}
gradients = [{name: rng.normal(layer.params[name].shape, dtype="float64") * scale for name in layer.params}
             for scale in (1.0, 10.0, 0.01)]  # three updates, the gradient's scale changing wildly


class OneLayer:
    """A network of one layer: all an optimiser needs of a network is ``parameters()``."""

    def parameters(self):
        for name in layer.params:
            yield name, layer, name


optimizer = Adam(OneLayer(), lr=0.1, beta1=0.9, beta2=0.999)
for grads in gradients:
    for name in layer.params:
        layer.grads[name] = grads[name]
    optimizer.step()
for name in layer.params:
    hand = adam_by_hand(start[name], [grads[name] for grads in gradients], 0.1, 0.9, 0.999)
    difference = np.abs(hand - layer.params[name]).max()
    print(f"{name}: largest |by hand - npgan's Adam| after 3 updates {difference:.1e}")
    assert difference < 1e-14
first = adam_by_hand(start["W"], [gradients[0]["W"]], 0.1, 0.9, 0.999) - start["W"]
print("first step / (-lr sign g):", np.round(first / (-0.1 * np.sign(gradients[0]["W"])), 6).ravel())
no_correction = -0.1 * (0.1 * gradients[0]["W"]) / (np.sqrt(0.001 * gradients[0]["W"] ** 2) + 1e-8)
print(f"without bias correction the first step is {np.abs(no_correction).mean() / 0.1:.2f} lr "
      f"(m shrunk by 1 - beta1 = 0.1, sqrt(v) by sqrt(1 - beta2) = {np.sqrt(0.001):.3f})")

# %% [markdown]
# Without the correction the first step is `(1 - beta1) / sqrt(1 - beta2)`, about 3.2
# times `lr` for the usual betas: too large exactly when the moments know least.
#
# Adam on the bilinear game, through npgan's own `Adam` (each player a one-parameter
# "network"; the class below is all the optimiser needs of one):


# %%
class Player:
    """One scalar parameter with the interface npgan's optimisers read: ``parameters()``."""

    def __init__(self, value):
        self.params, self.grads = {"w": np.array([float(value)])}, {"w": np.zeros(1)}

    def parameters(self):
        yield "w", self, "w"

    @property
    def value(self):
        return float(self.params["w"][0])


def play(gradient_x, gradient_y, start, make_optimizer, steps, alternating=True, k=1):
    """Gradient play: x descends ``gradient_x(x, y)``, y descends ``gradient_y(x, y)`` (both as losses).

    Each iteration takes ``k`` steps of y, then one of x (Algorithm 1's order, D = y first)
    when ``alternating``; otherwise both from the same old position. Returns the path (n, 2).
    """
    x, y = Player(start[0]), Player(start[1])
    ox, oy = make_optimizer(x), make_optimizer(y)
    path = [start]
    for _ in range(steps):
        if alternating:
            for _ in range(k):
                y.grads["w"][0] = gradient_y(x.value, y.value)
                oy.step()
            x.grads["w"][0] = gradient_x(x.value, y.value)
            ox.step()
        else:
            x.grads["w"][0], y.grads["w"][0] = gradient_x(x.value, y.value), gradient_y(x.value, y.value)
            ox.step()
            oy.step()
        path.append((x.value, y.value))
    return np.array(path)


def sgd(lr, momentum=0.0):
    return lambda player: MomentumSGD(player, lr=lr, momentum=momentum)


def adam(lr, beta1, beta2=0.999):
    return lambda player: Adam(player, lr=lr, beta1=beta1, beta2=beta2)


bilinear_x, bilinear_y = (lambda x, y: y), (lambda x, y: -x)  # x minimises x y, y maximises it
adam_paths = {f"Adam, beta1 {b1}": play(bilinear_x, bilinear_y, (1.0, 1.0), adam(0.01, b1), STEPS, alternating=False)
              for b1 in (0.0, 0.5, 0.9)}
for name, path in adam_paths.items():
    radii = np.hypot(path[:, 0], path[:, 1])
    print(f"{name} (simultaneous, lr 0.01): radius {radii[0]:.3f} -> {radii[len(radii) // 2]:.3f} -> {radii[-1]:.3f}")

# %% [markdown]
# Adam's steps have a size of about `lr` whatever the gradient, so its orbit does not
# grow geometrically as plain steps do; but its first moment is momentum, and with
# `beta1 = 0.9` the orbit still drifts outwards. With `beta1 = 0.5` (the value DCGAN
# recommended for GANs, and npgan's Adam presets use) the drift is much slower, and with
# `beta1 = 0` (RMSProp with bias correction) the radius shrinks, slowly: each coordinate
# then moves by nearly `lr` per step and can only settle to within about `lr` of the
# equilibrium. These are the printed numbers of this run; the picture below draws the
# paths.

# %%
fig, axes = plt.subplots(1, 4, figsize=(17, 4.2))
grid = np.linspace(-2, 2, 15)
gx, gy = np.meshgrid(grid, grid)
for ax, alternating in zip(axes[:2], (False, True)):
    ax.quiver(gx, gy, -gy, gx, color="0.7", angles="xy")
    path = bilinear(1.0, 0.0, 0.2, 60, alternating)
    ax.plot(path[:, 0], path[:, 1], ".-", ms=3, color="C3" if not alternating else "C2")
    ax.plot(0, 0, "k*", ms=10)
    ax.set(xlim=(-2.2, 2.2), ylim=(-2.2, 2.2), aspect="equal", xlabel="x (minimises x y)", ylabel="y (maximises)",
           title=f"({'ab'[alternating]}) {'alternating' if alternating else 'simultaneous'} steps, eta 0.2")
axes[2].axhline(1, color="black", lw=0.8)
for name, values in rho.items():
    axes[2].plot(betas, values, label=name)
axes[2].set(xlabel="momentum beta", ylabel="spectral radius rho", title="(c) momentum on x y, eta 0.1")
axes[2].legend(fontsize=8)
for name, path in adam_paths.items():
    axes[3].plot(path[:, 0], path[:, 1], lw=0.8, label=name)
axes[3].plot(0, 0, "k*", ms=10)
axes[3].set(aspect="equal", title=f"(d) Adam, simultaneous, lr 0.01, {STEPS} steps")
axes[3].legend(fontsize=7)
fig.tight_layout()
path = FIGURES / "04_bilinear.png"
fig.savefig(path, dpi=80)
plt.show()
print("saved", path)

# %% [markdown]
# ## 4. Tutorial 3's 1-D GAN, in the plane
#
# Tutorial 3 trained MLPs on a 1-D Gaussian. Keep its game and shrink the players until
# each is one number: data `x ~ N(0, 1)`; G draws `theta + z`, `z ~ N(0, 1)` (G can only
# shift); D is `D(x) = sigmoid(psi x)` (a logistic unit without bias). The equilibrium is
# `theta = 0`, `psi = 0`: G on the data, D at 1/2 everywhere, as Theorem 1 says.
#
# With `d/dt log sigmoid(t) = sigmoid(-t)` and `d/dt log(1 - sigmoid(t)) = -sigmoid(t)`,
# D's ascent direction on `V = E_x log D(x) + E_z log(1 - D(theta + z))` is
#
#     dV/dpsi = E_x[x sigmoid(-psi x)] - E_z[(theta + z) sigmoid(psi (theta + z))]
#
# and G's loss, the non-saturating `-E_z log D(theta + z)`, has
#
#     dL_G/dtheta = -psi E_z[sigmoid(-psi (theta + z))].
#
# The expectations over a standard normal are computed exactly enough by Gauss-Hermite
# quadrature (40 nodes), so the field has no sampling noise. Near the equilibrium,
# expanding `sigmoid(t) = 1/2 + t/4 + ...`,
#
#     d psi/dt  =  dV/dpsi       = -theta/2 - psi/2 + ...
#     d theta/dt = -dL_G/dtheta  =  psi/2 + ...
#
# a rotation (the `theta/2` and `psi/2` cross terms, as in `x y`) plus one damping term,
# `-psi/2`, which the bilinear game lacks: D's loss curves in `psi` (it is the logistic
# regression's log-likelihood), so D's own steps pull `psi` back towards 0. The Jacobian
# `[[0, 1/2], [-1/2, -1/2]]` has eigenvalues `-1/4 +- i sqrt(3)/4`, checked numerically
# below: the flow spirals in. Its imaginary part is why `k = 1` **oscillates**: G moves
# towards where D says "data", D answers where G *was*, G overshoots, and so on round.
# Its real part is why this small game still converges; a GAN whose D is nearly linear
# near the equilibrium (a point-mass G, the "Dirac GAN" of Mescheder et al., 2018) has
# none and behaves like `x y`.

# %%
nodes, weights = np.polynomial.hermite_e.hermegauss(40)
weights = weights / weights.sum()  # E over N(0, 1)


def sigmoid(t):
    return 0.5 * (1 + np.tanh(t / 2))


def d_ascent(theta, psi):
    real, fake = nodes, theta + nodes
    return float(weights @ (real * sigmoid(-psi * real)) - weights @ (fake * sigmoid(psi * fake)))


def g_loss_gradient(theta, psi):
    return float(-psi * (weights @ sigmoid(-psi * (theta + nodes))))


def gan_x(theta, psi):  # G: x of the game, descends its loss
    return g_loss_gradient(theta, psi)


def gan_y(theta, psi):  # D: y of the game, ascends V, i.e. descends -V
    return -d_ascent(theta, psi)


h = 1e-6
jacobian = np.array([[(-gan_x(h, 0) + gan_x(-h, 0)) / (2 * h), (-gan_x(0, h) + gan_x(0, -h)) / (2 * h)],
                     [(-gan_y(h, 0) + gan_y(-h, 0)) / (2 * h), (-gan_y(0, h) + gan_y(0, -h)) / (2 * h)]])
print("Jacobian of the flow at the equilibrium:\n", np.round(jacobian, 6))
print("eigenvalues:", np.round(np.linalg.eigvals(jacobian), 6), " (predicted -1/4 +- 0.433i)")
predicted = np.array([-0.25 - 0.25j * np.sqrt(3), -0.25 + 0.25j * np.sqrt(3)])
assert np.allclose(np.sort_complex(np.linalg.eigvals(jacobian)), predicted, atol=1e-5)

# %% [markdown]
# Now the players take discrete steps from `theta = 2` (G far off the data), `psi = 0`
# (D undecided): `k` steps of D, then one of G, as Algorithm 1; the simultaneous update
# of the paper's code; plain steps at two sizes; momentum; Adam. The distance from the
# equilibrium after the run, and the number of turns the path makes around it, say how
# each one behaves.


# %%
def arrival(path, radius=0.01):
    """The first iteration within ``radius`` of the equilibrium (None if never), and the
    number of times the path winds around the equilibrium before it."""
    distance = np.hypot(path[:, 0], path[:, 1])
    inside = np.flatnonzero(distance < radius)
    end = int(inside[0]) if len(inside) else len(path) - 1
    angles = np.unwrap(np.arctan2(path[:end + 1, 1], path[:end + 1, 0]))
    return (end if len(inside) else None), abs(angles[-1] - angles[0]) / (2 * np.pi)


start = (2.0, 0.0)
runs = {
    "SGD 0.5, k=1, alternating": (sgd(0.5), True, 1),
    "SGD 0.5, k=1, simultaneous": (sgd(0.5), False, 1),
    "SGD 0.5, k=5, alternating": (sgd(0.5), True, 5),
    "SGD 0.05, k=1, alternating": (sgd(0.05), True, 1),
    "momentum 0.9, SGD 0.05, k=1": (sgd(0.05, 0.9), True, 1),
    "Adam 0.05, beta1 0.5, k=1": (adam(0.05, 0.5), True, 1),
    "Adam 0.05, beta1 0.9, k=1": (adam(0.05, 0.9), True, 1),
}
gan_steps = 60 if FAST else 400
paths = {}
for name, (make, alternating, k) in runs.items():
    paths[name] = play(gan_x, gan_y, start, make, gan_steps, alternating=alternating, k=k)
    arrived, winding = arrival(paths[name])
    print(f"{name:28s}: distance after {gan_steps} G steps {np.hypot(*paths[name][-1]):10.4g}; "
          f"within 0.01 {'after ' + str(arrived) + ' G steps' if arrived is not None else 'never':>16s}, "
          f"having turned {winding:.2f} times")

# %% [markdown]
# What the numbers say (in a full run; the picture below draws the paths over the field):
#
# * With `k = 1`, alternating or simultaneous, the path winds around the equilibrium
#   more than once before it settles: the oscillation of the flow's imaginary
#   eigenvalues. The step of 0.5 is small enough for this damped game (`|1 + eta lambda|
#   < 1`), so both spiral in.
# * `k = 5` lets D get close to its best answer `psi*(theta)` before G moves. G then
#   descends something close to tutorial 2's `C(G)`, a function it can simply minimise:
#   the path barely turns (a fraction of a turn) and arrives in about half as many G steps
#   (at five times the D steps each).
# * A ten times smaller step turns as often on its way in: the winding belongs to the
#   flow, not to the step. It only takes ten times as many steps.
# * Momentum 0.9 on the same small step diverges: its velocity is the gradient of a
#   quarter-turn ago, its effective step `lr / (1 - beta)` is the large one again, and
#   the rotation feeds it. D's slope runs off without bound.
# * Adam with `beta1 = 0.5` arrives, after more turns than plain steps; with
#   `beta1 = 0.9` it is still circling at distance about 1 when the run ends. Each Adam
#   step is about `lr` whatever the gradient, so near the equilibrium, where gradients
#   are tiny, its steps are large relative to them, and its momentum keeps them turning.
#
# Snapshots of the same runs as frames (the data density, D's curve and the direction
# G is pushed, at a few moments of the `k = 1` run with steps of 0.5), in the spirit of GAN
# Lab:

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 5.2))
t_grid, p_grid = np.meshgrid(np.linspace(-2.5, 2.5, 17), np.linspace(-2.5, 2.5, 17))
u = np.vectorize(lambda t, p: -gan_x(t, p))(t_grid, p_grid)
w = np.vectorize(lambda t, p: -gan_y(t, p))(t_grid, p_grid)
for ax, names in zip(axes, (list(runs)[:4], list(runs)[3:])):
    ax.quiver(t_grid, p_grid, u, w, color="0.75", angles="xy")
    for name in names:
        ax.plot(paths[name][:, 0], paths[name][:, 1], lw=1, label=name)
    ax.plot(0, 0, "k*", ms=10)
    ax.set(xlim=(-2.6, 2.6), ylim=(-2.6, 2.6), aspect="equal", xlabel="theta (G's shift)", ylabel="psi (D's slope)")
    ax.legend(fontsize=7, loc="lower left")
axes[0].set_title("the 1-D GAN's field: k, simultaneous, step size", fontsize=9)
axes[1].set_title("momentum and Adam (the small step for reference)", fontsize=9)
fig.tight_layout()
path = FIGURES / "04_gan_orbits.png"
fig.savefig(path, dpi=80)
plt.show()
print("saved", path)

frames = [0, 3, 8, 15, 30] if FAST else [0, 3, 8, 15, 30, 60]
orbit = paths["SGD 0.5, k=1, alternating"]
xs = np.linspace(-4, 6, 400)
fig, axes = plt.subplots(1, len(frames), figsize=(3 * len(frames), 2.8), sharey=True)
for ax, frame in zip(axes, frames):
    theta, psi = orbit[frame]
    ax.fill_between(xs, np.exp(-xs**2 / 2) / np.sqrt(2 * np.pi), color="0.8", label="p_data")
    ax.plot(xs, np.exp(-(xs - theta) ** 2 / 2) / np.sqrt(2 * np.pi), color="C2", label="p_g")
    ax.plot(xs, sigmoid(psi * xs), "--", color="C0", label="D(x)")
    push = -gan_x(theta, psi)
    ax.annotate("", xy=(theta + 3 * push, 0.45), xytext=(theta, 0.45), arrowprops=dict(arrowstyle="->", color="C3"))
    ax.set_title(f"iteration {frame}: theta {theta:+.2f}, psi {psi:+.2f}", fontsize=8)
axes[0].legend(fontsize=7, loc="upper left")
fig.suptitle("k = 1: G (green) chases where D (blue) says 'data'; D answers where G was; the red arrow: G's push",
             fontsize=9)
fig.tight_layout()
path = FIGURES / "04_frames.png"
fig.savefig(path, dpi=80)
plt.show()
print("saved", path)

# %% [markdown]
# ## The same dance in a real run: ring-8's training movie
#
# Every `npgan train` run leaves a training movie, `training.gif` in its run folder
# (`npgan.movie`; `npgan movie RUN_DIR` remakes it): for the 2-D toys each frame shows D's
# verdict over the plane as a heat map, the data's eight modes, G's samples, and an arrow
# from each sample along the direction G's gradient pushes it, the field of this tutorial
# drawn by the real networks. Early frames show the rotation of the orbits above: G's
# samples chase the region D calls real, D moves the region, the samples follow. README
# shows a 20-frame cut of a whole `ring-8` run (`results/figures/ring-8-training.gif`):
#
# ![ring-8 training](../results/figures/ring-8-training.gif)
#
# The cell below trains `ring-8` itself (two epochs in fast mode) and reads its movie.

# %%
import tempfile  # noqa: E402

from PIL import Image  # noqa: E402

from npgan.presets import get_preset  # noqa: E402
from npgan.train import train  # noqa: E402

ring_dir = Path(tempfile.mkdtemp(prefix="npgan-04-")) / "ring-8"
ring = get_preset("ring-8")
train(ring.replace(epochs=2) if FAST else ring, str(ring_dir), quiet=True)
with Image.open(ring_dir / "training.gif") as movie:
    print(f"{ring_dir / 'training.gif'}: {movie.n_frames} frames, {movie.size[0]}x{movie.size[1]} pixels")

# %% [markdown]
# ## What to take away
#
# * A game of gradient steps is not a descent: the field of the two players' directions
#   rotates around the equilibrium. Where nothing damps the rotation (`x y`),
#   simultaneous steps spiral out by `sqrt(1 + eta^2)` a step, alternating ones circle
#   for ever, and a smaller step only slows the spiral.
# * The eigenvalues of the update (or of the flow's Jacobian) say it all: their modulus
#   whether the orbit grows, their angle how fast it turns. In the 1-D GAN, D's curved
#   loss adds a real part, so small steps spiral in; the imaginary part is the
#   oscillation of `k = 1`.
# * More D steps per G step (`k`) bring D nearer its best answer, and G nearer plain
#   minimisation of `C(G)`: less rotation. Positive momentum adds rotation; negative
#   momentum can remove it from the alternating update.
# * Adam: `m_hat / sqrt(v_hat)` with bias correction, steps of about `lr` whatever the
#   scale; checked here against `npgan.nn.optim.Adam` to 1e-14. Its `beta1` is momentum,
#   which is why GAN recipes lower it to 0.5 (the next tutorial trains with Adam so).
#
# ## Exercises
#
# 1. Show that the alternating update on `x y` keeps `x^2 + y^2 - eta x y` constant
#    (expand one step), and find the largest `eta` for which its orbit stays bounded.
# 2. Add a "consensus" or gradient-penalty term to D in the 1-D GAN (D also descends
#    `gamma/2 psi^2`, a weight decay on its slope) and show by the Jacobian's eigenvalues
#    and by a run that it damps the oscillation.
# 3. Implement Adam without bias correction and compare its first ten steps on a
#    constant gradient with the corrected version's.
#
# Solutions: `tutorials/solutions/04_game_dynamics.py` (the test suite runs it in fast mode).
