# %% [markdown]
# # Solutions to tutorial 4's exercises
#
# Each solution checks itself (an `assert`); NumPy on a few numbers, a second.

# %%
import numpy as np

# %% [markdown]
# ## 1. The alternating update's invariant, and its largest step
#
# One step: `x' = x - eta y`, `y' = y + eta x'`. Then
# `x'^2 + y'^2 - eta x' y' = x'^2 + y^2 + 2 eta x' y + eta^2 x'^2 - eta x' y - eta^2 x'^2`
# `= x'^2 + y^2 + eta x' y`, and with `x' = x - eta y`:
# `x^2 - 2 eta x y + eta^2 y^2 + y^2 + eta x y - eta^2 y^2 = x^2 + y^2 - eta x y`.
# The quadratic form is positive definite (a bounded ellipse) while `eta^2 < 4`, the
# same condition as the trace `2 - eta^2` lying in (-2, 2): beyond `eta = 2` the
# eigenvalues leave the unit circle and the orbit grows.

# %%
def alternating(x, y, eta, steps):
    out = [(x, y)]
    for _ in range(steps):
        x = x - eta * y
        y = y + eta * x
        out.append((x, y))
    return np.array(out)


for eta in (0.1, 1.0, 1.9, 2.1):
    path = alternating(1.0, 0.0, eta, 200)
    q = path[:, 0] ** 2 + path[:, 1] ** 2 - eta * path[:, 0] * path[:, 1]
    radius = np.abs(np.linalg.eigvals(np.array([[1, -eta], [eta, 1 - eta**2]]))).max()
    print(f"eta {eta}: invariant from {q[0]:.6f} to {q[-1]:.6g}, largest |x|, |y| {np.abs(path).max():.3g}, "
          f"rho {radius:.4f}")
    if eta < 2:  # (beyond it the invariant still holds algebraically, but not in floating point at 1e54)
        assert np.allclose(q, q[0], rtol=1e-9, atol=1e-9)
    assert (np.abs(path).max() < 100) == (eta < 2)

# %% [markdown]
# ## 2. A penalty on D's slope damps the oscillation
#
# D descending `gamma/2 psi^2` adds `-gamma psi` to `d psi/dt`: the Jacobian at the
# equilibrium becomes `[[0, 1/2], [-1/2, -1/2 - gamma]]`, its eigenvalues
# `lambda^2 + (1/2 + gamma) lambda + 1/4 = 0`. The real part grows with gamma until the
# two become real (at `gamma = 1/2`): no rotation left.

# %%
nodes, weights = np.polynomial.hermite_e.hermegauss(40)
weights = weights / weights.sum()


def sigmoid(t):
    return 0.5 * (1 + np.tanh(t / 2))


def run(gamma, lr=0.5, steps=300):
    theta, psi, path = 2.0, 0.0, [(2.0, 0.0)]
    for _ in range(steps):
        fake = theta + nodes
        d_ascent = weights @ (nodes * sigmoid(-psi * nodes)) - weights @ (fake * sigmoid(psi * fake))
        psi = psi + lr * (d_ascent - gamma * psi)
        theta = theta + lr * psi * (weights @ sigmoid(-psi * (theta + nodes)))
        path.append((theta, psi))
    path = np.array(path)
    angles = np.unwrap(np.arctan2(path[:, 1], path[:, 0]))
    inside = np.flatnonzero(np.hypot(path[:, 0], path[:, 1]) < 0.01)
    return abs(angles[inside[0]] - angles[0]) / (2 * np.pi), int(inside[0])


results = {}
for gamma in (0.0, 0.25, 0.5):
    eig = np.linalg.eigvals(np.array([[0, 0.5], [-0.5, -0.5 - gamma]]))
    results[gamma] = run(gamma)
    print(f"gamma {gamma}: eigenvalues {np.round(eig, 3)}; turns before reaching 0.01: {results[gamma][0]:.2f} "
          f"(after {results[gamma][1]} G steps)")
assert results[0.5][0] < results[0.25][0] < results[0.0][0]

# %% [markdown]
# ## 3. Adam without bias correction
#
# On a constant gradient `g`, the corrected Adam steps exactly `lr` (times the sign)
# every time: `m_hat = g`, `v_hat = g^2`. Without the correction,
# `m_t = (1 - beta1^t) g` and `v_t = (1 - beta2^t) g^2`, so the step is
# `lr (1 - beta1^t) / sqrt(1 - beta2^t)`: 3.16 lr at the first step for the usual
# betas, then falling, and only close to `lr` after thousands of steps.

# %%
lr, beta1, beta2, g = 0.01, 0.9, 0.999, 0.3
m = v = 0.0
for t in range(1, 11):
    m, v = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g
    corrected = lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + 1e-8)
    uncorrected = lr * m / (np.sqrt(v) + 1e-8)
    print(f"step {t:2d}: corrected {corrected / lr:.4f} lr, uncorrected {uncorrected / lr:.4f} lr")
    assert abs(corrected / lr - 1) < 1e-6
    assert abs(uncorrected / lr - (1 - beta1**t) / np.sqrt(1 - beta2**t)) < 1e-5  # eps: 1e-8 against sqrt(v) ~ 1e-2
