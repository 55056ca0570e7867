"""Fashion-MNIST and CIFAR-10 readers: verified files, the split, one-line errors; CIFAR-10's
download tested against a small synthetic archive served from 127.0.0.1 (no network)."""

import functools
import gzip
import hashlib
import http.server
import io
import json
import os
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import data_root, require_data
from conftest import fashion_dir as shared_fashion_dir

from npgan import datasets
from npgan.datasets import cifar10, fashion
from npgan.datasets import idx as data
from npgan.datasets.idx import DataError, DataNotFoundError


@pytest.fixture
def fashion_dir():
    return require_data("fashion-mnist")


def test_fashion_mnist_is_read_verified_in_mnist_s_split(fashion_dir):
    data = fashion.load_fashion_mnist(fashion_dir)
    assert (data.train_x.shape, data.valid_x.shape, data.test_x.shape) == ((50000, 784), (10000, 784), (10000, 784))
    assert data.train_x.dtype == np.float32 and 0 <= data.train_x.min() and data.train_x.max() <= 1
    np.testing.assert_array_equal(np.bincount(data.test_y), [1000] * 10)  # the published 1,000 a class
    all_train = np.concatenate([data.train_y, data.valid_y])
    np.testing.assert_array_equal(np.bincount(all_train), [6000] * 10)
    mean = np.concatenate([data.train_x, data.valid_x]).mean()
    assert abs(mean - 0.2860) < 5e-4  # the published mean pixel of the training images
    assert not data.train_x.flags.writeable


