"""npgan's classifier: its loss, its gradients, its files, resuming, and the committed weights."""

import dataclasses

import numpy as np
import pytest
from conftest import pretrained_classifier_and_mnist

from npgan.backend import Random, asarray, to_numpy
from npgan.errors import UsageError
from npgan.evaluation import classifier
from npgan.nn import gradcheck, losses

TINY = classifier.ClassifierConfig(n_in=12, n_classes=4, hidden=(6, 5), pieces=3, batch_size=10, epochs=2)


def test_softmax_cross_entropy_is_minus_log_softmax_and_its_gradient_checks(xp):
    rng = Random(0)
    logits = rng.normal((8, 5), dtype="float64") * 3
    labels = rng.integers(0, 5, (8,))
    loss, dlogits = losses.softmax_cross_entropy(logits, labels)
    host, y = to_numpy(logits), to_numpy(labels)
    log_p = host - np.log(np.exp(host).sum(axis=1, keepdims=True))
    assert float(loss) == pytest.approx(-log_p[np.arange(8), y].mean(), rel=1e-12)
    np.testing.assert_allclose(to_numpy(dlogits).sum(axis=1), 0, atol=1e-15)  # softmax rows sum to 1, as do one-hots
    assert gradcheck.check_loss(lambda l: losses.softmax_cross_entropy(l, labels), logits) < 1e-7


def test_softmax_cross_entropy_is_finite_for_huge_logits(xp):
    logits = asarray(np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]], dtype=np.float32))
    loss, dlogits = losses.softmax_cross_entropy(logits, asarray(np.array([2, 1])))
    assert float(loss) == pytest.approx(1e4)  # the first row pays 1e4, the second nothing
    np.testing.assert_allclose(to_numpy(dlogits), [[0.5, 0, -0.5], [0, 0, 0]], atol=1e-7)
    assert dlogits.dtype == logits.dtype


def test_softmax_cross_entropy_refuses_mismatched_labels():
    with pytest.raises(ValueError, match=r"labels of shape \(2,\)"):
        losses.softmax_cross_entropy(np.zeros((2, 3)), np.zeros(3, dtype=int))


def test_the_classifier_network_gradient_checks(xp):
    rng = Random(1)
    net = classifier.Classifier(TINY, rng, dtype="float64").network
    gradcheck.randomize_parameters(net, rng)
    errors = gradcheck.check_layer(net, rng.normal((6, 12), dtype="float64"))
    assert max(errors.values()) < gradcheck.NETWORK_TOLERANCE, errors
    assert gradcheck.directional_check(net, rng.normal((6, 12), dtype="float64")) < gradcheck.NETWORK_TOLERANCE


def test_features_are_the_evaluation_mode_penultimate_layer(xp):
    net = classifier.Classifier(TINY, Random(2))
    x = Random(3).random((7, 12))
    features = net.features(x, batch_size=3)
    assert features.shape == (7, 5)
    np.testing.assert_allclose(to_numpy(net.logits_from_features(features)), to_numpy(net.logits(x)), rtol=1e-5)


def test_max_norm_constraint_caps_every_column():
    net = classifier.Classifier(TINY, Random(4)).network
    for _, layer, name in net.parameters():
        layer.params[name][...] = 3.0
    classifier.constrain_norms(net, 1.5)
    for key, layer, name in net.parameters():
        if name == "W":
            np.testing.assert_allclose(np.linalg.norm(to_numpy(layer.params[name]), axis=0), 1.5, rtol=1e-6)


def tiny_data(n=60):
    rng = np.random.default_rng(0)
    labels = np.arange(n) % 4
    x = (rng.random((n, 12)) * 0.2 + (np.arange(12)[None, :] // 3 == labels[:, None]) * 0.8).astype(np.float32)
    return type("Data", (), dict(train_x=x, train_y=labels, valid_x=x[:20], valid_y=labels[:20],
                                 test_x=x[20:40], test_y=labels[20:40]))


def test_training_resumes_exactly_and_files_round_trip(tmp_path):
    quiet = dict(log=lambda *_: None)
    data = tiny_data()
    whole, state = classifier.train(TINY, data, str(tmp_path / "whole.npz"), **quiet)
    classifier.train(dataclasses.replace(TINY, epochs=1), data, str(tmp_path / "part.npz"), **quiet)
    with pytest.raises(ValueError, match="another configuration"):
        classifier.train(dataclasses.replace(TINY, lr=0.01), data, str(tmp_path / "part.npz"), **quiet)
    resumed, resumed_state = classifier.train(TINY, data, str(tmp_path / "part.npz"), **quiet)  # epoch 2 of 2
    for key, value in whole.network.params.items():
        np.testing.assert_array_equal(to_numpy(resumed.network.params[key]), to_numpy(value))
    assert [(r["loss"], r["valid_accuracy"]) for r in resumed_state["history"]] == \
        [(r["loss"], r["valid_accuracy"]) for r in state["history"]]
    assert resumed_state["test_accuracy"] == state["test_accuracy"]

    classifier.save(str(tmp_path / "c.npz"), whole, {"test_accuracy": state["test_accuracy"]})
    loaded, saved_state = classifier.load(str(tmp_path / "c.npz"))
    assert loaded.config == TINY and saved_state == {"test_accuracy": state["test_accuracy"]}
    for key, value in whole.network.params.items():
        np.testing.assert_array_equal(loaded.network.params[key], value)


def test_load_refuses_other_files(tmp_path):
    np.savez(tmp_path / "other.npz", w=np.zeros(2))
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(UsageError, match="not an npgan classifier file"):
        classifier.load(str(tmp_path / "other.npz"))
    with pytest.raises(UsageError, match="not a readable classifier file"):
        classifier.load(str(tmp_path / "junk.npz"))


def test_the_committed_classifier_reaches_98_5_percent_on_the_test_set():
    net, state, data = pretrained_classifier_and_mnist()
    accuracy = net.accuracy(data.test_x, data.test_y)
    assert accuracy >= 0.985
    assert accuracy == pytest.approx(state["test_accuracy"], abs=1e-4)
    assert state["valid_accuracy"] == pytest.approx(net.accuracy(data.valid_x, data.valid_y), abs=1e-4)
    # The copy detector's stored distances: each test image to its nearest training image.
    from npgan.evaluation import metrics
    stored = net.reference["test_to_train"]
    assert stored.shape == (10000,)
    np.testing.assert_allclose(to_numpy(metrics.nearest_distances(data.test_x[:20], data.train_x)), stored[:20],
                               rtol=1e-5)
