"""The class-conditional GAN (npgan.models.cgan.model, npgan.models.cgan.training): the label's one-hot at
the input of G and D, the gradient to x only, the steps, training through the generic trainer with
resume and averaging, its files, and `npgan sample --label`."""

import hashlib
from pathlib import Path

import numpy as np
import pytest

import npgan
from npgan.backend import Random, to_numpy
from npgan.cli.parser import main
from npgan.models.cgan import model as conditional
from npgan.models.cgan import training as conditional_model
from npgan.models.cgan.checks import GeneratorThroughD, LabelledNetwork, small_networks
from npgan.models.cgan.checks import rows as conditional_rows
from npgan.models.cgan.model import backward_to_input, balanced_labels, check_labels, one_hot
from npgan.models.cgan.training import build_cgan
from npgan.models.common import save_model_file
from npgan.nn import gradcheck
from npgan.nn.optim import Adam
from npgan.presets import Config, get_preset
from npgan.train import train

# A cGAN small enough for tests: 8-unit layers, 200 random labelled "images", 4 iterations an epoch.
TINY = get_preset("mnist-cgan").replace(g_hidden=(8,), d_hidden=(8,), noise_dim=4, batch_size=50, epochs=2,
                                        sample_every=1, eval_every=0, average_from=1, seed=3)


@pytest.fixture
def tiny_data(monkeypatch):
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (200, 784)).astype("float32")
    labels = rng.integers(0, 10, 200).astype("uint8")
    monkeypatch.setattr(conditional_model, "labelled_data", lambda dataset: (images, labels))
    return images, labels


def test_one_hot_and_labels(xp):
    c = to_numpy(one_hot(xp.asarray([2, 0, 9])))
    assert c.shape == (3, 10) and c.sum() == 3 and c[0, 2] == c[1, 0] == c[2, 9] == 1
    assert to_numpy(balanced_labels(20)).tolist() == [d for d in range(10) for _ in range(2)]
    assert np.bincount(to_numpy(balanced_labels(25)), minlength=10).tolist() == [3, 2, 3, 2, 3, 2, 3, 2, 3, 2]
    for bad, message in (([0, 10], "values in 0..9"), ([[1]], "shape"), ([0.5], "integer"), ([1, 2], r"\(3,\)")):
        with pytest.raises(ValueError, match=message):
            check_labels(xp.asarray(bad), 3 if message == r"\(3,\)" else None)


def test_backward_passes_on_dx_and_drops_the_label_columns():
    """The gradient w.r.t. [x, c] is (n, 12 + 4); only its first 12 columns go back, and they match
    central differences in x. The bug the topic invites, passing on the last 12 columns (labels
    included), fails the same check."""
    rng = Random(0)
    G, D = small_networks(rng)
    c = one_hot(rng.integers(0, 4, (5,)), 4, "float64")
    x = rng.uniform(0, 1, (5, 12), "float64")
    dy = rng.normal((5, 1), "float64")
    logits = conditional.forward_with_label(D, x, c, training=False)
    assert logits.shape == (5, 1)
    dx = backward_to_input(D, dy, 12)
    numeric = gradcheck.numerical_gradient(
        lambda: float((conditional.forward_with_label(D, x, c, training=False) * dy).sum()), x)
    assert dx.shape == (5, 12) and gradcheck.rel_error(dx, numeric) < 1e-7
    conditional.forward_with_label(D, x, c, training=False)
    leaky = D.backward(dy)[:, 4:]  # the wrong columns: the label's gradient leaks in, x's first 4 are lost
    assert gradcheck.rel_error(leaky, numeric) > 1e-2


def test_input_dropout_drops_pixels_and_never_the_label(xp):
    layer = conditional.ImageDropout(0.5, Random(0), 6)
    x = xp.concatenate([Random(1).uniform(1, 2, (40, 6), "float32"), one_hot(xp.arange(40) % 4, 4)], axis=1)
    y = to_numpy(layer.forward(x, training=True))
    np.testing.assert_array_equal(y[:, 6:], to_numpy(x)[:, 6:])  # the label: unchanged, not rescaled
    kept = y[:, :6] != 0
    assert 0.3 < kept.mean() < 0.7 and np.allclose(y[:, :6][kept], 2 * to_numpy(x)[:, :6][kept])
    dx = to_numpy(layer.backward(xp.ones((40, 10))))
    np.testing.assert_array_equal(dx, np.concatenate([2.0 * kept, np.ones((40, 4))], axis=1))
    np.testing.assert_array_equal(to_numpy(layer.forward(x, training=False)), to_numpy(x))


