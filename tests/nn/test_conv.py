"""The image layers: convolution against its definition, the adjoint identities, batch norm's
training and evaluation behaviour, float64 gradient checks on every backend, and bad input."""

import numpy as np
import pytest

from npgan.backend import Random, asarray, to_numpy
from npgan.models.dcgan.checks import rows as dcgan_rows
from npgan.nn import conv, gradcheck, normalization
from npgan.nn.checks import adjoint_error, image_rows
from npgan.nn.image_layers import BatchNorm, Conv2d, ConvTranspose2d, Flatten, LeakyReLU, Reshape, Tanh
from npgan.nn.layers import ReLU

TOL = gradcheck.LAYER_TOLERANCE


def normal(rng, *shape):
    return rng.normal(shape, dtype="float64")


def conv_by_definition(x, W, b, stride, padding):
    """``y[n, f, oh, ow] = b[f] + sum_{c,i,j} W[f, c, i, j] xpad[n, c, s oh + i, s ow + j]``, one position at a time."""
    x, W, b = (np.asarray(to_numpy(a)) for a in (x, W, b))
    xpad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    k = W.shape[2]
    oh = (x.shape[2] + 2 * padding - k) // stride + 1
    ow = (x.shape[3] + 2 * padding - k) // stride + 1
    y = np.zeros((x.shape[0], W.shape[0], oh, ow))
    for r in range(oh):
        for c in range(ow):
            patch = xpad[:, :, r * stride:r * stride + k, c * stride:c * stride + k]
            y[:, :, r, c] = np.tensordot(patch, W, axes=([1, 2, 3], [1, 2, 3])) + b
    return y


@pytest.mark.parametrize("shape, filters, kernel, stride, padding",
                         [((2, 3, 7, 7), 4, 3, 1, 1), ((2, 1, 28, 28), 3, 4, 2, 1), ((3, 2, 6, 5), 2, 2, 2, 0),
                          ((1, 2, 5, 5), 3, 5, 1, 2), ((2, 2, 9, 8), 3, 3, 3, 1)])
def test_conv2d_forward_is_the_definition(xp, shape, filters, kernel, stride, padding):
    rng = Random(0)
    x, W, b = normal(rng, *shape), normal(rng, filters, shape[1], kernel, kernel), normal(rng, filters)
    y, _ = conv.conv2d_forward(x, W, b, stride, padding)
    np.testing.assert_allclose(to_numpy(y), conv_by_definition(x, W, b, stride, padding), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape, kernel, stride, padding", [((2, 3, 7, 7), 3, 1, 1), ((2, 2, 8, 8), 4, 2, 1),
                                                           ((1, 2, 9, 7), 3, 2, 0), ((2, 1, 6, 6), 4, 2, 3)])
def test_col2im_is_the_adjoint_of_im2col(xp, shape, kernel, stride, padding):
    rng = Random(1)
    x = normal(rng, *shape)
    cols = conv.im2col(x, kernel, stride, padding)
    c = normal(rng, *cols.shape)
    left, right = float(xp.sum(cols * c)), float(xp.sum(x * conv.col2im(c, shape, kernel, stride, padding)))
    assert abs(left - right) <= 1e-12 * (abs(left) + abs(right))


@pytest.mark.parametrize("shape, filters, kernel, stride, padding",
                         [((2, 3, 8, 8), 4, 4, 2, 1), ((2, 2, 5, 5), 3, 3, 1, 1), ((1, 2, 7, 7), 2, 3, 2, 0),
                          ((3, 1, 4, 4), 2, 2, 2, 0)])
def test_conv_transpose_is_the_adjoint_of_conv(xp, shape, filters, kernel, stride, padding):
    # <A x, y> = <x, A^T y> for random x, y: the defining property of the adjoint.
    rng = Random(2)
    W = normal(rng, filters, shape[1], kernel, kernel)
    oh = conv.output_size(shape[2], kernel, stride, padding)
    ow = conv.output_size(shape[3], kernel, stride, padding)
    inner, against_backward = adjoint_error(W, normal(rng, *shape), normal(rng, shape[0], filters, oh, ow),
                                            stride, padding)
    assert inner < 1e-12 and against_backward < 1e-12


def test_a_wrong_adjoint_fails_the_inner_product_test():
    # Flipping the kernel (true convolution instead of correlation) keeps every shape.
    rng = Random(3)
    W, x, y = normal(rng, 3, 2, 3, 3), normal(rng, 2, 2, 6, 6), normal(rng, 2, 3, 6, 6)
    ax, _ = conv.conv2d_forward(x, W, None, 1, 1)
    wrong, _ = conv.conv_transpose2d_forward(y, W[:, :, ::-1, ::-1].copy(), None, 1, 1)
    assert abs(float((ax * y).sum()) - float((x * wrong).sum())) > 1e-3


