"""The scores of learned inference (npgan.models.inference.scores) on constructed cases with known answers."""

import numpy as np
import pytest

from npgan.backend import Random, to_numpy
from npgan.models.inference.scores import (
    class_kept,
    code_agreement,
    confusions,
    linear_probe,
    nearest_image_mse,
    one_nn_accuracy,
    pixel_mse,
)


def test_pixel_and_nearest_image_errors(xp):
    a = xp.asarray([[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    np.testing.assert_allclose(to_numpy(pixel_mse(a, a * 0 + 0.5)), [0.25, 0.25])
    train = xp.asarray([[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]])
    np.testing.assert_allclose(to_numpy(nearest_image_mse(a, train)), [0.0, 0.5], atol=1e-6)
    with pytest.raises(ValueError, match="shapes differ"):
        pixel_mse(a, a[:, :2])


class FixedClassifier:
    """Labels each image by its first pixel's integer value."""

    def logits(self, images):
        labels = to_numpy(images)[:, 0].astype(int)
        return np.eye(10)[labels]


def test_class_kept_and_the_confusions():
    images = np.array([[3.0], [3.0], [5.0], [7.0], [7.0]])
    share, predicted = class_kept(FixedClassifier(), images, np.array([3, 8, 5, 1, 1]))
    assert share == pytest.approx(2 / 5) and predicted.tolist() == [3, 3, 5, 7, 7]
    assert confusions([3, 8, 5, 1, 1], predicted) == [(1, 7, 2), (8, 3, 1)]


def test_code_agreement_tells_recovered_from_independent_codes():
    z = to_numpy(Random(0).uniform(-1, 1, (2000, 4), dtype="float64"))
    same = code_agreement(2 * z, z)
    assert same["correlation"] == pytest.approx(1.0) and same["mse"] == pytest.approx(float((z ** 2).mean()))
    other = code_agreement(to_numpy(Random(1).uniform(-1, 1, (2000, 4), dtype="float64")), z)
    assert abs(other["correlation"]) < 0.05


def test_one_nn_euclidean_and_cosine(xp):
    # two directions; test points are far along their direction, so only the angle finds the class
    train = xp.asarray([[1.0, 0.0], [0.0, 1.0], [5.0, 4.0]])
    labels = np.array([0, 1, 1])
    test = xp.asarray([[9.0, 0.5], [0.3, 8.0]])
    assert one_nn_accuracy(train, labels, test, np.array([0, 1])) == 0.5  # (9, 0.5) is nearest (5, 4)
    assert one_nn_accuracy(train, labels, test, np.array([0, 1]), cosine=True) == 1.0


def test_linear_probe_separates_separable_classes(xp):
    rng = Random(2)
    x = rng.normal((600, 5), dtype="float64")
    y = (to_numpy(x)[:, 0] + to_numpy(x)[:, 3] > 0).astype(int)
    result = linear_probe(x[:400], y[:400], x[400:500], y[400:500], x[500:], y[500:], epochs=20, lr=0.01)
    assert result["test"] >= 0.97 and 1 <= result["epoch"] <= 20
