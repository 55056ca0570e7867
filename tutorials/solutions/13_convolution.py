# %% [markdown]
# # Solutions to tutorial 13's exercises
#
# Each solution checks itself (an `assert`); a second, no data.

# %%

from npgan.backend import Random, to_numpy
from npgan.nn import conv

rng = Random(0)

# %% [markdown]
# ## 1. The adjoint identity at every stride and padding
#
# `col2im` is the adjoint of `im2col`: `<im2col(x), y> = <x, col2im(y)>` for every `x`
# and `y`, whether or not the patches overlap. Check it over kernel sizes, strides and
# paddings.

# %%
for kernel, stride, padding in [(3, 1, 0), (3, 2, 1), (4, 2, 1), (2, 2, 0), (5, 3, 2)]:
    x = rng.normal((2, 3, 7, 7), dtype="float64")
    cols = conv.im2col(x, kernel, stride, padding)
    y = rng.normal(cols.shape, dtype="float64")
    left = float((cols * y).sum())
    right = float((x * conv.col2im(y, x.shape, kernel, stride, padding)).sum())
    print(f"k={kernel} s={stride} p={padding}: <Ax, y> = {left:+.6f}, <x, A^T y> = {right:+.6f}")
    assert abs(left - right) < 1e-9 * max(1.0, abs(left))

# %% [markdown]
# ## 2. Output sizes
#
# A convolution's output side is `floor((H + 2p - k) / s) + 1`; the transposed
# convolution's is `(H - 1) s - 2p + k`, its inverse where the division is exact. DCGAN's
# 7 -> 14 -> 28 uses `k = 4, s = 2, p = 1`.

# %%
for h, k, s, p in [(28, 4, 2, 1), (14, 4, 2, 1), (7, 3, 1, 1), (28, 5, 2, 2)]:
    out = conv.output_size(h, k, s, p)
    assert out == (h + 2 * p - k) // s + 1
    back = conv.transposed_size(out, k, s, p)
    print(f"H={h}, k={k}, s={s}, p={p}: conv -> {out}, transposed back -> {back}")
    assert back == (out - 1) * s - 2 * p + k
assert conv.transposed_size(conv.transposed_size(7, 4, 2, 1), 4, 2, 1) == 28
W, b = rng.normal((1, 3, 4, 4), dtype="float64"), rng.normal((1,), dtype="float64")
y, _ = conv.conv2d_forward(rng.normal((2, 3, 28, 28), dtype="float64"), W, b, 2, 1)
assert to_numpy(y).shape == (2, 1, 14, 14)
