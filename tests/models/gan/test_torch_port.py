"""npgan's Algorithm 1 steps and the PyTorch port's compute the same numbers.

``benchmarks/train_step.py``'s ``TorchRun`` is the paper's MNIST model and Algorithm 1
written independently in PyTorch (autograd, its own layers); ``results/mnist/mnist.md`` compares
its runs with npgan's ("Not an npgan bug", and the question of why its seeds fared differently). Given the
same weights, the same real minibatch, the same noise and the same dropout masks, two
iterations of each (a D step, then a G step through the updated D, with momentum carried
from the first iteration into the second) must end with the same parameters, up to
float32 rounding. What is left to differ between the two programs' runs is then only
the random draws themselves. Needs torch (``pip install -e .[bench]``); skipped without it.
"""


import numpy as np
import pytest

torch = pytest.importorskip("torch")

from train_step import TorchRun  # noqa: E402  (benchmarks/, on pytest's pythonpath: setup.cfg)

from npgan.backend import Random, asarray, to_numpy  # noqa: E402
from npgan.models.gan.training import build_gan, build_optimizers  # noqa: E402
from npgan.presets import get_preset  # noqa: E402

M = 8  # rows of a minibatch: small, so the test takes well under a second


class _FixedDropout:
    """Stands in for ``torch.nn.functional`` in ``TorchRun``: dropout with given masks, in order."""

    def __init__(self, masks):
        self.masks = list(masks)

    def dropout(self, x, p, training=True):
        mask = torch.from_numpy(self.masks.pop(0))
        return x * mask / (1 - p)

    def __getattr__(self, name):  # everything else (binary_cross_entropy_with_logits) is torch's
        return getattr(torch.nn.functional, name)


def _copy_weights(gan, run):
    """npgan's ``W`` is (n_in, n_out), torch's ``weight`` (n_out, n_in); the maxout columns agree."""
    g_linears = [layer for layer in gan.G.layers if "W" in getattr(layer, "params", {})]
    d_layers = [layer for layer in gan.D.layers if "W" in getattr(layer, "params", {})]
    torch_g = [layer for layer in run.G if isinstance(layer, torch.nn.Linear)]
    with torch.no_grad():
        for ours, theirs in zip(g_linears + d_layers, torch_g + [run.d1, run.d2, run.d3]):
            theirs.weight.copy_(torch.from_numpy(to_numpy(ours.params["W"]).T.copy()))
            theirs.bias.copy_(torch.from_numpy(to_numpy(ours.params["b"]).copy()))
    return g_linears + d_layers, torch_g + [run.d1, run.d2, run.d3]


def _masks(rng, rows):
    """One D pass's dropout masks (input keep 0.8, hidden keep 0.5), as float32 0/1 arrays."""
    return [(rng.random((rows, n)) < keep).astype(np.float32) for n, keep in ((784, 0.8), (240, 0.5), (240, 0.5))]


def test_two_algorithm1_iterations_agree_with_the_pytorch_port():
    config = get_preset("mnist-paper").replace(update="alternating")
    draws = np.random.default_rng(0)
    x = draws.random((M, 784)).astype(np.float32)
    bias = np.log(x.mean(axis=0) / (1 - x.mean(axis=0))).astype(np.float32)
    gan = build_gan(config, Random(0), asarray(bias))
    d_opt, g_opt = build_optimizers(config, gan)
    run = TorchRun(x.copy(), bias, "cpu", m=M, seed=0)
    ours, theirs = _copy_weights(gan, run)
    initial = to_numpy(ours[-1].params["W"]).copy()

    s = config.noise_scale
    noise = [draws.uniform(-s, s, (M, 100)).astype(np.float32) for _ in range(4)]
    masks = [_masks(draws, 2 * M), _masks(draws, M), _masks(draws, 2 * M), _masks(draws, M)]
    # npgan: sample_noise and D's dropout layers take the queued draws
    queue = [asarray(z) for z in noise]
    gan.sample_noise = lambda n, rng=None: queue.pop(0)
    dropouts = [layer for layer in gan.D.layers if hasattr(layer, "fixed_mask")]
    # the port: its noise() and F.dropout take the same draws
    torch_noise = [torch.from_numpy(z) for z in noise]
    run.noise = lambda: torch_noise.pop(0)
    run.F = _FixedDropout([mask for per_pass in masks for mask in per_pass])
    run.order, run.index = torch.arange(M), 0  # its minibatch: all M rows, in order

    for it in range(2):
        for layer, mask in zip(dropouts, masks[2 * it]):
            layer.fixed_mask = asarray(mask.astype(bool))
        out = gan.d_step(asarray(x), d_opt)
        for layer, mask in zip(dropouts, masks[2 * it + 1]):
            layer.fixed_mask = asarray(mask.astype(bool))
        out.update(gan.g_step(M, g_opt))
        run.index = 0
        d_loss, g_loss = run.step()
        assert float(out["d_loss"]) == pytest.approx(d_loss.item(), rel=1e-5)
        assert float(out["g_loss"]) == pytest.approx(g_loss.item(), rel=1e-5)

    for mine, port in zip(ours, theirs):
        np.testing.assert_allclose(to_numpy(mine.params["W"]), port.weight.detach().numpy().T, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(to_numpy(mine.params["b"]), port.bias.detach().numpy(), rtol=1e-4, atol=1e-6)
    # the steps moved the parameters (the comparison is not of two untouched copies)
    assert not np.allclose(to_numpy(ours[-1].params["W"]), initial)
