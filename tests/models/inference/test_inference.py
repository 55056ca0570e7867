"""The post-hoc encoder and refinement (npgan.models.inference.model, npgan.models.inference.encoder_training):
the math on constructed cases, training through the generic trainer, and the file that names its generator."""

import shutil

import numpy as np
import pytest

from npgan import checkpoint
from npgan.backend import Random, get_backend, to_numpy
from npgan.checkpoint import CheckpointError
from npgan.loading import load
from npgan.models.gan.inversion import best_of_starts, reconstruction_loss, refine
from npgan.models.inference.encoder_training import EncoderModel, save_encoder_file
from npgan.models.inference.model import ScaledTanh, build_encoder, code_loss, file_sha256
from npgan.nn import mlp
from npgan.nn.gradcheck import check_layer
from npgan.nn.layers import Linear, Sequential
from npgan.presets import Config
from npgan.train import train

BOUND = 3 ** 0.5
# A generator of 2-d points from 2-d uniform noise, small enough to train against in a second.
G_CONFIG = Config(dataset="ring-8", noise_dim=2, g_hidden=(16,), g_output="linear", g_output_bias="zero",
                  g_init_range=0.5, iters_per_epoch=1)
ENCODER = dict(model="encoder", dataset="ring-8", noise_dim=2, e_hidden=(16,), e_pieces=2, e_init_range=0.5,
               optimizer="adam", lr=0.01, adam_beta1=0.9, lr_decay=1.0, iters_per_epoch=40, epochs=2,
               batch_size=32, sample_every=0)


def encoder_config(generator_file, **changes):
    return Config(**dict(ENCODER, generator_file=str(generator_file), **changes))


def write_generator(path, config=G_CONFIG, seed=0):
    """A generator file as ``npgan export`` writes one, its weights drawn from ``Random(seed)``."""
    G = mlp.generator(config.noise_dim, config.g_hidden, 2, Random(seed), config.g_output, config.g_init_range)
    checkpoint.save(path, config, {"epoch": 0}, {"G": G}, kind="generator")
    return path


def test_scaled_tanh_stays_inside_the_box_and_its_check_catches_a_missing_scale(xp, monkeypatch):
    x = Random(0).normal((50, 4), dtype="float64") * 10
    y = to_numpy(ScaledTanh(BOUND).forward(x))
    assert np.abs(y).max() <= BOUND and np.abs(y).max() > 0.99 * BOUND
    layer = ScaledTanh(BOUND)
    assert check_layer(layer, x / 10)["dx"] < 1e-7
    monkeypatch.setattr(ScaledTanh, "backward", lambda self, dy, **kw: dy * (1 - self._cache ** 2))  # scale dropped
    assert check_layer(layer, x / 10)["dx"] > 1e-2


def test_the_losses_are_their_formulas(xp):
    z = xp.asarray([[0.0, 1.0], [2.0, -1.0]])
    loss, dcodes = code_loss(z + 0.5, z)
    assert float(loss) == pytest.approx(0.25)
    np.testing.assert_allclose(to_numpy(dcodes), np.full((2, 2), 2 * 0.5 / 4))
    r, dx_hat = reconstruction_loss(xp.asarray([[1.0, 1.0, 1.0], [0.0, 0.0, 3.0]]), xp.zeros((2, 3)))
    np.testing.assert_allclose(to_numpy(r), [1.0, 3.0])
    np.testing.assert_allclose(to_numpy(dx_hat)[1], [0.0, 0.0, 2.0])
    with pytest.raises(ValueError, match="code_loss: expected codes and z of one shape"):
        code_loss(z, z[:1])


def linear_generator(rng):
    """``G(z) = z W + b`` with a well-conditioned W (3 -> 6): one best z per image."""
    G = Sequential(Linear(3, 6, rng, 1.0, "float64"))
    G.layers[0].params["W"][...] = get_backend().asarray(np.vstack([np.eye(3), 0.5 * np.eye(3)]).T)
    return G


def test_refinement_finds_the_code_inside_the_box_and_projects_onto_it_outside(xp):
    rng = Random(1)
    G = linear_generator(rng)
    inside = rng.uniform(-1.5, 1.5, (20, 3), dtype="float64")
    z, r = refine(G, G.forward(inside, training=False), xp.zeros((20, 3)), steps=400, lr=0.05, bound=BOUND)
    np.testing.assert_allclose(to_numpy(z), to_numpy(inside), atol=1e-3)
    assert float(r.max()) < 1e-6
    outside = inside * 3  # most coordinates beyond sqrt(3): the best code in the box is the clipped one
    z, _ = refine(G, G.forward(outside, training=False), xp.zeros((20, 3)), steps=400, lr=0.05, bound=BOUND)
    assert float(xp.abs(z).max()) <= BOUND
    np.testing.assert_allclose(to_numpy(z), np.clip(to_numpy(outside), -BOUND, BOUND), atol=1e-3)
    unbounded, _ = refine(G, G.forward(outside, training=False), xp.zeros((20, 3)), steps=600, lr=0.05)
    np.testing.assert_allclose(to_numpy(unbounded), to_numpy(outside), atol=1e-2)


def test_refinement_never_returns_worse_codes_than_it_started_from(xp):
    rng = Random(2)
    G = mlp.generator(3, (8,), 6, rng, init_range=1.0, dtype="float64")
    x, z0 = rng.uniform(0, 1, (10, 6), dtype="float64"), rng.uniform(-1, 1, (10, 3), dtype="float64")
    start = reconstruction_loss(G.forward(z0, training=False), x)[0]
    _, r = refine(G, x, z0, steps=5, lr=5.0, bound=BOUND)  # a step far too large: the best seen is kept
    assert bool((r <= start).all())


