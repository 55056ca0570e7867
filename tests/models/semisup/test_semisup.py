"""Semi-supervised learning: the (K+1)-class losses against their definition, the
gradient checks, the labelled draw, a tiny training run through the trainer, ``npgan classify``
and its refusals, and the frozen-feature classifier."""

import os
import signal

import numpy as np
import pytest
from conftest import REPOSITORY, require_data

from npgan import checkpoint
from npgan.backend import Random, asarray, to_numpy
from npgan.cli.parser import main
from npgan.datasets.idx import load_mnist
from npgan.loading import load
from npgan.models.semisup import model as semisup
from npgan.models.semisup.checks import rows
from npgan.models.semisup.features import classification_error, maxout_features, standardiser, train_softmax
from npgan.models.semisup.training import SemiSupervisedModel, draw_labelled, export_classifier
from npgan.nn import mlp
from npgan.nn.weightnorm import init_weight_norm
from npgan.presets import Config, get_preset
from npgan.train import Interrupted, Trainer, train

TINY = Config(model="semisup", labels=20, d_hidden=(16, 8), g_hidden=(8,), noise_dim=4, optimizer="adam", lr=0.003,
              batch_size=1000, epochs=1, sample_every=1, g_output_bias="zero")


def _logsumexp(a):
    top = a.max(axis=1, keepdims=True)
    return (top + np.log(np.exp(a - top).sum(axis=1, keepdims=True)))[:, 0]


def test_unsupervised_loss_is_the_k_plus_1_softmax_with_the_fake_logit_at_zero():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(5, 10)) * 4, rng.normal(size=(7, 10)) * 4
    # K+1 logits, the last (fake) fixed at 0: p(fake | x) = e^0 / sum_j e^{l_j}
    p_fake_real = np.exp(-_logsumexp(np.c_[real, np.zeros(5)]))
    p_fake_fake = np.exp(-_logsumexp(np.c_[fake, np.zeros(7)]))
    expected = -0.5 * np.log(1 - p_fake_real).mean() - 0.5 * np.log(p_fake_fake).mean()
    loss, dreal, dfake = semisup.unsupervised_loss(asarray(real), asarray(fake))
    assert float(loss) == pytest.approx(expected, rel=1e-12)
    assert np.all(to_numpy(dreal) <= 0) and np.all(to_numpy(dfake) >= 0)  # raise Z on data, lower it on fakes
    assert to_numpy(semisup.real_probability(asarray(real))) == pytest.approx(1 - p_fake_real, rel=1e-12)


def test_the_losses_stay_finite_for_saturated_logits():
    big = asarray(np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]]))
    loss, dreal, dfake = semisup.unsupervised_loss(big, big)
    assert np.isfinite(float(loss)) and np.isfinite(to_numpy(dreal)).all() and np.isfinite(to_numpy(dfake)).all()


def test_bad_gans_terms_against_their_definitions():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(5, 4)) * 3
    p = np.exp(logits - _logsumexp(logits)[:, None])
    entropy, dlogits = semisup.conditional_entropy(asarray(logits))
    assert float(entropy) == pytest.approx(-(p * np.log(p)).sum(axis=1).mean(), rel=1e-12)
    flat, dflat = semisup.conditional_entropy(asarray(np.full((3, 4), 2.0)))
    assert float(flat) == pytest.approx(np.log(4)) and np.abs(to_numpy(dflat)).max() < 1e-15  # the maximum
    assert np.isfinite(float(semisup.conditional_entropy(asarray(np.array([[1e4, -1e4, 0.0]])))[0]))

    features = rng.normal(size=(6, 5))
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    cosines = unit @ unit.T
    off = cosines[~np.eye(6, dtype=bool)]
    spread, dfeatures = semisup.pull_away(asarray(features))
    assert float(spread) == pytest.approx((off ** 2).mean(), rel=1e-7)
    assert float(semisup.pull_away(asarray(np.eye(3, 5)))[0]) == 0.0  # orthogonal: as spread as can be
    assert float(semisup.pull_away(asarray(np.tile(features[:1], (4, 1))))[0]) == pytest.approx(1.0)  # one direction
    # the gradient does not lengthen or shorten a row: only its direction counts
    assert np.abs((to_numpy(dfeatures) * features).sum(axis=1)).max() < 1e-8  # (eps in the norms: not exactly 0)
    with pytest.raises(ValueError, match="batch >= 2"):
        semisup.pull_away(asarray(features[:1]))


def test_every_semisupervised_gradient_check_passes():
    for what, gradient, error, tolerance in rows(seed=0):
        assert error < tolerance, (what, gradient, error)


