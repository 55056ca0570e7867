"""Fast training: the learning rate held for lr_decay_start updates, then decaying."""

import csv

import pytest

from npgan.models.gan.training import GANModel
from npgan.nn.optim import ExponentialDecay
from npgan.presets import get_preset


def test_the_rate_is_held_then_divided_by_decay_per_update():
    schedule = ExponentialDecay(0.1, decay=2.0, lr_min=0.01, start=3)
    assert [schedule(t) for t in range(7)] == [0.1, 0.1, 0.1, 0.1, 0.05, 0.025, 0.0125]
    assert schedule(10) == 0.01  # the floor
    assert ExponentialDecay(0.1, 2.0)(1) == 0.05  # start 0: pylearn2's schedule, from the first update
    with pytest.raises(ValueError, match="start must be >= 0"):
        ExponentialDecay(0.1, 2.0, start=-1)


def test_a_gan_s_optimisers_follow_lr_decay_start():
    config = get_preset("ring-8-plain").replace(lr=0.02, lr_decay=1.5, lr_min=0.0, lr_decay_start=4, epochs=1,
                                                iters_per_epoch=6, g_lr_ratio=2.0)
    model = GANModel(config)
    for i in range(6):
        model.step(i)
    # six iterations of Algorithm 1 (k = 1): each optimiser has made 6 updates, the first 4 at the held rate
    assert model.d_optimizer.updates == model.g_optimizer.updates == 6
    assert model.d_optimizer.lr == pytest.approx(0.02 / 1.5**2)
    assert model.g_optimizer.lr == pytest.approx(2 * 0.02 / 1.5**2)


@pytest.mark.parametrize("changes, message", [
    (dict(lr_decay_start=-1), "lr_decay_start (updates at the initial learning rate) must be >= 0"),
    (dict(model="vae", lr_decay_start=10), "lr_decay_start applies to models 'gan' and 'dcgan', not 'vae'"),
])
def test_misuse_is_refused_in_one_line(changes, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        get_preset("mnist-vae" if changes.get("model") else "mnist-fast").replace(**changes)


def test_mnist_fast_holds_the_paper_s_rate_for_40_epochs_then_falls_20x_within_50():
    config = get_preset("mnist-fast")
    schedule = ExponentialDecay(config.lr, config.lr_decay, config.lr_min, config.lr_decay_start)
    per_epoch = 50000 // config.batch_size
    assert config.epochs == 50  # the longest run the fast recipe was given
    assert schedule(40 * per_epoch) == config.lr == 0.1
    assert schedule(40 * per_epoch + 1) < config.lr
    assert schedule(config.epochs * per_epoch) == pytest.approx(0.005, rel=0.01)


def test_the_default_preset_is_mnist_fast_averaged_over_the_falling_rate():
    fast = get_preset("mnist-fast")
    assert get_preset("mnist") == fast.replace(parzen_every=0, eval_every=0, average_from=41)
    per_epoch = 50000 // fast.batch_size
    assert fast.lr_decay_start == (get_preset("mnist").average_from - 1) * per_epoch  # averaging starts with the fall


def test_a_run_resumed_across_the_start_of_the_decay_ends_bit_identical(tmp_path):
    from npgan.backend import backend_name, to_numpy
    from npgan.train import train

    if backend_name() != "numpy":
        pytest.skip("bit-identical resume is the NumPy backend's promise (a CuPy stream is reseeded)")
    # 10 iterations an epoch: the rate is held for 15 updates, so the split at epoch 1 comes
    # before the decay starts and the resumed run must start it at the same update
    config = get_preset("ring-8-plain").replace(epochs=3, iters_per_epoch=10, lr_decay=1.2, lr_decay_start=15,
                                                sample_every=0)
    whole = train(config, tmp_path / "whole", quiet=True)
    train(config.replace(epochs=1), tmp_path / "split", quiet=True)
    resumed = train(config, tmp_path / "split", resume=tmp_path / "split" / "checkpoint.npz", quiet=True)
    for net in ("G", "D"):
        for key, value in getattr(whole, net).params.items():
            assert (to_numpy(value) == to_numpy(getattr(resumed, net).params[key])).all(), f"{net}/{key}"
    with open(tmp_path / "split" / "log.csv") as f:
        rates = [float(row["lr"]) for row in csv.DictReader(f)]
    # the rate of each epoch's last update, t = 9, 19, 29 counted from 0: lr0 / 1.2**max(t - 15, 0)
    assert rates == pytest.approx([0.02, 0.02 / 1.2**4, 0.02 / 1.2**14])