LAYERS = [
    ("conv", lambda rng: Conv2d(2, 3, 3, rng, 2, 1, init_std=0.5, dtype="float64"), (2, 2, 5, 5)),
    ("conv-no-bias", lambda rng: Conv2d(2, 3, 2, rng, 1, 0, init_std=0.5, dtype="float64", bias=False), (2, 2, 4, 3)),
    ("conv-transpose", lambda rng: ConvTranspose2d(3, 2, 4, rng, 2, 1, init_std=0.5, dtype="float64"), (2, 3, 3, 3)),
    ("batchnorm-rows", lambda rng: BatchNorm(3, dtype="float64"), (6, 3)),
    ("batchnorm-images", lambda rng: BatchNorm(2, dtype="float64"), (3, 2, 3, 4)),
    ("leaky", lambda rng: LeakyReLU(0.2), (3, 2, 3, 3)),
    ("tanh", lambda rng: Tanh(), (3, 2, 3, 3)),
    ("reshape", lambda rng: Reshape((2, 3, 3)), (3, 18)),
    ("flatten", lambda rng: Flatten((2, 3, 3)), (3, 2, 3, 3)),
]


@pytest.mark.parametrize("name, make, shape", LAYERS, ids=[name for name, _, _ in LAYERS])
def test_image_layer_gradients(xp, name, make, shape):
    rng = Random(4)
    layer = make(rng)
    for key in ("gamma", "beta", "b"):
        if key in layer.params:  # away from the initial ones and zeros
            layer.params[key][...] = normal(rng, *layer.params[key].shape) + (1.0 if key == "gamma" else 0.0)
    errors = gradcheck.check_layer(layer, 2 * normal(rng, *shape) + 0.5)
    expected = {"dx"} | set(layer.params)
    assert set(errors) == expected and max(errors.values()) < TOL, errors


def test_every_gradcheck_row_passes():
    rows = image_rows(seed=1) + dcgan_rows(seed=1)
    failed = [row for row in rows if not row[2] < row[3]]
    assert len(rows) >= 25 and not failed


def test_batch_norm_backward_without_the_batch_statistics_is_caught():
    # The classic slip: dx = s * dxhat, as if mu and var did not depend on x.
    rng = Random(5)
    x, dy = normal(rng, 8, 3) * 2 + 1, normal(rng, 8, 3)
    gamma, beta = normal(rng, 3), normal(rng, 3)
    _, cache, _ = normalization.batch_norm_forward(x, gamma, beta)
    xhat, s, _ = cache
    right, _, _ = normalization.batch_norm_backward(dy, cache)
    wrong = dy * gamma * s

    def loss():
        return float((normalization.batch_norm_forward(x, gamma, beta)[0] * dy).sum())

    numeric = gradcheck.numerical_gradient(loss, x)
    assert gradcheck.rel_error(right, numeric) < TOL
    assert gradcheck.rel_error(wrong, numeric) > 1e-2


def test_batch_norm_training_normalises_each_channel_over_batch_and_space(xp):
    rng = Random(6)
    x = normal(rng, 5, 3, 4, 4) * xp.asarray([1.0, 3.0, 0.2])[None, :, None, None] + 7.0
    y = to_numpy(BatchNorm(3, dtype="float64").forward(x))
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, rtol=1e-3)  # var / (var + eps)


def test_batch_norm_running_averages_and_evaluation(xp):
    rng = Random(7)
    layer = BatchNorm(2, momentum=0.25, dtype="float64")
    x = normal(rng, 4, 2, 3, 3) * 2 + 3
    train_out = to_numpy(layer.forward(x, training=True))
    host = to_numpy(x)
    mu, var = host.mean(axis=(0, 2, 3)), host.var(axis=(0, 2, 3))
    m = 4 * 3 * 3
    np.testing.assert_allclose(to_numpy(layer.params["running_mean"]), 0.75 * 0 + 0.25 * mu, rtol=1e-12)
    np.testing.assert_allclose(to_numpy(layer.params["running_var"]), 0.75 * 1 + 0.25 * var * m / (m - 1), rtol=1e-12)
    # Evaluation uses the running averages, not the batch: a different output for the same batch...
    assert np.abs(to_numpy(layer.forward(x, training=False)) - train_out).max() > 0.1
    # ...and the same one once the averages hold the batch's own statistics.
    layer.params["running_mean"][...] = asarray(mu)
    layer.params["running_var"][...] = asarray(var)
    np.testing.assert_allclose(to_numpy(layer.forward(x, training=False)), train_out, atol=1e-12)
    # An evaluation pass leaves the averages alone; one example at a time is fine there.
    before = to_numpy(layer.params["running_mean"]).copy()
    layer.forward(x[:1], training=False)
    np.testing.assert_array_equal(to_numpy(layer.params["running_mean"]), before)


def test_batch_norm_running_averages_get_zero_gradients_and_stay_put_under_adam(xp):
    from npgan.nn.layers import Sequential
    from npgan.nn.optim import Adam

    rng = Random(8)
    net = Sequential(BatchNorm(3, dtype="float64"))
    opt = Adam(net, lr=0.1)
    x = normal(rng, 6, 3) + 2
    net.forward(x)
    net.backward(normal(rng, 6, 3))
    saved = {k: to_numpy(v).copy() for k, v in net.params.items()}
    opt.step()
    for key in ("0.running_mean", "0.running_var"):
        assert not to_numpy(net.grads[key]).any()
        np.testing.assert_array_equal(to_numpy(net.params[key]), saved[key])
    assert not np.array_equal(to_numpy(net.params["0.gamma"]), saved["0.gamma"])