def test_a_wrong_unsupervised_gradient_is_caught():
    """The check can fail: forgetting sigmoid(-s) in the real rows' gradient gives a large error."""
    from npgan.nn.gradcheck import check_loss

    rng = Random(3)
    fake = rng.normal((4, 3), "float64")

    def wrong(logits):
        loss, dreal, _ = semisup.unsupervised_loss(logits, fake)
        s = semisup.log_partition(logits)
        p = np.exp(to_numpy(logits) - to_numpy(s)[:, None])
        return loss, asarray(-0.5 / logits.shape[0] * p)

    assert check_loss(wrong, rng.normal((5, 3), "float64") * 3) > 1e-3


def test_gaussian_noise_is_the_identity_in_evaluation_and_adds_noise_in_training():
    layer = semisup.GaussianNoise(0.5, Random(0))
    x = asarray(np.zeros((2000, 50), dtype=np.float32))
    assert np.array_equal(to_numpy(layer.forward(x, training=False)), to_numpy(x))
    assert float(to_numpy(layer.forward(x)).std()) == pytest.approx(0.5, rel=0.02)
    assert to_numpy(layer.backward(asarray(np.ones((2000, 50), np.float32)))).sum() == 2000 * 50


def test_the_labelled_draw_is_balanced_reproducible_and_refuses_odd_counts():
    labels = np.repeat(np.arange(10), 30)
    first = draw_labelled(labels, 50, seed=4)
    assert np.array_equal(np.bincount(labels[first], minlength=10), [5] * 10)
    assert np.array_equal(first, draw_labelled(labels, 50, seed=4))
    assert not np.array_equal(first, draw_labelled(labels, 50, seed=5))
    with pytest.raises(ValueError, match="multiple of 10"):
        draw_labelled(labels, 55, seed=0)


def test_the_preset_and_flags(capsys, tmp_path):
    assert get_preset("mnist-semisup").labels == 100
    for argv, what in [(["--preset", "mnist-semisup", "--labels", "15"], "multiple of 10"),
                       (["--preset", "mnist-semisup", "--labels", "50010"], "multiple of 10"),
                       (["--preset", "mnist", "--labels", "100"], "labels applies to model 'semisup', not 'gan'"),
                       (["--preset", "ring-8", "--label-seed", "2"], "label_seed applies to model 'semisup'")]:
        assert main(["train", *argv, "--out", str(tmp_path / "run")]) == 2
        err = capsys.readouterr().err
        assert what in err and err.count("\n") == 1
    assert not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    require_data("mnist")
    root = tmp_path_factory.mktemp("semisup")
    model = train(TINY, root / "run", quiet=True)
    return root, model


def test_a_tiny_run_logs_its_errors_and_classify_reproduces_the_test_error(trained, tmp_path, capsys):
    root, model = trained
    log = (root / "run" / "log.csv").read_text().splitlines()
    header, row = log[0].split(","), dict(zip(log[0].split(","), log[1].split(",")))
    assert "test_error" in header and (root / "run" / "samples" / "epoch-0001.png").is_file()
    assert main(["classify", str(root / "run" / "checkpoint.npz"), "-o", str(tmp_path / "p.npy")]) == 0
    predicted = np.load(tmp_path / "p.npy")
    assert predicted.shape == (10000,) and predicted.dtype == np.int64
    error = float((predicted != load_mnist().test_y).mean())
    assert error == pytest.approx(float(row["test_error"]), abs=1e-9)
    assert f"test error {error:.4f}" in capsys.readouterr().out
    assert float(row["test_error"]) < 0.9  # a few dozen steps on 20 labels beat chance


def test_the_exported_classifier_holds_d_alone_in_float16_and_classifies_alike(trained, tmp_path, capsys):
    root, model = trained
    export_classifier(load(root / "run" / "checkpoint.npz"), tmp_path / "c.npz")
    _, state, arrays = checkpoint.read(tmp_path / "c.npz")
    assert all(name.startswith("D/") and a.dtype == np.float16 for name, a in arrays.items())
    assert "float16" in state["contents"]
    assert main(["classify", str(tmp_path / "c.npz"), "-o", str(tmp_path / "p.npy")]) == 0
    full = model.classify(load_mnist().test_x)
    assert (np.load(tmp_path / "p.npy") == full).mean() > 0.99  # float16 rounding moves few argmaxes
    assert main(["sample", str(tmp_path / "c.npz"), "-o", str(tmp_path / "s.png")]) == 2
    assert "D only" in capsys.readouterr().err


