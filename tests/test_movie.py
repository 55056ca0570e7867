"""The training movie (npgan.movie, npgan movie): a snapshot per frame, the gradient arrows
are G's true gradient, image models get fixed-noise grids, and the command remakes the GIF."""

import os
import stat

import numpy as np
import pytest
from conftest import REPOSITORY, require_data
from PIL import Image

import npgan
from npgan import movie
from npgan.backend import Random, asarray, to_numpy
from npgan.cli.parser import main
from npgan.nn import losses
from npgan.presets import get_preset
from npgan.train import train


@pytest.fixture(scope="module")
def ring_run(tmp_path_factory):
    """``npgan train --preset ring-8`` cut to 3 epochs: snapshots after epochs 0 (the start), 1, 2, 3."""
    out = tmp_path_factory.mktemp("movie") / "ring"
    assert main(["train", "--preset", "ring-8", "--epochs", "3", "--out", str(out), "--quiet"]) == 0
    return out


def gif_frames(path):
    with Image.open(path) as image:
        return image.n_frames, image.size


def test_ring_8_leaves_a_training_movie_with_a_frame_per_snapshot(ring_run):
    snapshots = movie.snapshots(ring_run)
    assert [os.path.basename(p) for p in snapshots] == [f"epoch-{e:04d}.npz" for e in range(4)]
    assert [int(np.load(p)["epoch"]) for p in snapshots] == [0, 1, 2, 3]
    frames, size = gif_frames(ring_run / "training.gif")
    assert frames == 4 and size[0] == 360
    with np.load(snapshots[-1]) as snap:
        assert snap["d"].shape == (90, 90) and 0 <= snap["d"].min() and snap["d"].max() <= 1
        assert snap["samples"].shape == snap["push"].shape == (250, 2)
        assert np.abs(snap["push"]).max() > 0


def test_the_frames_change_as_g_trains(ring_run):
    first, last = movie.frames(ring_run)[0], movie.frames(ring_run)[-1]
    assert np.abs(np.asarray(first, dtype=float) - np.asarray(last, dtype=float)).mean() > 1


@pytest.mark.parametrize("epochs, count", [(3, 4), (50, 51), (200, 51), (120, 41), (101, 35)])
def test_about_fifty_snapshots_whatever_the_length(epochs, count):
    due = [e for e in range(epochs + 1) if movie.due(e, epochs)]
    assert len(due) == count and due[0] == 0 and due[-1] == epochs


def test_the_arrows_are_g_s_gradient_through_d():
    """``_push`` is -dL_G/dx at G's samples, checked against central differences in float64."""
    config = get_preset("ring-8-plain").replace(g_hidden=(16,), d_hidden=(16,), dtype="float64")
    from npgan.models.gan.training import build_gan

    gan = build_gan(config, Random(3), None)
    x = to_numpy(gan.sample(6, rng=Random(4)))
    push = movie._push(gan, asarray(x))

    def loss(points):
        return float(to_numpy(losses.generator_loss(gan.D.forward(asarray(points), training=False),
                                                    gan.gen_loss)[0]))

    h, numeric = 1e-6, np.zeros_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            up, down = x.copy(), x.copy()
            up[i, j] += h
            down[i, j] -= h
            numeric[i, j] = -(loss(up) - loss(down)) / (2 * h)
    np.testing.assert_allclose(push, numeric, rtol=1e-5, atol=1e-10)


def test_a_resumed_run_trains_as_one_without_a_movie(tmp_path):
    config = get_preset("ring-8").replace(epochs=2, iters_per_epoch=20)
    with_movie = train(config, tmp_path / "a", quiet=True)
    from npgan.models.gan.outputs import epoch_outputs
    from npgan.models.gan.training import GANModel
    from npgan.train import Trainer

    without = Trainer(GANModel(config), tmp_path / "b", epoch_outputs, quiet=True, movie=False).run().gan
    for name, value in with_movie.G.params.items():
        np.testing.assert_array_equal(to_numpy(value), to_numpy(without.G.params[name]))
    assert os.path.exists(tmp_path / "a" / "training.gif") and not os.path.exists(tmp_path / "b" / "training.gif")
    assert not os.path.exists(tmp_path / "b" / "movie")


