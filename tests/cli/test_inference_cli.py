"""npgan encode / reconstruct / sample on the inference families' files, with tiny MNIST-shaped
networks: what each writes, and the one-line refusals (a generator that is not the one an
encoder inverts, a missing one)."""

import shutil

import numpy as np
import pytest
from conftest import require_data

from npgan import checkpoint
from npgan.backend import Random
from npgan.cli.parser import main
from npgan.models.common import save_model_file
from npgan.models.inference.encoder_training import save_encoder_file
from npgan.nn import mlp
from npgan.presets import Config
from npgan.train import train

TINY = dict(dataset="mnist", noise_dim=3, sample_every=1, epochs=1)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    require_data("mnist")
    root = tmp_path_factory.mktemp("inference")
    g_config = Config(g_hidden=(8,), **TINY)
    checkpoint.save(root / "g.npz", g_config, {"epoch": 0},
                    {"G": mlp.generator(3, (8,), 784, Random(0), init_range=0.5)}, kind="generator")
    encoder = train(Config(model="encoder", generator_file=str(root / "g.npz"), e_hidden=(4,), e_pieces=2,
                           iters_per_epoch=5, **TINY), root / "encoder-run", quiet=True)
    (root / "shipped").mkdir()
    save_encoder_file(root / "shipped" / "e.npz", encoder, epoch=1)
    shutil.copy(root / "g.npz", root / "shipped" / "g.npz")
    bigan = train(Config(model="bigan", g_hidden=(8,), d_hidden=(4,), d_pieces=2, e_hidden=(4,), e_pieces=2,
                         batch_size=1000, **TINY), root / "bigan-run", quiet=True)
    save_model_file(root / "bigan.npz", bigan, {"epoch": 1})
    return root


def test_the_run_folders_show_reconstructions(workspace):
    assert (workspace / "encoder-run" / "reconstructions" / "epoch-0001.png").is_file()
    assert (workspace / "bigan-run" / "reconstructions" / "epoch-0001.png").is_file()
    assert (workspace / "bigan-run" / "samples" / "epoch-0001.png").is_file()


@pytest.mark.parametrize("source", ["encoder-run/checkpoint.npz", "shipped/e.npz", "bigan-run/checkpoint.npz",
                                    "bigan.npz"])
def test_encode_and_reconstruct_write_what_they_say(workspace, source, tmp_path, capsys):
    path = str(workspace / source)
    assert main(["encode", path, "--images", "5", "-o", str(tmp_path / "z.npy")]) == 0
    codes = np.load(tmp_path / "z.npy")
    assert codes.shape == (5, 3) and np.abs(codes).max() <= 3 ** 0.5
    assert main(["reconstruct", path, "--images", "4", "-o", str(tmp_path / "x.npy")]) == 0
    rebuilt = np.load(tmp_path / "x.npy")
    assert rebuilt.shape == (4, 784) and 0 <= rebuilt.min() and rebuilt.max() <= 1
    assert main(["reconstruct", path, "--images", "4", "-o", str(tmp_path / "x.png")]) == 0
    assert (tmp_path / "x.png").stat().st_size > 0
    assert "wrote the reconstructions of 4 test images" in capsys.readouterr().out


def test_a_bigan_samples_and_an_encoder_does_not(workspace, tmp_path, capsys):
    assert main(["sample", str(workspace / "bigan.npz"), "-n", "10", "-o", str(tmp_path / "s.png")]) == 0
    assert main(["sample", str(workspace / "shipped" / "e.npz"), "-n", "10", "-o", str(tmp_path / "t.png")]) == 2
    err = capsys.readouterr().err
    assert "which cannot sample; it can: encode, evaluate, reconstruct" in err
    assert err.count("\n") == 1 and not (tmp_path / "t.png").exists()


def test_an_encoder_refuses_a_generator_that_is_not_its_own(workspace, tmp_path, capsys):
    folder = tmp_path / "moved"
    folder.mkdir()
    shutil.copy(workspace / "shipped" / "e.npz", folder / "e.npz")
    assert main(["encode", str(folder / "e.npz"), "--images", "2", "-o", str(tmp_path / "z.npy")]) == 2
    assert "which is not beside it" in capsys.readouterr().err
    checkpoint.save(folder / "g.npz", Config(g_hidden=(8,), **TINY), {"epoch": 0},
                    {"G": mlp.generator(3, (8,), 784, Random(1), init_range=0.5)}, kind="generator")
    assert main(["reconstruct", str(folder / "e.npz"), "--images", "2", "-o", str(tmp_path / "x.npy")]) == 2
    err = capsys.readouterr().err
    assert "is not the generator" in err and "SHA-256" in err and err.count("\n") == 1
    assert not (tmp_path / "z.npy").exists() and not (tmp_path / "x.npy").exists()