def test_a_changed_fashion_file_is_refused_naming_the_check(fashion_dir, tmp_path):
    for name in fashion.FASHION_FILES:
        (tmp_path / (name + ".gz")).write_bytes((Path(fashion_dir) / (name + ".gz")).read_bytes())
    raw = bytearray(gzip.decompress((tmp_path / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    raw[100] = (raw[100] + 1) % 10  # one label changed: a valid file, but not Fashion-MNIST's
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(bytes(raw))
    with pytest.raises(DataError, match="SHA-256 of the decompressed data"):
        fashion.load_fashion_mnist(str(tmp_path))


def test_missing_fashion_files_are_one_line_naming_the_folder(tmp_path):
    with pytest.raises(DataNotFoundError) as info:
        fashion.load_fashion_mnist(str(tmp_path), download=False)
    message = str(info.value)
    assert str(tmp_path) in message and "\n" not in message and "Fashion-MNIST" in message
    assert "NPGAN_DATA_DIR" in message and "fashion-mnist/" in message


def test_fashion_and_cifar10_folders_are_under_the_data_root(monkeypatch, tmp_path):
    monkeypatch.setenv("NPGAN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NPGAN_CIFAR10_DIR", raising=False)
    assert fashion.default_fashion_dir() == str(tmp_path / "fashion-mnist")
    assert cifar10.default_cifar10_dir() == str(tmp_path / "cifar10")
    monkeypatch.setenv("NPGAN_CIFAR10_DIR", str(tmp_path / "c"))
    assert cifar10.default_cifar10_dir() == str(tmp_path / "c")


def test_the_shared_root_reads_both_data_sets(monkeypatch, fashion_dir):
    monkeypatch.setenv("NPGAN_DATA_DIR", data_root())
    assert fashion.load_fashion_mnist(download=False).test_y[:3].tolist() == [9, 2, 1]
    assert datasets.load_images("fashion-mnist") is fashion.load_fashion_mnist()
    assert datasets.load_images("mnist").test_y[:3].tolist() == [7, 2, 1]  # the same root, another folder


def _serve(directory):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def test_fashion_download_is_verified_against_fashion_s_checksums(tmp_path, fashion_dir):
    """MNIST's verified download fetches Fashion-MNIST's files, and refuses MNIST's under their names."""
    mnist = Path(shared_fashion_dir()).parent / "mnist"
    name = "t10k-labels-idx1-ubyte"
    good, good_url = _serve(fashion_dir)
    wrong, wrong_url = _serve(mnist)
    try:
        path = data.download_file(name, str(tmp_path / "cache"), mirrors=[wrong_url, good_url], timeout=10,
                                  dataset=fashion.FASHION_DATA)
        assert data.read_idx(path, fashion.FASHION_DATA)[:3].tolist() == [9, 2, 1]
        with pytest.raises(DataNotFoundError, match="expected 0402a96d.*Fashion-MNIST's") as info:
            data.download_file(name, str(tmp_path / "other"), mirrors=[wrong_url], timeout=10,
                               dataset=fashion.FASHION_DATA)
        assert wrong_url in str(info.value) and os.listdir(tmp_path / "other") == []
    finally:
        for server in (good, wrong):
            server.shutdown()
            server.server_close()


# ---- CIFAR-10: a synthetic archive in the binary release's layout -----------------------------

def _records(rng, n):
    """``n`` records: a label byte, then 3,072 pixel bytes (R, G, B planes of 32 x 32)."""
    labels = rng.integers(0, 10, n).astype(np.uint8)
    pixels = rng.integers(0, 256, (n, 3072)).astype(np.uint8)
    return labels, pixels, np.concatenate([labels[:, None], pixels], axis=1).tobytes()


def _archive(path, per_file=4, test=3):
    """Write a synthetic ``cifar-10-binary.tar.gz``; returns (md5, {file: (labels, pixels)})."""
    rng = np.random.default_rng(0)
    contents = {}
    with tarfile.open(path, "w:gz") as archive:
        for name in cifar10.TRAIN_FILES + (cifar10.TEST_FILE,):
            labels, pixels, data = _records(rng, test if name == cifar10.TEST_FILE else per_file)
            contents[name] = (labels, pixels)
            info = tarfile.TarInfo(f"{cifar10.FOLDER}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return hashlib.md5(Path(path).read_bytes()).hexdigest(), contents


def test_cifar10_reader_gives_the_split_in_nchw_rows(tmp_path):
    md5, contents = _archive(tmp_path / cifar10.ARCHIVE, per_file=4)
    data = cifar10.load_cifar10(str(tmp_path), md5=md5)
    train_labels = np.concatenate([contents[name][0] for name in cifar10.TRAIN_FILES])
    train_pixels = np.concatenate([contents[name][1] for name in cifar10.TRAIN_FILES])
    assert data.train_x.shape == (18, 3072) and data.valid_x.shape == (2, 3072) and data.test_x.shape == (3, 3072)
    np.testing.assert_array_equal(data.train_y, train_labels[:18])
    np.testing.assert_array_equal(data.valid_y, train_labels[18:])
    np.testing.assert_allclose(data.train_x * 255, train_pixels[:18], atol=1e-4)
    first = data.test_x[0].reshape(3, 32, 32)  # channel, row, column
    assert first[1, 0, 5] * 255 == pytest.approx(contents[cifar10.TEST_FILE][1][0][1024 + 5], abs=1e-4)


def test_cifar10_archive_with_another_checksum_or_missing_is_refused(tmp_path):
    _archive(tmp_path / cifar10.ARCHIVE)
    with pytest.raises(DataError, match="MD5 is"):
        cifar10.load_cifar10(str(tmp_path))  # the real release's MD5
    with pytest.raises(DataNotFoundError) as info:
        cifar10.load_cifar10(str(tmp_path / "empty"))
    message = str(info.value)
    assert "\n" not in message and "put cifar-10-binary.tar.gz" in message and str(tmp_path / "empty") in message


@pytest.fixture
def local_server(tmp_path):
    """An HTTP server on 127.0.0.1 serving ``tmp_path / "served"``; yields its base URL."""
    served = tmp_path / "served"
    served.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()


def test_cifar10_download_is_verified_before_it_lands(local_server, tmp_path):
    url, served = local_server
    md5, _ = _archive(served / cifar10.ARCHIVE)
    target = tmp_path / "data"
    path = cifar10.download(str(target), url=f"{url}/{cifar10.ARCHIVE}", md5=md5)
    assert Path(path) == target / cifar10.ARCHIVE and hashlib.md5(Path(path).read_bytes()).hexdigest() == md5
    assert cifar10.load_cifar10(str(target), md5=md5).test_x.shape == (3, 3072)
    # A download whose checksum is wrong, or that is not there at all, leaves nothing behind.
    other = tmp_path / "other"
    for bad_url, bad_md5, message in [(f"{url}/{cifar10.ARCHIVE}", "0" * 32, "MD5 of the download"),
                                      (f"{url}/missing.tar.gz", md5, "404")]:
        with pytest.raises(DataNotFoundError, match=message) as info:
            cifar10.download(str(other), url=bad_url, md5=bad_md5)
        assert "\n" not in str(info.value) and os.listdir(other) == []


# ---- the MLP GAN on Fashion-MNIST: trained, then scored with Fashion-MNIST's classifier -------

def test_a_gan_trains_on_fashion_and_evaluate_picks_its_classifier(monkeypatch, tmp_path, capsys, fashion_dir):
    from npgan.backend import to_numpy
    from npgan.cli.parser import main
    from npgan.evaluation import classifier as classifiers
    from npgan.evaluation.classifier import PRETRAINED_FOR, ClassifierConfig
    from npgan.models.common import data_logit_mean
    from npgan.presets import get_preset
    from npgan.train import train

    monkeypatch.setenv("NPGAN_DATA_DIR", data_root())
    config = get_preset("mnist").replace(dataset="fashion-mnist", g_hidden=(16,), d_hidden=(8,), d_pieces=2, epochs=1,
                                         sample_every=0, parzen_every=0, eval_every=0, average_from=0, batch_size=500)
    gan = train(config, tmp_path / "run", quiet=True)
    fashion_x = fashion.load_fashion_mnist().train_x
    # G's output bias starts at the logit of Fashion-MNIST's mean image, not MNIST's; one epoch moves it little
    bias = to_numpy(gan.G.layers[-2].params["b"])  # the last Linear, before the sigmoid
    start = to_numpy(data_logit_mean(fashion_x))
    mnist_start = to_numpy(data_logit_mean(datasets.load_images("mnist").train_x))
    assert abs(bias - start).mean() < 0.2 * abs(bias - mnist_start).mean()
    # a tiny Fashion-MNIST classifier in place of the committed one, so that the choice is tested either way
    tiny = ClassifierConfig(dataset="fashion-mnist", hidden=(8,), pieces=2, epochs=1, batch_size=1000)
    classifier, state = classifiers.train(tiny, fashion.load_fashion_mnist(), str(tmp_path / "training.npz"),
                                          log=lambda line: None)
    classifiers.save(str(tmp_path / "fashion-classifier.npz"), classifier, state, dtype="float16")
    monkeypatch.setitem(PRETRAINED_FOR, "fashion-mnist", str(tmp_path / "fashion-classifier.npz"))
    assert main(["evaluate", str(tmp_path / "run" / "checkpoint.npz"), "-n", "100", "--images", "100",
                 "-o", str(tmp_path / "scores.json")]) == 0
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["dataset"] == "fashion-mnist" and scores["classifier"] == PRETRAINED_FOR["fashion-mnist"]
    assert "against 100 fashion-mnist test images" in capsys.readouterr().out
    mnist_classifier = PRETRAINED_FOR["mnist"]
    assert main(["evaluate", str(tmp_path / "run" / "checkpoint.npz"), "--classifier", mnist_classifier]) == 2
    assert "a classifier of mnist; the images are scored against fashion-mnist" in capsys.readouterr().err


def test_fashion_is_mnist_fast_s_30_epoch_version_unchanged_on_fashion_mnist():
    from npgan.nn.optim import ExponentialDecay
    from npgan.presets import get_preset

    fast, paper, fashion = get_preset("mnist-fast"), get_preset("mnist-paper"), get_preset("fashion")
    # no retuning for the harder data set: the recipe as results/fashion_mnist/fashion_mnist.md ran it, the
    # rate held for 20 epochs and falling the same 20x over the last 10
    assert fashion == fast.replace(dataset="fashion-mnist", epochs=30, lr_decay_start=10000)
    schedule = ExponentialDecay(fashion.lr, fashion.lr_decay, fashion.lr_min, fashion.lr_decay_start)
    assert schedule(30 * 500) == pytest.approx(0.005, rel=0.01)
    # the paper's networks and update, judged on the last iterate within 50 epochs
    assert (fast.g_hidden, fast.d_hidden, fast.d_pieces, fast.update) == \
        (paper.g_hidden, paper.d_hidden, paper.d_pieces, paper.update)
    assert fast.epochs <= 50 and fast.average_from == 0
