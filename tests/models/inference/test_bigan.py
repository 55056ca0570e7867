"""BiGAN (npgan.models.inference.bigan, npgan.models.inference.bigan_training): which networks each step
moves, training through the generic trainer with resume, and its files."""

import os

import numpy as np
import pytest
from conftest import REPOSITORY, pretrained_classifier_and_mnist

from npgan import checkpoint, loading
from npgan.backend import Random, to_numpy
from npgan.loading import load
from npgan.models.common import save_model_file
from npgan.models.inference.bigan import build_bigan
from npgan.models.inference.bigan_training import BiGANModel
from npgan.models.inference.scores import class_kept
from npgan.nn.losses import discriminator_loss
from npgan.nn.optim import Adam, MomentumSGD
from npgan.presets import Config, get_preset
from npgan.train import train

# ring-8 with 2-d uniform noise and small networks: an epoch of 20 minibatches in a fraction of a second.
SMALL = Config(model="bigan", dataset="ring-8", noise_dim=2, g_hidden=(16,), g_output="linear",
               g_output_bias="zero", g_init_range=0.5, d_hidden=(16,), d_pieces=2, keep_input=1.0, keep_hidden=1.0,
               d_init_range=0.5, e_hidden=(16,), e_pieces=2, e_init_range=0.5, optimizer="adam", lr=0.002,
               lr_decay=1.0, batch_size=32, iters_per_epoch=20, epochs=3, sample_every=0)


def snapshot(network):
    return {key: to_numpy(value).copy() for key, value in network.params.items()}


def moved(before, network):
    return any(not np.array_equal(before[key], to_numpy(value)) for key, value in network.params.items())


def test_d_step_moves_only_d_and_eg_step_only_e_and_g(xp):
    gan = build_bigan(SMALL, Random(0))
    optimizers = {name: Adam(getattr(gan, name), lr=0.01) for name in "DEG"}
    real = Random(1).normal((32, 2))
    for step, movers in ((lambda: gan.d_step(real, optimizers["D"]), {"D"}),
                         (lambda: gan.eg_step(real, optimizers["E"], optimizers["G"]), {"E", "G"}),
                         (lambda: gan.simultaneous_step(real, *optimizers.values()), {"D", "E", "G"})):
        before = {name: snapshot(getattr(gan, name)) for name in "DEG"}
        out = step()
        assert {name for name in "DEG" if moved(before[name], getattr(gan, name))} == movers
        assert all(np.isfinite(float(value)) for value in out.values())
    with pytest.raises(TypeError, match="eg_step"):
        gan.g_step(32, optimizers["G"])


def test_the_two_objectives_are_d_loss_swapped_and_negated(xp):
    gan = build_bigan(SMALL, Random(0))
    logits = Random(2).normal((8, 1), dtype="float64")
    swapped, dreal, dfake = gan.eg_loss(logits, 4)
    # 0.5 (BCE(real, 0) + BCE(fake, 1)) = 0.5 (mean softplus(l_real) + mean softplus(-l_fake))
    l = to_numpy(logits)[:, 0]
    assert float(swapped) == pytest.approx(0.5 * (np.logaddexp(0, l[:4]).mean() + np.logaddexp(0, -l[4:]).mean()))
    gan.gen_loss = "minimax"
    minimax = float(gan.eg_loss(logits, 4)[0])
    assert minimax == pytest.approx(-0.5 * (np.logaddexp(0, -l[:4]).mean() + np.logaddexp(0, l[4:]).mean()))
    assert to_numpy(dreal).shape == (4, 1) and to_numpy(dfake).shape == (4, 1)


@pytest.mark.parametrize("update", ["alternating", "simultaneous"])
def test_a_bigan_run_resumes_bit_identically(tmp_path, update):
    config = SMALL.replace(update=update, instance_noise=0.2, instance_noise_epochs=2)  # annealed across the split
    train(config, tmp_path / "whole", quiet=True)
    train(config.replace(epochs=1), tmp_path / "split", quiet=True)
    train(config, tmp_path / "split", resume=tmp_path / "split" / "checkpoint.npz", quiet=True)
    assert (tmp_path / "whole" / "checkpoint.npz").read_bytes() == (tmp_path / "split" / "checkpoint.npz").read_bytes()
    header = (tmp_path / "whole" / "log.csv").read_text().splitlines()[0].split(",")
    assert header == ["epoch", "seconds", "d_loss", "eg_loss", "d_real", "d_fake", "held_out_code_mse",
                      "valid_pixel_mse", "lr"]


