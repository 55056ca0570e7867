"""The channels-last image forms of ``kernels`` give what the plain NCHW forms give.

Convolutions, transposed convolutions, batch norm and LeakyReLU, forward and backward,
in float64 on random inputs (both memory layouts of the input), and whole DCGAN-shaped
networks with the layers on either path.
"""

import numpy as np
import pytest

from npgan.backend import Random
from npgan.models.dcgan.model import discriminator, generator
from npgan.nn import activations, conv, kernels, normalization

# (N, C, H, F, K, stride, padding): DCGAN's layers at small sizes (the stride dividing the
# kernel, with few and with many channels), odd sizes, no padding, and a kernel the stride
# does not divide
CONV_CASES = [(3, 5, 9, 4, 4, 2, 1), (2, 20, 8, 6, 4, 2, 1), (2, 3, 7, 6, 3, 1, 1), (2, 3, 8, 5, 3, 2, 0),
              (2, 16, 6, 3, 2, 2, 0), (1, 2, 5, 2, 5, 1, 2)]


def channels_last_copy(x):
    """The same (N, C, H, W) values held channels-last in memory."""
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def close(fast, plain):
    assert fast.shape == plain.shape
    np.testing.assert_allclose(fast, plain, rtol=1e-12, atol=1e-12 * max(1.0, float(np.abs(plain).max())))


@pytest.mark.parametrize("layout", [np.ascontiguousarray, channels_last_copy])
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_fast_equals_plain(case, layout):
    n, c, h, f, k, s, p = case
    rng = np.random.default_rng(sum(case))
    x, W, b = rng.standard_normal((n, c, h, h)), rng.standard_normal((f, c, k, k)), rng.standard_normal(f)
    y, cache = conv.conv2d_forward(x, W, b, s, p)
    y_fast, cache_fast = kernels.conv2d_forward(layout(x), W, b, s, p)
    close(y_fast, y)
    dy = rng.standard_normal(y.shape)
    for fast, plain in zip(kernels.conv2d_backward(layout(dy), cache_fast), conv.conv2d_backward(dy, cache)):
        close(fast, plain)
    dx, dW, db = kernels.conv2d_backward(dy, cache_fast, input_grad=False)
    assert dx is None and dW.shape == W.shape
    dx, dW, db = kernels.conv2d_backward(dy, cache_fast, param_grads=False)
    assert dW is None and db is None and dx.shape == x.shape


@pytest.mark.parametrize("layout", [np.ascontiguousarray, channels_last_copy])
@pytest.mark.parametrize("case", CONV_CASES + [(3, 6, 1, 5, 7, 1, 0)])  # + G's "project and reshape"
def test_conv_transpose2d_fast_equals_plain(case, layout):
    n, c, h, f, k, s, p = case
    rng = np.random.default_rng(sum(case) + 1)
    x, W, b = rng.standard_normal((n, c, h, h)), rng.standard_normal((c, f, k, k)), rng.standard_normal(f)
    y, cache = conv.conv_transpose2d_forward(x, W, b, s, p)
    y_fast, cache_fast = kernels.conv_transpose2d_forward(layout(x), W, b, s, p)
    close(y_fast, y)
    dy = rng.standard_normal(y.shape)
    plain = conv.conv_transpose2d_backward(dy, cache)
    for fast, plain_part in zip(kernels.conv_transpose2d_backward(layout(dy), cache_fast), plain):
        close(fast, plain_part)