def test_leaky_relu_with_slope_zero_is_relu():
    rng = Random(9)
    x = normal(rng, 6, 5)
    np.testing.assert_array_equal(to_numpy(LeakyReLU(0.0).forward(x)), to_numpy(ReLU().forward(x)))
    np.testing.assert_array_equal(to_numpy(LeakyReLU(0.3).forward(x)), np.where(x > 0, x, 0.3 * x))


def test_conv_transpose_doubles_what_a_stride_two_conv_halves():
    rng = Random(10)
    down = Conv2d(3, 5, 4, rng, stride=2, padding=1, dtype="float64")
    up = ConvTranspose2d(5, 3, 4, rng, stride=2, padding=1, dtype="float64")
    x = normal(rng, 2, 3, 14, 14)
    assert down.forward(x).shape == (2, 5, 7, 7) and up.forward(down.forward(x)).shape == (2, 3, 14, 14)


@pytest.mark.parametrize("layer, x, message", [
    (Conv2d(3, 4, 3, Random(0)), np.zeros((2, 27), "float32"), r"\(batch, channels, height, width\) with 3 channels"),
    (Conv2d(3, 4, 3, Random(0)), np.zeros((2, 1, 5, 5), "float32"), r"with 3 channels, got \(2, 1, 5, 5\)"),
    (Conv2d(1, 4, 5, Random(0)), np.zeros((2, 1, 3, 3), "float32"), "smaller than the kernel"),
    (BatchNorm(4), np.zeros((2, 3), "float32"), "with 4 channels"),
    (BatchNorm(4), np.zeros((1, 4), "float32"), "at least 2 values per channel"),
    (Flatten((1, 28, 28)), np.zeros((2, 1, 27, 28), "float32"), r"\(batch, 1, 28, 28\)"),
    (Reshape((1, 28, 28)), np.zeros((2, 783), "float32"), r"\(batch, 784\)"),
    (LeakyReLU(0.2), np.zeros(5, "float32"), r"\(batch, ...\)"),
])
def test_bad_input_is_one_line_naming_the_shape_expected(layer, x, message):
    with pytest.raises(ValueError, match=message) as info:
        layer.forward(x)
    assert "\n" not in str(info.value)


def test_bad_construction_and_backward_before_forward_are_refused():
    for make in (lambda: Conv2d(0, 4, 3, Random(0)), lambda: Conv2d(1, 4, 3, Random(0), padding=-1),
                 lambda: BatchNorm(3, momentum=0), lambda: LeakyReLU(1.0), lambda: Reshape((784,))):
        with pytest.raises(ValueError):
            make()
    with pytest.raises(RuntimeError, match="before forward"):
        Conv2d(1, 2, 3, Random(0)).backward(np.zeros((1, 2, 1, 1), "float32"))
    layer = Conv2d(1, 2, 3, Random(0))
    layer.forward(np.zeros((1, 1, 5, 5), "float32"))
    with pytest.raises(ValueError, match=r"expected dy of shape \(1, 2, 3, 3\)"):
        layer.backward(np.zeros((1, 2, 3, 4), "float32"))


def test_float32_layers_compute_in_float32_and_cast_other_inputs():
    rng = Random(11)
    layer = Conv2d(1, 2, 3, rng, padding=1)
    assert layer.forward(np.ones((1, 1, 4, 4), "float64")).dtype == np.float32
    assert BatchNorm(2).forward(np.ones((3, 2), "int64") * np.arange(3)[:, None]).dtype == np.float32


def test_conv_layers_match_torch_forward_and_backward():
    torch = pytest.importorskip("torch")
    rng = Random(12)
    x, dy = normal(rng, 2, 3, 8, 8), normal(rng, 2, 4, 4, 4)
    conv_layer = Conv2d(3, 4, 4, rng, 2, 1, init_std=0.3, dtype="float64")
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(conv_layer.params["W"], requires_grad=True)
    tb = torch.tensor(conv_layer.params["b"], requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tw, tb, stride=2, padding=1)
    np.testing.assert_allclose(conv_layer.forward(x), ty.detach().numpy(), atol=1e-12)
    ty.backward(torch.tensor(dy))
    np.testing.assert_allclose(conv_layer.backward(dy), tx.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(conv_layer.grads["W"], tw.grad.numpy(), atol=1e-12)
    up = ConvTranspose2d(4, 3, 4, rng, 2, 1, init_std=0.3, dtype="float64")
    tz = torch.tensor(dy, requires_grad=True)
    tu = torch.nn.functional.conv_transpose2d(tz, torch.tensor(up.params["W"]), torch.tensor(up.params["b"]),
                                              stride=2, padding=1)
    np.testing.assert_allclose(up.forward(dy), tu.detach().numpy(), atol=1e-12)
    tu.backward(torch.tensor(x))
    np.testing.assert_allclose(up.backward(x), tz.grad.numpy(), atol=1e-12)
