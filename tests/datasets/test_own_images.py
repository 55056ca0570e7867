"""Your own images (npgan.datasets.own): folders and arrays read, split, fingerprinted; every bad
input one line naming the file or the problem; a preset's schedule fitted to another run."""

import os

import numpy as np
import pytest
from own_images import CLASSES, shapes_array, shapes_folder
from PIL import Image

from npgan.datasets import own
from npgan.datasets.idx import DataError
from npgan.presets import fit_schedule, get_preset


def one_line(exc_info):
    text = str(exc_info.value)
    assert "\n" not in text, text
    return text


def test_a_folder_of_class_subfolders_is_read_split_and_labelled(tmp_path):
    shapes_folder(tmp_path, per_class=30, size=16)
    data = own.load(tmp_path, 12)
    s = data.split
    assert data.shape == (1, 12, 12) and data.classes == CLASSES
    assert (len(s.train_x), len(s.valid_x), len(s.test_x)) == (54, 3, 3)  # 10% of 60 held out, half each
    assert s.train_x.shape[1] == 144 and s.train_x.dtype == np.float32
    assert 0 <= s.train_x.min() and s.train_x.max() <= 1 and s.train_x.max() > 0.5
    assert sorted(np.bincount(np.concatenate([s.train_y, s.valid_y, s.test_y]))) == [30, 30]
    assert not s.train_x.flags.writeable
    assert data.notes == (f"{tmp_path}: 16x16 images resized to 12x12",)
    # a bar image keeps its stripes: columns alternate between bright and dark
    bars = s.train_x[s.train_y == 0][0].reshape(12, 12)
    assert bars.std(axis=1).mean() > 0.2 and bars.std(axis=0).mean() < 0.1
    again = own.load(tmp_path, 12)
    assert again.fingerprint == data.fingerprint and np.array_equal(again.split.train_x, s.train_x)


def test_the_fingerprint_is_the_decoded_pixels_and_labels_not_the_names(tmp_path):
    a = shapes_folder(tmp_path / "a", per_class=5)
    b = shapes_folder(tmp_path / "b", per_class=5)
    first = own.load(a, 16).fingerprint
    assert own.load(b, 16).fingerprint == first
    assert first.record() == {"count": 10, "shape": [1, 16, 16], "sha256": first.sha256}
    assert first.differs(first.record()) == ""
    image = Image.open(b / "blobs" / "blobs-000.png")
    image.putpixel((0, 0), 7)
    image.save(b / "blobs" / "blobs-000.png")
    changed = own.load(b, 16).fingerprint
    assert changed.sha256 != first.sha256 and changed.count == first.count
    assert "was trained on 10 images of shape (1, 16, 16)" in first.differs(changed.record())
    os.rename(b / "bars", b / "stripes")  # now class 1, not 0: the same pixels with other labels
    assert own.load(b, 16).fingerprint.sha256 != changed.sha256


def test_colour_jpeg_and_mixed_sizes(tmp_path):
    shapes_folder(tmp_path, per_class=5, size=20, classes=(), colour=True, suffix=".jpg")
    Image.new("L", (30, 10), 200).save(tmp_path / "wide.png")  # grey among colour: read as RGB
    data = own.load(tmp_path, 8)
    assert data.shape == (3, 8, 8) and data.classes == () and data.split.train_y is None
    assert data.split.train_x.shape[1] == 3 * 64
    assert data.notes == (f"{tmp_path}: images of 2 different sizes (20x20 to 30x10), all resized to 8x8",)
    assert "11 colour images, 8x8, no labels" in data.describe()
    grey = own.load(tmp_path, 8, channels=1)
    assert grey.shape == (1, 8, 8) and "colour images read as grey" in grey.notes[-1]


def test_arrays_npy_and_npz_give_the_folder_s_images(tmp_path):
    images, labels = shapes_array(40, 16)
    np.save(tmp_path / "x.npy", images)
    np.savez(tmp_path / "xy.npz", x=images[..., None], y=labels)
    np.save(tmp_path / "f.npy", images.astype(np.float64) / 255)
    plain, labelled, floats = (own.load(tmp_path / name, 16) for name in ("x.npy", "xy.npz", "f.npy"))
    assert plain.classes == () and labelled.classes == ("0", "1") and plain.shape == (1, 16, 16)
    np.testing.assert_array_equal(plain.split.train_x, labelled.split.train_x)
    np.testing.assert_allclose(floats.split.train_x, plain.split.train_x, atol=1e-6)
    assert plain.fingerprint.sha256 != floats.fingerprint.sha256  # other decoded arrays
    np.testing.assert_array_equal(labelled.split.train_y, labels[np.sort(np.random.default_rng(0).permutation(40)[4:])])
    small = own.load(tmp_path / "x.npy", 8)
    assert small.split.train_x.shape == (36, 64) and "16x16 images resized to 8x8" in small.notes[0]