@pytest.mark.parametrize("case", CONV_CASES)
def test_fold_is_the_adjoint_of_unfold(case):
    # <unfold(x), c> = <x, fold(c)> for every x and c: fold is unfold's transpose
    n, c, h, _, k, s, p = case
    rng = np.random.default_rng(sum(case) + 2)
    x = rng.standard_normal((n, h, h, c))
    cols = kernels.unfold(x, k, s, p)
    other = rng.standard_normal(cols.shape)
    left, right = np.sum(cols * other), np.sum(x * kernels.fold(other, x.shape, k, s, p))
    assert abs(left - right) <= 1e-12 * (abs(left) + abs(right))


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5, 5), (2, 20, 3, 4)])
@pytest.mark.parametrize("layout", ["contiguous", "channels-last"])
def test_batch_norm_fast_equals_plain(shape, layout):
    rng = np.random.default_rng(len(shape))
    x, dy = rng.standard_normal(shape) * 3 + 1, rng.standard_normal(shape)
    gamma, beta = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    if layout == "channels-last" and len(shape) == 4:
        x, dy = channels_last_copy(x), channels_last_copy(dy)
    y, cache, (mu, var) = normalization.batch_norm_forward(x, gamma, beta)
    y_fast, cache_fast, (mu_fast, var_fast) = kernels.batch_norm_forward(x, gamma, beta)
    for fast, plain in ((y_fast, y), (mu_fast, mu), (var_fast, var)):
        close(fast, plain)
    for fast, plain in zip(kernels.batch_norm_backward(dy, cache_fast), normalization.batch_norm_backward(dy, cache)):
        close(fast, plain)
    dx, dgamma, dbeta = kernels.batch_norm_backward(dy, cache_fast, param_grads=False)
    assert dgamma is None and dbeta is None and dx.shape == shape


@pytest.mark.parametrize("slope", [0.0, 0.2, 0.01, 0.3])
def test_leaky_relu_fast_equals_plain_bit_for_bit(slope):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 4, 5, 5)).astype(np.float32)
    x[0, 0, 0, :2] = 0.0  # the kink: slope there, in both forms
    y, mask = activations.leaky_relu_forward(x, slope)
    y_fast, cache = kernels.leaky_relu_forward(channels_last_copy(x), slope)
    np.testing.assert_array_equal(y_fast, y)
    dy = rng.standard_normal(x.shape).astype(np.float32)
    np.testing.assert_array_equal(kernels.leaky_relu_backward(dy, cache, slope),
                                  activations.leaky_relu_backward(dy, mask, slope))


def test_plain_forms_switches_the_layers_to_the_plain_forms():
    from npgan.nn.image_layers import Conv2d

    layer, x = Conv2d(2, 3, 3, Random(0), 2, 1, dtype="float64"), np.ones((2, 2, 5, 5))
    layer.forward(x)
    assert layer._forms is kernels and kernels.fast()
    with kernels.plain_forms():
        assert not kernels.fast()
        layer.forward(x)
        assert layer._forms is conv
    assert kernels.fast()


def test_dcgan_networks_agree_on_both_paths():
    # G then D, forward and backward, once with every image layer on the plain forms and
    # once on the fast ones: the same outputs, input gradients and parameter gradients
    def run():
        rng = Random(3)
        G = generator(8, (1, 12, 12), 6, rng, init_std=0.3, dtype="float64")
        D = discriminator((1, 12, 12), 6, rng, init_std=0.3, dtype="float64")
        z = Random(4).normal((5, 8), dtype="float64")
        logits = D.forward(G.forward(z))
        dz = G.backward(D.backward(np.cos(logits)))
        return [logits, dz, *G.grads.values(), *D.grads.values()]

    fast = run()
    with kernels.plain_forms():
        plain = run()
    assert len(fast) == len(plain) > 10
    for a, b in zip(fast, plain):
        close(a, b)


@pytest.mark.parametrize("case", CONV_CASES + [(5, 4, 7, 3, 7, 1, 0)])
def test_product_fold_in_chunks_equals_one_fold(case, monkeypatch):
    # chunks of one or two images (CHUNK shrunk; BLAS on one thread) give the sums of the fold of
    # the whole product, and so does the one product used when BLAS has more threads
    n, c, h, f, k, s, p = case
    rng = np.random.default_rng(sum(case) + 3)
    oh = conv.output_size(h, k, s, p)
    rows, matrix = rng.standard_normal((n * oh * oh, f)), rng.standard_normal((f, k * k * c))
    whole = kernels.fold(rows @ matrix, (n, h, h, c), k, s, p)
    monkeypatch.setattr(kernels, "blas_single_threaded", lambda: False)  # one product, however small CHUNK
    monkeypatch.setattr(kernels, "CHUNK", 1)
    close(kernels.product_fold(rows, matrix, (n, h, h, c), k, s, p), whole)
    monkeypatch.setattr(kernels, "blas_single_threaded", lambda: True)
    for images in (1, 2):
        monkeypatch.setattr(kernels, "CHUNK", images * oh * oh * k * k * c)
        close(kernels.product_fold(rows, matrix, (n, h, h, c), k, s, p), whole)
