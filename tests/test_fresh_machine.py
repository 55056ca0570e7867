"""README's Quick start on a fresh machine: no $NPGAN_DATA_DIR, an empty home and cache.

Each case runs a few data tests in a child pytest whose HOME and XDG_CACHE_HOME are
empty temporary folders and whose network is blocked by a plugin (every connection to
anywhere but 127.0.0.1 refused, every name but localhost unresolvable):

* offline, the data tests skip with the one reason that names NPGAN_DATA_DIR, nothing
  fails, and nothing is written but under that cache (the clone's parent gains no data
  folder, as it once did);
and, in this process, "online" with MNIST's mirror replaced by a server on 127.0.0.1
serving the real files: the first test that needs MNIST downloads the four files into
the cache, verified, and a second look downloads nothing.
"""

import functools
import http.server
import os
import subprocess
import sys
import threading

import pytest
from conftest import DATA_REASON, REPOSITORY, require_data

DATA_TESTS = ["tests/datasets/test_data.py::test_split_shapes_dtypes_and_range",
              "tests/cli/test_evaluate.py::test_real_images_end_to_end_with_json"]

PLUGIN = '''
import socket

_connect, _getaddrinfo = socket.socket.connect, socket.getaddrinfo
LOCAL = ("127.0.0.1", "::1", "localhost")


def connect(self, address):
    if isinstance(address, tuple) and address[0] not in LOCAL:
        raise OSError("network blocked by the test")
    return _connect(self, address)


def getaddrinfo(host, *args, **kwargs):
    if host not in LOCAL:
        raise socket.gaierror(socket.EAI_NONAME, "network blocked by the test")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect, socket.getaddrinfo = connect, getaddrinfo
'''


def _session(tmp_path, tests):
    """A child pytest on ``tests`` as on a fresh machine; returns (returncode, output)."""
    (tmp_path / "plugin").mkdir(exist_ok=True)
    (tmp_path / "plugin" / "blocknet.py").write_text(PLUGIN)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("NPGAN_", "MPL", "CUPY_"))}
    env.pop("CI", None)
    env.update(HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(tmp_path / "home" / ".cache"),
               PYTHONPATH=os.pathsep.join([str(tmp_path / "plugin"), REPOSITORY]), MPLBACKEND="Agg",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "blocknet", "-p", "no:cacheprovider",
                           *tests], cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=600)
    return done.returncode, done.stdout + done.stderr


def _files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def test_offline_the_data_tests_skip_with_one_reason_and_write_nothing_outside_the_cache(tmp_path):
    parent = os.path.dirname(REPOSITORY)
    before = sorted(os.listdir(parent))
    rc, out = _session(tmp_path, DATA_TESTS)
    assert rc == 0, out
    assert "2 skipped" in out and "failed" not in out and "error" not in out.lower(), out
    reasons = {line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("SKIPPED")}
    assert reasons == {DATA_REASON}, out
    assert "NPGAN_DATA_DIR" in DATA_REASON
    assert sorted(os.listdir(parent)) == before
    assert all(path.startswith(os.path.join("home", ".cache")) for path in _files(tmp_path / "home")), \
        _files(tmp_path / "home")


def test_online_the_first_test_that_needs_mnist_downloads_it_once_verified_into_the_cache(tmp_path, monkeypatch):
    import dataclasses

    import conftest

    from npgan.datasets import idx

    served = require_data("mnist")
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            requests.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=served))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:  # a fresh machine: no NPGAN_DATA_DIR, an empty cache, MNIST's mirror on 127.0.0.1
        monkeypatch.delenv("NPGAN_DATA_DIR")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
        monkeypatch.setattr(conftest, "_DOWNLOADS", True)
        mirror = f"http://127.0.0.1:{server.server_address[1]}/"
        monkeypatch.setattr(idx, "MNIST_DATA", dataclasses.replace(idx.MNIST_DATA, mirrors=(mirror,)))
        available = conftest.data_available.__wrapped__  # the check without its per-session memory
        assert available("mnist")
        folder = tmp_path / "cache" / "npgan" / "mnist"
        names = sorted(f"{name}.gz" for name in idx.MNIST_FILES)
        assert sorted(os.listdir(folder)) == names
        assert sorted(path.strip("/") for path in requests) == names
        requests.clear()
        assert available("mnist") and requests == []  # once: the second look reads the cache
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_the_tests_read_the_data_where_npgan_does(monkeypatch, tmp_path, name):
    import conftest

    from npgan.datasets.idx import dataset_dir

    monkeypatch.setenv("NPGAN_DATA_DIR", str(tmp_path))
    assert conftest.data_root() == str(tmp_path)
    assert (conftest.mnist_dir() if name == "mnist" else conftest.fashion_dir()) == dataset_dir(name)