def test_instance_noise_reaches_d_only_when_asked(xp):
    gan = build_bigan(SMALL, Random(0))  # SMALL's D has no dropout: D's logits are a function of the pairs
    real, z = Random(1).normal((32, 2), dtype="float32"), gan.sample_noise(32, Random(2))
    clean = to_numpy(gan.forward_pairs(real, z, True))
    np.testing.assert_array_equal(to_numpy(gan.forward_pairs(real, z, True, input_noise=0.0)), clean)
    assert not np.allclose(to_numpy(gan.forward_pairs(real, z, True, input_noise=0.5)), clean)


def test_each_step_descends_its_own_loss_on_its_own_batch(xp):
    """D's step lowers D's loss, and E's and G's step lowers theirs, on the pairs the step saw
    (plain gradient descent with a small rate: a step along the gradient must go down)."""
    gan = build_bigan(SMALL, Random(0))
    optimizers = {name: MomentumSGD(getattr(gan, name), lr=1e-3, momentum=0.0) for name in "DEG"}
    real = Random(1).normal((32, 2))

    def losses_on(z):
        logits = gan.forward_pairs(real, z, training=True)
        return float(discriminator_loss(logits[:32], logits[32:])[0]), float(gan.eg_loss(logits, 32)[0])

    for step, which in ((lambda: gan.d_step(real, optimizers["D"]), 0),
                        (lambda: gan.eg_step(real, optimizers["E"], optimizers["G"]), 1)):
        state = gan.rng.get_state()
        z = gan.sample_noise(32)  # the noise the step is about to draw
        gan.rng.set_state(state)
        before = losses_on(z)
        step()
        after = losses_on(z)
        assert after[which] < before[which]


def test_the_model_file_holds_g_and_e_in_float16_and_encodes_like_the_checkpoint(tmp_path):
    trained = train(SMALL.replace(epochs=1), tmp_path / "run", quiet=True)
    save_model_file(tmp_path / "bigan.npz", trained, {"epoch": 1})
    _, state, arrays = checkpoint.read(tmp_path / "bigan.npz")
    assert (state["kind"], state["stored_dtype"]) == ("generator", "float16")
    assert state["networks"].startswith("G and E")
    assert {name.split("/")[0] for name in arrays} == {"G", "E"}
    assert all(value.dtype == np.float16 for value in arrays.values())
    shipped = load(tmp_path / "bigan.npz")
    assert shipped.D is None
    x = Random(3).normal((16, 2))
    np.testing.assert_allclose(to_numpy(shipped.encode(x)), to_numpy(trained.encode(x)), atol=2e-2)
    assert to_numpy(shipped.reconstruct(x)).shape == (16, 2) and to_numpy(shipped.sample(5)).shape == (5, 2)
    with pytest.raises(checkpoint.CheckpointError, match="no averaged generator"):
        load(tmp_path / "bigan.npz", averaged=True)


def test_bigan_refuses_what_it_does_not_keep_and_scales_only_es_rate():
    with pytest.raises(ValueError, match="model 'bigan' keeps no snapshots"):
        SMALL.replace(parzen_every=5)
    with pytest.raises(ValueError, match="e_lr_ratio applies to model 'bigan', not"):
        Config(e_lr_ratio=0.5)
    optimizers = BiGANModel(SMALL.replace(e_lr_ratio=0.1, lr_min=1e-4)).optimizers
    assert optimizers["E"].lr == pytest.approx(0.1 * optimizers["D"].lr) and optimizers["G"].lr == optimizers["D"].lr
    assert optimizers["E"].lr_schedule.lr_min == pytest.approx(1e-5)
    optimizers = BiGANModel(SMALL.replace(g_lr_ratio=3.0)).optimizers  # two time scales: D the slow one
    assert optimizers["G"].lr == pytest.approx(3 * optimizers["D"].lr) and optimizers["E"].lr == optimizers["D"].lr
    assert get_preset("mnist-bigan").model == "bigan"


def test_pair_maxout_reads_x_and_z_apart(xp):
    """Each unit of D's first layer sees only its own half of the pair: changing the code
    moves only the code units, changing the image only the image units."""
    from npgan.models.inference.layers import PairMaxout

    layer = PairMaxout(6, 3, 4, 2, 3, Random(0), init_range=0.5, dtype="float64")
    pairs = Random(1).normal((5, 9), dtype="float64")
    y = to_numpy(layer.forward(pairs)).copy()
    for columns, fixed in ((slice(6, 9), slice(0, 4)), (slice(0, 6), slice(4, 6))):
        changed = pairs.copy()
        changed[:, columns] += 1.0
        y2 = to_numpy(layer.forward(changed))
        np.testing.assert_array_equal(y2[:, fixed], y[:, fixed])
        assert not np.allclose(y2, y)
    assert layer.forward(pairs).shape == (5, 6)
    with pytest.raises(ValueError, match="expected input of shape"):
        layer.forward(Random(2).normal((5, 8), dtype="float64"))