def test_every_conditional_gradient_check_passes():
    found = conditional_rows(seed=2)
    assert {what for what, *_ in found} == {"cGAN D(x, c), leaky", "cGAN D(x, c), maxout", "cGAN G(z, c)",
                                            "cGAN G through D(., c)"}
    assert all(err < tol for _, _, err, tol in found), [row for row in found if row[2] >= row[3]]


def test_g_through_d_holds_g_then_d_and_returns_dz():
    rng = Random(1)
    G, D = small_networks(rng)
    chain = GeneratorThroughD(G, D, one_hot(rng.integers(0, 4, (3,)), 4, "float64"))
    assert len(chain.params) == len(G.params) + len(D.params)
    z = rng.uniform(-1, 1, (3, 5), "float64")
    assert chain.forward(z).shape == (3, 1) and chain.backward(rng.normal((3, 1), "float64")).shape == (3, 5)
    assert isinstance(chain.g, LabelledNetwork)


def snapshot(network):
    return {key: to_numpy(value).copy() for key, value in network.params.items()}


def moved(before, network):
    return any(not np.array_equal(before[key], to_numpy(value)) for key, value in network.params.items())


def test_d_step_moves_only_d_g_step_only_g_and_the_simultaneous_step_both(xp):
    gan = build_cgan(TINY, Random(0))
    d_opt, g_opt = Adam(gan.D, lr=0.01), Adam(gan.G, lr=0.01)
    real = (Random(1).uniform(0, 1, (6, 784)), xp.asarray([0, 1, 2, 3, 4, 5]))
    for step, movers in ((lambda: gan.d_step(real, d_opt), "D"), (lambda: gan.g_step(6, g_opt), "G"),
                         (lambda: gan.simultaneous_step(real, d_opt, g_opt), "DG")):
        before = {name: snapshot(getattr(gan, name)) for name in "DG"}
        out = step()
        assert {name for name in "DG" if moved(before[name], getattr(gan, name))} == set(movers)
        assert all(np.isfinite(float(value)) for value in out.values())


def test_the_label_changes_the_samples_and_sample_checks_its_labels(xp):
    gan = build_cgan(TINY, Random(0))
    gradcheck.randomize_parameters(gan.G, Random(4), scale=0.3)
    same_noise = [to_numpy(gan.sample(10, rng=Random(7), labels=xp.full(10, d))) for d in (1, 7)]
    assert not np.allclose(*same_noise)
    default = to_numpy(gan.sample(10, rng=Random(7)))  # one of each class, in label order
    np.testing.assert_array_equal(default, to_numpy(gan.sample(10, rng=Random(7), labels=balanced_labels(10))))
    assert default[1].tolist() != default[0].tolist()
    with pytest.raises(ValueError, match=r"shape \(10,\)"):
        gan.sample(10, rng=Random(7), labels=xp.zeros(3, dtype="int64"))
    assert to_numpy(gan.discriminate(gan.sample(4), xp.asarray([0, 1, 2, 3]))).shape == (4,)


@pytest.mark.parametrize("update", ["alternating", "simultaneous"])
def test_a_cgan_run_resumes_bit_identically_and_averages(tmp_path, tiny_data, update):
    config = TINY.replace(update=update)
    train(config, tmp_path / "whole", quiet=True)
    train(config.replace(epochs=1), tmp_path / "split", quiet=True)
    train(config, tmp_path / "split", resume=tmp_path / "split" / "checkpoint.npz", quiet=True)
    whole = (tmp_path / "whole" / "checkpoint.npz").read_bytes()
    assert whole == (tmp_path / "split" / "checkpoint.npz").read_bytes()
    assert (tmp_path / "whole" / "samples" / "epoch-0002.png").exists()
    averaged = npgan.load(tmp_path / "whole" / "checkpoint.npz", averaged=True)
    assert averaged.state["averaged_epochs"] == [1, 2] and isinstance(averaged, conditional.ConditionalGAN)


def test_the_model_file_is_float16_and_samples_as_the_trained_g(tmp_path, tiny_data):
    gan = train(TINY.replace(epochs=1), tmp_path / "run", quiet=True)
    path = tmp_path / "cgan.npz"
    save_model_file(path, gan, {"epoch": 1})
    loaded = npgan.load(path)
    assert loaded.D is None and loaded.state["stored_dtype"] == "float16"
    with np.load(path) as npz:
        assert {npz[key].dtype for key in npz.files if key.startswith("G/")} == {np.dtype("float16")}
    labels = np.repeat(np.arange(10), 2)
    ours, theirs = (to_numpy(g.sample(20, rng=Random(1), labels=labels)) for g in (gan, loaded))
    assert np.abs(ours - theirs).max() < 0.02  # half-precision weights


