"""benchmarks/mode_collapse.py scores the averaged G of a run with ``average_from``."""

import mode_collapse  # benchmarks/, on pytest's pythonpath (setup.cfg)
import numpy
import pytest
from mode_collapse import run_one, score, trained_generators

from npgan.backend import to_numpy
from npgan.models.gan.training import GANModel
from npgan.presets import get_preset


def fingerprint(gan, dataset=None, seed=None):
    """A stand-in for ``score``: the sum of G's first weights, which tells generators apart."""
    return {"w": float(to_numpy(gan.G.params["0.W"]).sum())}


@pytest.fixture
def tiny():
    """ring-8's preset shrunk to a few updates of small networks."""
    return get_preset("ring-8").replace(g_hidden=(8,), d_hidden=(8,), batch_size=20, epochs=3, iters_per_epoch=5,
                                        lr_decay_start=0, lr_decay=1.0, average_from=0)


def test_no_averaged_generator_without_average_from(tiny):
    last, averaged, seconds = trained_generators(tiny, 0)
    assert averaged is None and seconds > 0
    assert "last" not in run_one(tiny, 0)
    assert trained_generators(tiny.replace(average_from=4), 0)[1] is None  # the run ends before averaging


def test_an_average_over_the_last_epoch_alone_is_the_last_iterate(tiny):
    last, averaged, _ = trained_generators(tiny.replace(average_from=3), 0)
    assert averaged.state["averaged_epochs"] == [3]
    for key, p in last.G.params.items():
        numpy.testing.assert_array_equal(to_numpy(averaged.G.params[key]), to_numpy(p))


def test_run_one_scores_the_averaged_generator_and_reports_the_last_beside_it(tiny, monkeypatch):
    config = tiny.replace(average_from=1)
    last, averaged, _ = trained_generators(config, 1)
    assert averaged.state["averaged_epochs"] == [1, 2, 3]
    assert not numpy.allclose(to_numpy(averaged.G.params["0.W"]), to_numpy(last.G.params["0.W"]))
    # Score each generator by a fingerprint of its weights, to see which one run_one scored
    # (the same run again: training is deterministic given the seed).
    monkeypatch.setattr(mode_collapse, "score", fingerprint)
    result = mode_collapse.run_one(config, 1)
    assert result["w"] == fingerprint(averaged)["w"] and result["last"] == fingerprint(last)
    assert score(last, "ring-8", 1)["n_modes"] == 8


def test_the_moving_average_follows_its_recurrence_and_is_scored(tiny, monkeypatch):
    rate = 0.1
    model = GANModel(tiny.replace(average_from=1, average_rate=rate))
    model.begin_epoch(0, fresh=True)
    model.step(0)  # the average starts at G after the first step
    expected = {key: to_numpy(p).astype("float64") for key, p in model.gan.G.params.items()}
    for i in range(1, 4):
        model.step(i)
        for key, p in model.gan.G.params.items():
            expected[key] = (1 - rate) * expected[key] + rate * to_numpy(p).astype("float64")
    assert model.n_averaged == 4
    for key in expected:
        numpy.testing.assert_allclose(to_numpy(model.g_average[key]), expected[key], rtol=1e-12)
    ema_gan = model.averaged_gan()
    numpy.testing.assert_allclose(to_numpy(ema_gan.G.params["0.W"]), expected["0.W"], rtol=1e-6)
    assert not numpy.allclose(to_numpy(ema_gan.G.params["0.W"]), to_numpy(model.gan.G.params["0.W"]))

    monkeypatch.setattr(mode_collapse, "score", fingerprint)
    last, ema, _ = trained_generators(tiny, 0, ema=0.9)
    result = mode_collapse.run_one(tiny, 0, ema=0.9)
    assert result["w"] == fingerprint(ema)["w"] != fingerprint(last)["w"]
    assert result["last"] == fingerprint(last)
