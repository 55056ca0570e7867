"""npgan inpaint on a tiny inpainting model: what it writes, and its one-line refusals."""


import numpy as np
import pytest
from conftest import require_data

from npgan import checkpoint
from npgan.backend import Random
from npgan.cli.parser import main
from npgan.datasets.idx import load_mnist
from npgan.models.common import save_model_file
from npgan.nn import mlp
from npgan.presets import Config, get_preset
from npgan.train import train


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    require_data("mnist")
    root = tmp_path_factory.mktemp("inpaint")
    inpainter = train(get_preset("tiny-inpaint").replace(iters_per_epoch=3), root / "run", quiet=True)
    save_model_file(root / "inpaint.npz", inpainter, {"epoch": 1})
    checkpoint.save(root / "gan.npz", Config(noise_dim=3, g_hidden=(8,)), {"epoch": 0},
                    {"G": mlp.generator(3, (8,), 784, Random(0), init_range=0.5)}, kind="generator")
    return root


@pytest.mark.parametrize("source", ["inpaint.npz", "run/checkpoint.npz"])
def test_npy_holds_every_completion_with_the_observed_pixels_kept(files, source, tmp_path, capsys):
    out = tmp_path / "c.npy"
    assert main(["inpaint", str(files / source), "--mask", "top", "--images", "3", "--per-image", "2",
                 "-o", str(out)]) == 0
    assert "wrote 6 completions of 3 test images (top missing)" in capsys.readouterr().out
    c = np.load(out)
    assert c.shape == (6, 784) and c.dtype == np.float32 and 0 <= c.min() and c.max() <= 1
    originals = load_mnist().test_x[:3]
    bottom = np.zeros((28, 28), bool)
    bottom[14:] = True
    bottom = bottom.reshape(784)
    for i in range(6):
        assert (c[i, bottom] == originals[i // 2, bottom]).all()
    assert np.abs(c[0, ~bottom] - c[1, ~bottom]).max() > 0  # two noise draws, two completions


def test_center_is_centre_and_png_is_drawn(files, tmp_path):
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    assert main(["inpaint", str(files / "inpaint.npz"), "--mask", "center", "--images", "2", "-o", str(a)]) == 0
    assert main(["inpaint", str(files / "inpaint.npz"), "--mask", "centre", "--images", "2", "-o", str(b)]) == 0
    assert (np.load(a) == np.load(b)).all()
    png = tmp_path / "c.png"
    assert main(["inpaint", str(files / "inpaint.npz"), "--mask", "random90", "--images", "4", "--per-image", "3",
                 "-o", str(png)]) == 0
    assert png.stat().st_size > 0


@pytest.mark.parametrize("args, message", [
    (["--mask", "middle"], "unknown mask 'middle'; expected one of top, bottom, left, right, centre"),
    (["--mask", "top", "--images", "400", "--per-image", "2"], "too many for one picture"),
])
def test_bad_input_is_one_line_and_writes_nothing(files, args, message, tmp_path, capsys):
    out = tmp_path / "c.png"
    assert main(["inpaint", str(files / "inpaint.npz"), *args, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not out.exists()


def test_a_gan_cannot_inpaint_and_an_output_is_not_replaced_silently(files, tmp_path, capsys):
    out = tmp_path / "c.npy"
    assert main(["inpaint", str(files / "gan.npz"), "--mask", "left", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "which cannot inpaint; it can:" in err and err.count("\n") == 1 and not out.exists()
    out.write_bytes(b"mine")
    assert main(["inpaint", str(files / "inpaint.npz"), "--mask", "left", "-o", str(out)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err and out.read_bytes() == b"mine"
    assert main(["inpaint", str(files / "inpaint.npz"), "--mask", "left", "-o", str(out), "--force"]) == 0
    assert np.load(out).shape == (10, 784)