def test_best_of_starts_keeps_each_images_best_start(xp):
    G = linear_generator(Random(3))
    truth = Random(4).uniform(-1, 1, (6, 3), dtype="float64")
    wrong = truth + 1.0
    starts = [xp.where(xp.arange(6)[:, None] < 3, truth, wrong), xp.where(xp.arange(6)[:, None] < 3, wrong, truth)]
    z, r, winner = best_of_starts(G, G.forward(truth, training=False), starts, steps=0)
    assert to_numpy(winner).tolist() == [0, 0, 0, 1, 1, 1]
    np.testing.assert_array_equal(to_numpy(z), to_numpy(truth))
    with pytest.raises(ValueError, match="at least one"):
        best_of_starts(G, truth, [], steps=0)


def test_encoder_codes_respect_the_prior(xp):
    E = build_encoder(6, (4,), 3, Random(0), pieces=2, init_range=5.0, bound=BOUND)
    assert float(xp.abs(E.forward(Random(1).normal((30, 6)) * 100)).max()) <= BOUND
    assert repr(build_encoder(6, (4,), 3, Random(0)).layers[-1]) == "Linear(4, 3)"  # a Gaussian prior: no tanh


@pytest.fixture
def generator_file(tmp_path):
    return write_generator(tmp_path / "g.npz")


def test_the_sleep_phase_learns_to_invert_g(tmp_path, generator_file):
    config = encoder_config(generator_file)
    untrained = EncoderModel(config).end_epoch(0)["held_out_code_mse"]
    train(config, tmp_path / "run", quiet=True)
    rows = (tmp_path / "run" / "log.csv").read_text().splitlines()
    assert rows[0].split(",")[:5] == ["epoch", "seconds", "code_loss", "held_out_code_mse", "held_out_pixel_mse"]
    assert float(rows[-1].split(",")[3]) < 0.5 * untrained


def test_an_encoder_run_resumes_bit_identically(tmp_path, generator_file):
    config = encoder_config(generator_file)
    train(config, tmp_path / "whole", quiet=True)
    train(config.replace(epochs=1), tmp_path / "split", quiet=True)
    train(config, tmp_path / "split", resume=tmp_path / "split" / "checkpoint.npz", quiet=True)
    assert (tmp_path / "whole" / "checkpoint.npz").read_bytes() == (tmp_path / "split" / "checkpoint.npz").read_bytes()


def test_resuming_against_another_generator_is_refused(tmp_path, generator_file):
    config = encoder_config(generator_file, epochs=1)
    train(config, tmp_path / "run", quiet=True)
    write_generator(generator_file, seed=5)  # the same name, other weights
    with pytest.raises(CheckpointError, match="trained against a generator with SHA-256"):
        train(config.replace(epochs=2), tmp_path / "run", resume=tmp_path / "run" / "checkpoint.npz", quiet=True)


def test_an_encoders_prior_must_be_its_generators(generator_file):
    with pytest.raises(ValueError, match="has noise_dim 2 \\(this config: 3\\)"):
        EncoderModel(encoder_config(generator_file, noise_dim=3))
    with pytest.raises(ValueError, match="no such file"):
        EncoderModel(encoder_config("nowhere/g.npz"))
    with pytest.raises(ValueError, match="model 'encoder' needs generator_file"):
        encoder_config("")


def test_the_encoder_file_names_its_generator_and_refuses_another(tmp_path, generator_file):
    config = encoder_config(generator_file, epochs=1)
    trained = train(config, tmp_path / "run", quiet=True)
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    save_encoder_file(shipped / "e.npz", trained, epoch=1)
    _, state, arrays = checkpoint.read(shipped / "e.npz")
    assert state["generator"] == {"file": "g.npz", "sha256": file_sha256(generator_file)}
    assert sorted(arrays) == sorted(f"E/{key}" for key in trained.E.params)
    with pytest.raises(CheckpointError, match="inverts the generator g.npz .* which is not beside it"):
        load(shipped / "e.npz")
    shutil.copy(generator_file, shipped / "g.npz")
    loaded = load(shipped / "e.npz")
    x = loaded.gan.sample(8, rng=Random(3))
    np.testing.assert_array_equal(to_numpy(loaded.reconstruct(x)), to_numpy(trained.reconstruct(x)))
    assert loaded.reconstruct(x, steps=20) is not None
    write_generator(shipped / "g.npz", seed=5)
    with pytest.raises(CheckpointError, match="is not the generator .* was trained to invert"):
        load(shipped / "e.npz")
    # the training checkpoint finds the generator where it was trained from
    assert isinstance(load(tmp_path / "run" / "checkpoint.npz").generator_path, str)
    with pytest.raises(CheckpointError, match="an encoder model keeps no averaged generator"):
        load(tmp_path / "run" / "checkpoint.npz", averaged=True)


def test_npgan_train_takes_the_generator_file_and_refuses_it_where_it_does_not_apply(tmp_path, generator_file, capsys):
    from npgan.cli.parser import main

    out = tmp_path / "run"
    assert main(["train", "--preset", "mnist-encoder", "--generator-file", str(tmp_path / "none.npz"),
                 "--out", str(out)]) == 2
    assert "generator_file" in capsys.readouterr().err and not out.exists()
    assert main(["train", "--preset", "mnist", "--generator-file", str(generator_file), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "generator_file applies to model 'encoder'" in err and err.count("\n") == 1 and not out.exists()
    # a generator whose prior is not the preset's (2-d, not 100-d): one line, nothing written
    assert main(["train", "--preset", "mnist-encoder", "--generator-file", str(generator_file), "--out", str(out)]) == 2
    assert "an encoder's prior must be its generator's" in capsys.readouterr().err and not out.exists()