def test_classify_refuses_a_model_without_a_classifier_head_and_an_existing_output(trained, tmp_path, capsys):
    root, _ = trained
    g = tmp_path / "g.npz"
    checkpoint.save(g, Config(g_hidden=(8,), noise_dim=3), {"epoch": 0},
                    {"G": mlp.generator(3, (8,), 784, Random(0))}, kind="generator")
    assert main(["classify", str(g), "-o", str(tmp_path / "p.npy")]) == 2
    err = capsys.readouterr().err
    assert "cannot classify" in err and err.count("\n") == 1 and not (tmp_path / "p.npy").exists()
    (tmp_path / "p.npy").write_text("mine")
    assert main(["classify", str(root / "run" / "checkpoint.npz"), "-o", str(tmp_path / "p.npy")]) == 2
    assert (tmp_path / "p.npy").read_text() == "mine"


def test_resuming_with_another_label_draw_is_refused(trained, capsys):
    root, _ = trained
    assert main(["train", "--resume", str(root / "run" / "checkpoint.npz"), "--label-seed", "3",
                 "--epochs", "2"]) == 2
    assert "another draw of labelled images" in capsys.readouterr().err


def test_a_softmax_on_features_learns_a_separable_problem_and_maxout_features_have_both_layers():
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(10, 20)) * 3
    y = np.repeat(np.arange(10), 20)
    x = centres[y] + rng.normal(size=(200, 20))
    scale = standardiser(asarray(x))
    layer = train_softmax(scale(asarray(x)), asarray(y), Random(0))
    assert classification_error(layer, scale(asarray(x)), y) < 0.05
    D = mlp.discriminator(784, (12, 7), Random(0), n_pieces=3)
    assert maxout_features(D, np.zeros((5, 784), np.float32)).shape == (5, 19)


def test_weight_norm_starts_from_the_data_with_unit_outputs():
    rng = Random(2)
    D = semisup.discriminator((20, 10), rng, 0.3, 0.5, n_in=30, classes=4, weight_norm=True, dtype="float64")
    x = rng.uniform(0, 1, (200, 30), "float64")
    init_weight_norm(D, x, training=False)
    logits = to_numpy(D.forward(x, training=False))
    assert np.allclose(logits.mean(axis=0), 0, atol=1e-6) and np.allclose(logits.std(axis=0), 1, atol=1e-4)
    v, g = to_numpy(D.layers[1].params["v"]), to_numpy(D.layers[1].params["g"])
    W = to_numpy(D.layers[1].weight()[0])  # W = v g / |v|: the length is |g|, the direction v's
    assert np.allclose(np.linalg.norm(W, axis=0), np.abs(g))
    assert np.allclose(W / np.linalg.norm(W, axis=0), v / np.linalg.norm(v, axis=0) * np.sign(g))


def test_the_committed_semisupervised_model_reproduces_its_recorded_error(capsys, tmp_path):
    path = os.path.join(REPOSITORY, "pretrained", "npgan-mnist-semisup.npz")
    _, state, arrays = checkpoint.read(path)
    assert all(a.dtype == np.float16 for a in arrays.values()) and sum(a.nbytes for a in arrays.values()) < 5e6
    require_data("mnist")
    assert main(["classify", path, "-o", str(tmp_path / "p.npy")]) == 0
    assert f"({state['test_errors']} of 10000" in capsys.readouterr().out
    assert state["test_errors"] <= 100  # the goal: at most 1.0% with 100 labels


TINY_IMPROVED = TINY.replace(semisup_weight_norm=1, semisup_train_scales=0, semisup_g_activation="softplus",
                             semisup_g_weight_norm=1, semisup_g_bn_scale=0, semisup_average=0.01,
                             semisup_unlabelled="train+valid", semisup_adam_eps=1e-8, sample_every=0)


def test_the_improved_preset_builds_improved_gans_networks():
    from npgan.models.semisup.training import SemiSupervisedGAN
    from npgan.nn.softplus import Softplus
    from npgan.nn.weightnorm import WeightNormLinear
    config = get_preset("mnist-semisup-improved")
    gan = SemiSupervisedGAN(config, Random(0))
    dense = [layer for layer in gan.D.layers if isinstance(layer, WeightNormLinear)]
    assert [layer.n_out for layer in dense] == [1000, 500, 250, 250, 250, 10]
    assert [layer.train_scale for layer in dense] == [False] * 5 + [True]
    noise = [layer.std for layer in gan.D.layers if isinstance(layer, semisup.GaussianNoise)]
    assert noise == [0.3] + [0.5] * 5
    assert sum(isinstance(layer, Softplus) for layer in gan.G.layers) == 2
    assert sum(isinstance(layer, semisup.ScaleFreeBatchNorm) for layer in gan.G.layers) == 2
    assert isinstance(gan.G.layers[-2], WeightNormLinear) and gan.G.layers[-2].train_scale
    with pytest.raises(ValueError, match="needs semisup_weight_norm 1"):
        TINY.replace(semisup_train_scales=0)
    with pytest.raises(ValueError, match="semisup_unlabelled must be"):
        TINY.replace(semisup_unlabelled="test")