def test_the_label_weights_start_at_their_own_scale():
    gan = build_cgan(TINY.replace(g_label_init_range=3.0, d_label_init_range=2.0), Random(0))
    for network, scale, label_scale in ((gan.G, TINY.g_init_range, 3.0), (gan.D, TINY.d_init_range, 2.0)):
        W = to_numpy(next(p for key, p in network.params.items() if key.endswith("W")))
        assert np.abs(W[:-10]).max() <= scale and 0.5 * label_scale < np.abs(W[-10:]).max() <= label_scale
    with pytest.raises(ValueError, match="hidden layer"):
        conditional.generator(4, (), 784, Random(0))


def test_config_refuses_what_the_cgan_cannot_train():
    for changes, message in (({"dataset": "ring-8", "iters_per_epoch": 5}, "mnist"), ({"leaky_slope": 1.0}, "leaky"),
                             ({"label_smoothing": 0.1}, "label_smoothing"), ({"d_label_init_range": 0}, "label_init"),
                             ({"g_hidden": []}, "hidden layers")):
        with pytest.raises(ValueError, match=message):
            get_preset("mnist-cgan").replace(**changes)
    assert Config(model="cgan", keep_input=1.0).model == "cgan"


# ---- npgan sample --label --------------------------------------------------------------------

@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A tiny cGAN file and an unconditional (toy) generator file."""
    root = tmp_path_factory.mktemp("cgan-files")
    gan = build_cgan(TINY, Random(0))
    gan.config, gan.state = TINY, {}
    save_model_file(root / "cgan.npz", gan, {"epoch": 0})
    train(get_preset("toy-1d").replace(epochs=1, iters_per_epoch=3, sample_every=0), root / "toy", quiet=True)
    return root


def test_sample_label_writes_that_class_and_labels_beside_the_npy(files, tmp_path):
    out = tmp_path / "sevens.npy"
    assert main(["sample", str(files / "cgan.npz"), "--label", "7", "-n", "30", "-o", str(out)]) == 0
    assert np.load(out).shape == (30, 784)
    assert np.load(tmp_path / "sevens.labels.npy").tolist() == [7] * 30
    out = tmp_path / "all.npy"
    assert main(["sample", str(files / "cgan.npz"), "-n", "20", "-o", str(out)]) == 0
    assert np.load(tmp_path / "all.labels.npy").tolist() == [d for d in range(10) for _ in range(2)]
    gan = npgan.load(files / "cgan.npz")
    np.testing.assert_allclose(np.load(out), to_numpy(gan.sample(20, rng=Random(0))), atol=1e-6)
    assert main(["sample", str(files / "cgan.npz"), "-n", "20", "-o", str(tmp_path / "rows.png")]) == 0
    assert main(["sample", str(files / "cgan.npz"), "--label", "3", "-o", str(tmp_path / "threes.png")]) == 0


def tree_hash(root):
    digest = hashlib.sha256()
    for path in sorted(Path(root).rglob("*")):
        digest.update(str(path).encode() + (path.read_bytes() if path.is_file() else b""))
    return digest.hexdigest()


@pytest.mark.parametrize("args, message", [
    (["--label", "10"], "expected a class label 0..9, got 10"),
    (["--label", "seven"], "expected a class label 0..9, got 'seven'"),
    (["-n", "15"], "expected a multiple of 10"),
    (["--toy", "--label", "7"], "--label needs a class-conditional model"),
    (["--labels-exist"], "out.labels.npy exists; pass --force"),
])
def test_sample_misuse_is_one_line_and_writes_nothing(files, tmp_path, capsys, args, message):
    source = files / ("toy/checkpoint.npz" if "--toy" in args else "cgan.npz")
    if "--labels-exist" in args:
        (tmp_path / "out.labels.npy").write_bytes(b"the user's file")
    args = [a for a in args if a not in ("--toy", "--labels-exist")]
    before = tree_hash(tmp_path)
    capsys.readouterr()
    assert main(["sample", str(source), *args, "-o", str(tmp_path / "out.npy")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("npgan sample: error: ") and message in err, err
    assert tree_hash(tmp_path) == before