def test_the_1d_toy_draws_figure_1_in_motion(tmp_path):
    train(get_preset("toy-1d").replace(epochs=2, iters_per_epoch=10), tmp_path / "toy", quiet=True)
    with np.load(movie.snapshots(tmp_path / "toy")[-1]) as snap:
        assert str(snap["kind"]) == "toy-1d" and snap["d"].shape == snap["grid"].shape == (400,)
        assert snap["generator_density"].sum() > 0 and snap["push"].shape == (40,)
    assert gif_frames(tmp_path / "toy" / "training.gif")[0] == 3


@pytest.mark.parametrize("name, count, ncols", [("npgan-mnist-generator.npz", 64, 8), ("npgan-mnist-cgan.npz", 80, 8),
                                                ("npgan-mnist-dcgan-generator.npz", 64, 8)])
def test_image_models_show_samples_of_the_same_noise(name, count, ncols):
    path = os.path.join(REPOSITORY, "pretrained", name)
    model = npgan.load(path)
    snap = movie.snapshot(model, model.config)
    assert snap["images"].shape == (count, 1, 28, 28) and snap["images"].dtype == np.uint8
    assert int(snap["ncols"]) == ncols
    np.testing.assert_array_equal(snap["images"], movie.snapshot(model, model.config)["images"])
    frame = movie.render({**snap, "epoch": 5, "epochs": 10})
    assert frame.size[0] >= 8 * 29


def test_models_that_cannot_sample_show_reconstructions():
    from npgan.datasets.idx import load_mnist

    require_data("mnist")
    model = npgan.load(os.path.join(REPOSITORY, "pretrained", "npgan-mnist-ae.npz"))
    snap = movie.snapshot(model, model.config)
    images = snap["images"].reshape(4, 2, 8, 784)  # rows of originals, each above their reconstructions
    originals = np.round(load_mnist().test_x[:32] * 255).reshape(4, 8, 784)
    np.testing.assert_array_equal(images[:, 0], originals)
    assert np.abs(images[:, 1].astype(float) - originals).mean() < 40  # a trained autoencoder: close to them


def test_npgan_movie_remakes_the_gif(ring_run, tmp_path, capsys):
    out = tmp_path / "again.gif"
    assert main(["movie", str(ring_run), "-o", str(out), "--no-mp4"]) == 0
    assert gif_frames(out)[0] == 4 and "wrote 4 frames" in capsys.readouterr().out
    assert main(["movie", str(ring_run), "-o", str(out), "--max-frames", "2", "--size", "200", "--force",
                 "--no-mp4"]) == 0
    assert gif_frames(out) == (2, (200, 236))


@pytest.mark.parametrize("argv, message", [
    (["movie", "RUN"], "training.gif exists; pass --force"),
    (["movie", "EMPTY"], "holds no snapshots (movie/epoch-NNNN.npz)"),
    (["movie", "MISSING"], "not a run folder (no such directory)"),
    (["movie", "RUN", "-o", "OUT.png"], "must end in .gif"),
    (["movie", "RUN", "--fps", "0"], "expected an integer >= 1"),
])
def test_npgan_movie_misuse_is_one_line(ring_run, tmp_path, capsys, argv, message):
    (tmp_path / "empty").mkdir()
    names = {"RUN": str(ring_run), "EMPTY": str(tmp_path / "empty"), "MISSING": str(tmp_path / "missing"),
             "OUT.png": str(tmp_path / "out.png")}
    assert main([names.get(word, word) for word in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_an_mp4_goes_through_ffmpeg_where_there_is_one(ring_run, tmp_path, monkeypatch):
    """A stand-in ffmpeg on the PATH records what it is given: every frame as raw RGB, the last held."""
    fake = tmp_path / "bin" / "ffmpeg"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nfor last; do :; done\ncat > \"$last\"\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    assert main(["movie", str(ring_run), "-o", str(tmp_path / "m.gif")]) == 0
    width, height = gif_frames(tmp_path / "m.gif")[1]
    hold = round(movie.HOLD * movie.FPS)
    assert os.path.getsize(tmp_path / "m.mp4") == width * height * 3 * (4 + hold - 1)
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
