"""The data root's layout; MNIST reading, verification and download (all downloads from 127.0.0.1,
never the internet)."""

import functools
import gzip
import http.server
import os
import socket
import threading

import numpy
import pytest
from conftest import require_data

from npgan.datasets import idx as data

LABELS = "t10k-labels-idx1-ubyte"  # the smallest file: used where any one file will do


def _require_mnist():
    """The shared MNIST directory; skipped when absent, except in CI where it must exist."""
    return require_data("mnist")


@pytest.fixture(scope="module")
def mnist():
    return data.load_mnist(_require_mnist(), download=False)


# ---------------------------------------------------------------- the real files


def test_split_shapes_dtypes_and_range(mnist):
    sizes = {"train": 50000, "valid": 10000, "test": 10000}
    for split, n in sizes.items():
        x, y = getattr(mnist, split + "_x"), getattr(mnist, split + "_y")
        assert x.shape == (n, 784) and x.dtype == numpy.float32
        assert y.shape == (n,) and y.dtype == numpy.uint8
        assert x.min() == 0.0 and x.max() == 1.0
        assert set(numpy.unique(y)) == set(range(10))


def test_labels_are_the_canonical_ones(mnist):
    assert mnist.train_y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert mnist.test_y[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    all_train = numpy.bincount(numpy.concatenate([mnist.train_y, mnist.valid_y]))
    assert all_train.tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert numpy.bincount(mnist.test_y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_pixels_are_bytes_over_255(mnist):
    raw = data.read_idx(os.path.join(_require_mnist(), "t10k-images-idx3-ubyte.gz"))
    numpy.testing.assert_array_equal(mnist.test_x[:5] * 255, raw[:5].reshape(5, 784))


def test_load_is_cached_and_read_only(mnist):
    assert data.load_mnist(_require_mnist(), download=False) is mnist
    with pytest.raises(ValueError):
        mnist.train_x[0, 0] = 1.0


# ---------------------------------------------------------------- corrupt files


def _raw_copy(tmp_path, name=LABELS):
    """A decompressed copy of one shared file, as bytearray, and where to write it."""
    with gzip.open(os.path.join(_require_mnist(), name + ".gz"), "rb") as f:
        return bytearray(f.read()), tmp_path / name


def test_raw_file_is_accepted(tmp_path):
    raw, path = _raw_copy(tmp_path)
    path.write_bytes(raw)
    assert data.read_idx(str(path))[:3].tolist() == [7, 2, 1]


def test_flipped_byte_fails_the_checksum(tmp_path):
    raw, path = _raw_copy(tmp_path)
    raw[100] ^= 0x01
    gz = path.with_name(LABELS + ".gz")
    gz.write_bytes(gzip.compress(bytes(raw)))
    expected = rf"{LABELS}\.gz: SHA-256 of the decompressed data is [0-9a-f]{{64}}, expected ff7bcfd4.*MNIST's.*delete"
    with pytest.raises(data.DataError, match=expected):
        data.read_idx(str(gz))


def test_wrong_magic(tmp_path):
    raw, path = _raw_copy(tmp_path)
    raw[:4] = (2051).to_bytes(4, "big")
    path.write_bytes(raw)
    with pytest.raises(data.DataError, match=r"magic number is 2051, expected 2049"):
        data.read_idx(str(path))


def test_truncated_raw_and_gzip(tmp_path):
    raw, path = _raw_copy(tmp_path)
    path.write_bytes(raw[:-10])
    with pytest.raises(data.DataError, match=r"9998 bytes of decompressed data, expected 10008"):
        data.read_idx(str(path))
    gz = path.with_name(LABELS + ".gz")
    gz.write_bytes(gzip.compress(bytes(raw))[:2000])
    with pytest.raises(data.DataError, match=r"not a valid gzip stream"):
        data.read_idx(str(gz))


def test_missing_without_download_names_the_directory(tmp_path):
    with pytest.raises(data.DataNotFoundError, match=rf"not found in {tmp_path}.*put the MNIST files.*mnist/"):
        data.load_mnist(str(tmp_path), download=False)


def test_data_root_has_a_folder_per_data_set(monkeypatch, tmp_path):
    (tmp_path / "d").mkdir()  # a root named by NPGAN_DATA_DIR must exist (a misspelt one is never created)
    monkeypatch.setenv("NPGAN_DATA_DIR", str(tmp_path / "d"))
    assert data.data_root() == str(tmp_path / "d")
    assert data.dataset_dir("mnist") == str(tmp_path / "d" / "mnist")
    assert data.dataset_dir("fashion-mnist") == str(tmp_path / "d" / "fashion-mnist")
    monkeypatch.delenv("NPGAN_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    assert data.dataset_dir("mnist") == str(tmp_path / "c" / "npgan" / "mnist")


def test_a_root_holding_the_mnist_files_is_mnist_s_folder(monkeypatch, tmp_path):
    legacy = tmp_path / "old-mnist"
    legacy.mkdir()
    for name in data.MNIST_FILES:
        os.symlink(os.path.join(_require_mnist(), name + ".gz"), legacy / (name + ".gz"))
    monkeypatch.setenv("NPGAN_DATA_DIR", str(legacy))
    assert data.dataset_dir("mnist") == str(legacy)
    assert data.dataset_dir("fashion-mnist") == str(tmp_path / "fashion-mnist")  # beside it, as before
    assert data.load_mnist(download=False).test_y[:3].tolist() == [7, 2, 1]
    (legacy / (LABELS + ".gz")).unlink()  # three of four files: a root, with its own mnist/ folder
    assert data.dataset_dir("mnist") == str(legacy / "mnist")


def test_a_data_root_that_is_a_file_is_one_line(monkeypatch, tmp_path):
    (tmp_path / "notes.txt").write_text("not data")
    monkeypatch.setenv("NPGAN_DATA_DIR", str(tmp_path / "notes.txt"))
    with pytest.raises(data.DataError, match="notes.txt is a file; expected a folder") as info:
        data.load_mnist(download=False)
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------- downloads from 127.0.0.1


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _HalfThenHangUp(http.server.BaseHTTPRequestHandler):
    """Announces the full Content-Length, sends half of the file, and closes the connection."""

    directory = None

    def do_GET(self):
        body = open(os.path.join(self.directory, os.path.basename(self.path)), "rb").read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    """serve(directory, handler=None) -> mirror URL of an HTTP server on 127.0.0.1."""
    servers = []

    def start(directory, handler=None):
        if handler is None:
            handler = functools.partial(_Quiet, directory=str(directory))
        else:
            handler = type("H", (handler,), {"directory": str(directory)})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _unused_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_download_all_then_load(tmp_path, serve):
    good = serve(_require_mnist())
    cache = tmp_path / "cache"
    data.load_mnist(str(cache), mirrors=[good], timeout=10)
    assert sorted(os.listdir(cache)) == sorted(n + ".gz" for n in data.MNIST_FILES)


def test_corrupt_first_mirror_falls_back_to_the_second(tmp_path, serve):
    raw, _ = _raw_copy(tmp_path)
    raw[-1] ^= 0xFF
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    (bad_dir / (LABELS + ".gz")).write_bytes(gzip.compress(bytes(raw)))
    cache = tmp_path / "cache"
    path = data.download_file(LABELS, str(cache), mirrors=[serve(bad_dir), serve(_require_mnist())], timeout=10)
    assert os.listdir(cache) == [LABELS + ".gz"]
    assert data.read_idx(path)[:3].tolist() == [7, 2, 1]


def test_connection_dropped_half_way_leaves_nothing(tmp_path, serve):
    cache = tmp_path / "cache"
    url = serve(_require_mnist(), handler=_HalfThenHangUp)
    with pytest.raises(data.DataNotFoundError) as info:
        data.download_file(LABELS, str(cache), mirrors=[url], timeout=10)
    assert url in str(info.value)
    assert os.listdir(cache) == []


def test_no_network_lists_each_mirror_and_the_directory(tmp_path):
    cache = tmp_path / "cache"
    mirrors = [_unused_port_url(), _unused_port_url()]
    with pytest.raises(data.DataNotFoundError) as info:
        data.mnist_paths(str(cache), mirrors=mirrors, timeout=5)
    message = str(info.value)
    for mirror in mirrors:
        assert mirror in message
    assert f"in {cache} by hand" in message and "train-images-idx3-ubyte.gz" in message
    assert os.listdir(cache) == []


def test_existing_files_raw_or_gzip_are_used_as_they_are(tmp_path):
    raw, path = _raw_copy(tmp_path)
    path.write_bytes(raw)  # the labels as a raw file, the others gzip-compressed
    for name in data.MNIST_FILES:
        if name != LABELS:
            os.symlink(os.path.join(_require_mnist(), name + ".gz"), tmp_path / (name + ".gz"))
    paths = data.mnist_paths(str(tmp_path), mirrors=[_unused_port_url()])
    assert paths[LABELS] == str(path)