@pytest.fixture(scope="module")
def improved(tmp_path_factory):
    require_data()
    root = tmp_path_factory.mktemp("improved")
    model = train(TINY_IMPROVED, root / "whole", quiet=True)
    return root, model


def test_an_averaged_run_scores_and_exports_the_average_and_resumes_bit_identically(improved, tmp_path):
    root, model = improved
    _, state, arrays = checkpoint.read(root / "whole" / "checkpoint.npz")
    assert state["average_updates"] == 60  # 60,000 unlabelled images in batches of 1,000, one epoch
    assert any(name.startswith("D_average/") for name in arrays)
    log = (root / "whole" / "log.csv").read_text().splitlines()
    row = dict(zip(log[0].split(","), log[-1].split(",")))
    test_y = load_mnist().test_y
    averaged, iterate = model.classify(load_mnist().test_x), model.classify(load_mnist().test_x, averaged=False)
    assert float((averaged != test_y).mean()) == pytest.approx(float(row["test_error"]), abs=1e-9)
    assert float((iterate != test_y).mean()) == pytest.approx(float(row["test_error_iterate"]), abs=1e-9)
    assert not np.array_equal(averaged, iterate)  # the average is another classifier
    export_classifier(load(root / "whole" / "checkpoint.npz"), tmp_path / "c.npz")
    assert "average" in checkpoint.read(tmp_path / "c.npz")[1]["contents"]
    assert main(["classify", str(tmp_path / "c.npz"), "-o", str(tmp_path / "p.npy")]) == 0
    assert (np.load(tmp_path / "p.npy") == averaged).mean() > 0.99
    # interrupted (SIGINT) after 30 of the epoch's 60 updates, then resumed: the same run, the average included
    trainer = Trainer(SemiSupervisedModel(TINY_IMPROVED), root / "split", quiet=True)
    step = trainer.model.step

    def stepping(i):
        out = step(i)
        if i == 29:
            trainer._handle_signal(signal.SIGINT, None)
        return out

    trainer.model.step = stepping
    with pytest.raises(Interrupted):
        trainer.run()
    assert checkpoint.read(root / "split" / "checkpoint.npz")[1]["average_updates"] == 30
    train(TINY_IMPROVED, root / "split", resume=root / "split" / "checkpoint.npz", quiet=True)
    _, _, resumed = checkpoint.read(root / "split" / "checkpoint.npz")
    for name in arrays:
        if name.startswith(("D/", "G/", "D_average/")):
            assert np.array_equal(resumed[name], arrays[name]), name


def test_adam_with_eps_inside_the_root_takes_improved_gans_steps():
    from npgan.models.semisup.training import AdamEpsInside
    from npgan.nn.layers import Linear, Sequential
    from npgan.nn.optim import Adam
    nets = [Sequential(Linear(3, 2, Random(0), 0.5, "float64")) for _ in range(2)]
    inside, outside = AdamEpsInside(nets[0], 0.01, 0.5, 0.999, 1e-8), Adam(nets[1], 0.01, 0.5, 0.999, 1e-8)
    rng = np.random.default_rng(0)
    scales = np.array([[1.0, 1e-6], [1.0, 1e-6], [1.0, 1e-6]])  # a large and a tiny gradient per row
    start = to_numpy(nets[0].params["0.W"]).copy()
    g = (np.abs(rng.normal(size=(2, 3, 2))) + 0.5) * scales  # one sign, so that the steps add up
    for net, opt in zip(nets, (inside, outside)):
        for t in range(2):
            layer = net.layers[0]
            layer.grads = {"W": asarray(g[t]), "b": asarray(np.zeros(2))}
            opt.step()
    m, v, expected = np.zeros((3, 2)), np.zeros((3, 2)), start.copy()
    for t in range(2):
        m = 0.5 * m + 0.5 * g[t]
        v = 0.999 * v + 0.001 * g[t] ** 2
        expected -= 0.01 * (m / (1 - 0.5 ** (t + 1))) / np.sqrt(v / (1 - 0.999 ** (t + 1)) + 1e-8)
    moved_inside = to_numpy(nets[0].params["0.W"]) - start
    moved_outside = to_numpy(nets[1].params["0.W"]) - start
    assert np.allclose(to_numpy(nets[0].params["0.W"]), expected, rtol=0, atol=1e-12)
    assert np.allclose(moved_inside[:, 0], moved_outside[:, 0], rtol=1e-6)  # large gradients: the same step
    assert np.all(np.abs(moved_inside[:, 1]) < 0.05 * np.abs(moved_outside[:, 1]))  # tiny ones: far smaller