def _corrupt(path):
    shapes_folder(path, per_class=3, classes=())
    (path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")


def _truncated(path):
    shapes_folder(path, per_class=3, classes=())
    whole = (path / "bars-000.png").read_bytes()
    (path / "bars-000.png").write_bytes(whole[:len(whole) // 2])


@pytest.mark.parametrize("make, name, message", [
    (lambda p: None, "missing", "no such file or folder"),
    (lambda p: p.mkdir(), "empty", "empty folder; expected PNG or JPEG images"),
    (lambda p: (p.mkdir(), (p / "notes.txt").write_text("x"), (p / "a.csv").write_text("1")), "text",
     "no image among its 2 files; expected PNG or JPEG files"),
    (lambda p: (p.mkdir(), _corrupt(p)), "corrupt", "broken.png: not a readable image"),
    (lambda p: (p.mkdir(), _truncated(p)), "truncated", "bars-000.png: not a readable image"),
    (lambda p: (shapes_folder(p, per_class=2), Image.new("L", (4, 4)).save(p / "loose.png")), "mixed",
     "holds both images (loose.png, ...) and subfolders (bars, ...)"),
    (lambda p: (shapes_folder(p, per_class=2), (p / "empty-class").mkdir()), "emptyclass",
     "empty-class: a class folder without PNG or JPEG images"),
    (lambda p: p.write_text("x"), "file.txt", "not a folder, .npy or .npz"),
    (lambda p: np.save(p, np.zeros((5, 4))), "flat.npy", "an array of shape (5, 4); expected (N, H, W) or"),
    (lambda p: np.save(p, np.zeros((5, 4, 4, 2))), "two.npy", "expected (N, H, W) or (N, H, W, C) with C 1 or 3"),
    (lambda p: np.save(p, np.zeros((0, 4, 4))), "none.npy", "holds no images"),
    (lambda p: np.save(p, np.full((5, 4, 4), 2.0)), "range.npy", "values run from 2 to 2; expected uint8"),
    (lambda p: np.save(p, np.full((5, 4, 4), np.nan)), "nan.npy", "holds NaN or infinite values"),
    (lambda p: np.save(p, np.zeros((5, 4, 4), np.int32)), "int.npy", "dtype int32; expected uint8"),
    (lambda p: p.write_bytes(b"junk"), "junk.npy", "not a readable .npy array"),
    (lambda p: np.savez(p, a=np.zeros((5, 4, 4)), b=np.zeros(5)), "keys.npz", "holds arrays a, b; expected the images"),
    (lambda p: np.savez(p, x=np.zeros((5, 4, 4)), y=np.zeros(4, int)), "labels.npz",
     "labels of shape (4,) and dtype int64; expected 5 integers"),
    (lambda p: np.savez(p, x=np.zeros((5, 4, 4)), y=-np.ones(5, int)), "negative.npz", "a label is -1"),
    (lambda p: np.save(p, np.zeros((2, 4, 4))), "two-images.npy", "2 images, too few to hold 2 out"),
])
def test_bad_data_is_one_line_naming_the_file_or_the_problem(tmp_path, make, name, message):
    path = tmp_path / name
    make(path)
    with pytest.raises(DataError) as caught:
        own.load(path, 8)
    assert message in one_line(caught), str(caught.value)
    assert str(tmp_path) in str(caught.value)


def test_more_data_than_memory_is_refused_before_any_image_is_decoded(tmp_path, monkeypatch):
    shapes_folder(tmp_path, per_class=10, classes=())
    decoded = []
    monkeypatch.setattr(own, "_decode_folder", lambda *args: decoded.append(args))
    monkeypatch.setattr(own, "available_memory", lambda: 1000)
    with pytest.raises(DataError) as caught:
        own.load(tmp_path, 64)
    assert one_line(caught).startswith(f"{tmp_path}: 20 images of 1x64x64 need about 0.0 GiB of memory, but 0.0 GiB")
    assert "use a smaller --image-size or fewer images" in str(caught.value) and not decoded
    assert own.survey(tmp_path).memory(64) == 2 * 4 * 20 * 64 * 64


def test_mnist_for_one_epoch_anneals_and_averages_in_that_epoch():
    preset = get_preset("mnist")
    config, note = fit_schedule(preset, epochs=1)
    assert config.epochs == 1 and config.average_from == 1  # the average of the last fifth: the one epoch
    # the rate held for the same share of the updates, then falling as far (20x) by the end
    assert config.lr_decay_start == preset.lr_decay_start // 50
    assert config.lr_decay ** (500 - config.lr_decay_start) == pytest.approx(
        preset.lr_decay ** (25000 - preset.lr_decay_start), rel=1e-3)
    assert (config.momentum_start_epoch, config.momentum_saturate_epoch) == (0, 5)
    assert note.startswith("the preset's schedule scaled to the run (50 epochs of 500 updates -> 1 of 500): "
                           "average_from 41 -> 1") and "\n" not in note


def test_batch_size_and_data_size_scale_the_updates_and_a_constant_schedule_is_kept():
    preset = get_preset("mnist")
    config, _ = fit_schedule(preset, batch_size=50)  # twice the updates per epoch
    assert config.lr_decay_start == 2 * preset.lr_decay_start and config.average_from == preset.average_from
    config, _ = fit_schedule(preset, epochs=10, train_size=1000, batch_size=100, preset_train_size=50000)
    assert config.average_from == 9 and config.lr_decay_start == 80  # 100 updates, held for 4/5
    same, note = fit_schedule(preset)
    assert same == preset and note == ""
    dcgan, note = fit_schedule(get_preset("mnist-dcgan"), epochs=1)
    assert dcgan == get_preset("mnist-dcgan").replace(epochs=1)
    assert note.endswith("has nothing counted in epochs or updates to scale; kept as it is")