def test_the_pair_discriminator_trains_resumes_and_is_left_out_of_the_file(tmp_path):
    config = SMALL.replace(d_hidden=(8, 8), d_code_units=4, keep_input=0.8, keep_hidden=0.5, bigan_recon=2.0)
    gan = build_bigan(config, Random(0))
    assert type(gan.D.layers[1]).__name__ == "PairMaxout" and gan.D.forward(Random(1).normal((3, 4))).shape == (3, 1)
    train(config, tmp_path / "whole", quiet=True)
    train(config.replace(epochs=1), tmp_path / "split", quiet=True)
    trained = train(config, tmp_path / "split", resume=tmp_path / "split" / "checkpoint.npz", quiet=True)
    assert (tmp_path / "whole" / "checkpoint.npz").read_bytes() == (tmp_path / "split" / "checkpoint.npz").read_bytes()
    save_model_file(tmp_path / "bigan.npz", trained, {"epoch": 3})
    values, state, _ = checkpoint.read(tmp_path / "bigan.npz")
    assert values["bigan_recon"] == 2.0 and state["networks"].startswith("G and E (D is used only in training")
    assert {name.split("/")[0] for name in checkpoint.read(tmp_path / "bigan.npz")[2]} == {"G", "E"}
    assert load(tmp_path / "bigan.npz").reconstruct(Random(3).normal((4, 2))).shape == (4, 2)


def test_the_reconstruction_term_pulls_g_of_e_of_x_towards_x(xp):
    """With ALICE's term the E+G step descends lambda * error of G(E(x)) too: on one batch, steps
    with a large lambda bring the reconstructions far closer than steps without it (the same D,
    held still), and the reported loss includes the term."""
    real = Random(1).normal((32, 2))
    errors = {}
    for weight in (0.0, 20.0):
        gan = build_bigan(SMALL.replace(bigan_recon=weight), Random(0))
        optimizers = {name: Adam(getattr(gan, name), lr=0.01) for name in "EG"}
        for _ in range(150):
            gan.eg_step(real, optimizers["E"], optimizers["G"])
        errors[weight] = float(((to_numpy(gan.reconstruct(real)) - to_numpy(real)) ** 2).mean())
    assert errors[20.0] < 0.3 * errors[0.0]
    gan = build_bigan(SMALL.replace(bigan_recon=3.0), Random(0))
    z = gan.sample_noise(32, Random(2))
    adversarial = float(gan.eg_loss(gan.forward_pairs(real, z, True, reconstruct=True), 32)[0])
    term = float(gan.reconstruction_term(real)[0])
    x_hat = to_numpy(gan.reconstruct(real))
    assert term == pytest.approx(3.0 * ((x_hat - to_numpy(real)) ** 2).mean(), rel=1e-5)
    assert float(gan.eg_backward(real, z)) == pytest.approx(adversarial + term, rel=1e-5)


def test_alice_and_the_pair_discriminator_are_bigan_options():
    for option in ("d_code_units", "bigan_recon"):
        with pytest.raises(ValueError, match=f"{option} applies to model 'bigan', not 'gan'"):
            Config(**{option: 1})
    with pytest.raises(ValueError, match="d_code_units and bigan_recon must be >= 0"):
        SMALL.replace(d_code_units=-1)
    with pytest.raises(ValueError, match="needs d_activation='maxout'"):
        SMALL.replace(d_code_units=4, d_activation="relu")


def test_the_committed_file_is_the_alice_variant_and_keeps_the_digits():
    """pretrained/npgan-mnist-bigan.npz: G and E in float16 within 1.2 MB, labelled as ALICE, and
    G(E(x)) keeps the class of at least 90% of the first 500 test digits (results/inference/inference.md:
    96.6% of all 10,000)."""
    path = os.path.join(REPOSITORY, "pretrained",
                        "npgan-mnist-bigan.npz")
    if not os.path.exists(path):
        pytest.skip("pretrained/npgan-mnist-bigan.npz is absent")
    assert os.path.getsize(path) <= 1.2e6
    config, state, arrays = loading.read(path)
    assert {name.split("/")[0] for name in arrays} == {"G", "E"} and state["variant"].startswith("ALICE")
    assert config.bigan_recon > 0 and all(value.dtype == np.float16 for value in arrays.values())
    clf, _, mnist = pretrained_classifier_and_mnist()
    alice = load(path)
    x = mnist.test_x[:500]
    assert to_numpy(alice.encode(x)).shape == (500, config.noise_dim)
    assert class_kept(clf, alice.reconstruct(x), mnist.test_y[:500])[0] >= 0.9
