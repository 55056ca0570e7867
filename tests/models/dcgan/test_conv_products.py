"""benchmarks/conv_products.py: the products it times are those one DCGAN iteration makes."""

from collections import Counter

import numpy as np
from conftest import load_script

from npgan.models.dcgan import training as dcgan_training
from npgan.models.dcgan.training import DCGANModel
from npgan.nn import kernels
from npgan.presets import get_preset

products = load_script("benchmarks/conv_products.py")


def test_the_listed_convolution_products_are_those_an_iteration_calls(monkeypatch):
    config = get_preset("mnist-dcgan").replace(conv_width=4, batch_size=8, noise_dim=6, eval_every=0)
    images = np.random.default_rng(0).uniform(0, 1, (32, 784)).astype("float32")
    monkeypatch.setattr(dcgan_training, "training_images", lambda config, rows: images)
    model = DCGANModel(config)
    model.begin_epoch(0, True)
    called = Counter()  # (kind, K, N) of every convolution product the step makes

    def count(name, keys):
        original = getattr(kernels, name)

        def counted(*args, **kwargs):
            for key in keys(*args, **kwargs):
                called[key] += 1
            return original(*args, **kwargs)
        monkeypatch.setattr(kernels, name, counted)

    def conv_kn(W):  # Conv2d's W (F, C, k, k): patches (k*k*C) times F
        return W.shape[2] * W.shape[3] * W.shape[1], W.shape[0]

    def grads(kn, input_grad=True, param_grads=True):
        return [("dW", *kn)] * bool(param_grads) + [("dx", *kn)] * bool(input_grad)

    count("conv2d_forward", lambda x, W, *rest: [("forward", *conv_kn(W))])
    count("conv2d_backward", lambda dy, cache, *flags: grads(conv_kn(cache[2]), *flags))
    count("conv_transpose2d_forward",
          lambda x, W, *rest: [("forward", W.shape[0], W.shape[1] * W.shape[2] * W.shape[3])])
    count("conv_transpose2d_backward", lambda dy, cache, *flags: grads(cache[1].shape, *flags))
    model.step(0)
    listed = Counter()
    for (name, kind, m, k, n), times in products.iteration_products(model.gan, config.batch_size).items():
        if "Conv" in name:
            listed[(kind, k, n)] += times
    assert called == listed and sum(called.values()) == 25  # G: 6 forward, 3 dW, 2 dx; D: 6, 4, 4


def test_the_shapes_are_the_unfolded_matrices_the_layers_multiply():
    gan = DCGANModel(get_preset("mnist-dcgan").replace(conv_width=4, eval_every=0)).gan
    shapes = products.product_shapes(gan.D, 5, 28)
    gan.D.forward(np.zeros((5, 784), dtype="float32"))
    convolutions = [layer for layer in gan.D.layers if hasattr(layer, "kernel")]
    for (name, m, k, n), layer in zip(shapes, convolutions):
        assert layer._cache[1].shape == (m, k) and n == layer.out_channels, name
    assert [s[1:] for s in shapes] == [(5 * 14 * 14, 16, 4), (5 * 7 * 7, 64, 8), (5, 392, 1)]
