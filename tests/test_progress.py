"""Progress on long waits (npgan.progress): plain lines with the time left where stderr is
not a terminal, a tqdm bar where it is, nothing for short waits; and the commands that show it."""

import io
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPOSITORY, data_root, require_data

from npgan import progress
from npgan.progress import Progress, duration, in_chunks, silenced


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def lines(monkeypatch):
    monkeypatch.setenv("NPGAN_PROGRESS", "lines")
    monkeypatch.setenv("NPGAN_PROGRESS_INTERVAL", "15")


def test_a_line_at_most_every_interval_with_the_time_left(lines):
    out, clock = io.StringIO(), Clock()
    bar = Progress(100, "ELBO", unit="images", file=out, clock=clock)
    clock.now = 1.0
    bar.update(10)  # before the first interval: nothing yet
    assert out.getvalue() == ""
    clock.now = 16.0
    bar.update(30)  # 40 of 100 in 16 s: 24 s left at that rate
    assert out.getvalue() == "npgan: ELBO 40/100 images (40%), 16s elapsed, about 24s left\n"
    clock.now = 20.0
    bar.update(10)  # 4 s after the last line: still quiet
    assert out.getvalue().count("\n") == 1
    clock.now = 31.5
    bar.update(10)  # 60 done in 31.5 s: 21 s left
    assert out.getvalue().splitlines()[-1] == "npgan: ELBO 60/100 images (60%), 32s elapsed, about 21s left"
    clock.now = 52.0
    bar.update(40)
    bar.close()
    assert out.getvalue().splitlines()[-1] == "npgan: ELBO done in 52s"
    assert bar.lines == 3


def test_a_short_wait_prints_nothing(lines):
    out, clock = io.StringIO(), Clock()
    with Progress(10, "quick", file=out, clock=clock) as bar:
        for _ in range(10):
            clock.now += 1.0
            bar.update()
    assert out.getvalue() == ""


def test_weighted_steps_estimate_from_the_work_done(lines):
    out, clock = io.StringIO(), Clock()
    bar = Progress(20.0, "evaluate", file=out, clock=clock)
    clock.now = 30.0
    bar.update(5.0)  # a quarter of the weight in 30 s: 90 s left
    assert out.getvalue() == "npgan: evaluate 25%, 30s elapsed, about 1m30s left\n"


def test_a_resumed_epoch_estimates_from_this_sitting_only(lines):
    bar = Progress(1000, "epoch 3/10", unit="iterations", initial=900, file=io.StringIO(), clock=Clock())
    bar.clock.now = 10.0
    bar.update(50)  # 50 iterations in 10 s: 50 left, 10 s
    assert bar.remaining() == pytest.approx(10.0)


def test_silenced_and_off_print_nothing(lines, monkeypatch):
    clock = Clock()
    for make in (lambda out: silenced(), lambda out: _env(monkeypatch, "NPGAN_PROGRESS", "off")):
        out = io.StringIO()
        with make(out):
            bar = Progress(10, "work", file=out, clock=clock)
            clock.now += 100
            bar.update(5)
            bar.close()
        assert out.getvalue() == ""


class _env:
    def __init__(self, monkeypatch, name, value):
        self.monkeypatch, self.name, self.value = monkeypatch, name, value

    def __enter__(self):
        self.monkeypatch.setenv(self.name, self.value)

    def __exit__(self, *exc):
        self.monkeypatch.setenv(self.name, "lines")


def test_a_terminal_gets_a_tqdm_bar(monkeypatch):
    monkeypatch.setenv("NPGAN_PROGRESS", "bar")
    monkeypatch.setattr(progress, "BAR_DELAY", 0)
    out = io.StringIO()
    with Progress(50, "sampling", unit="samples", file=out) as bar:
        bar.update(25)
    assert "sampling:" in out.getvalue() and "/50 [" in out.getvalue()  # tqdm's bar, not a plain line
    assert "npgan:" not in out.getvalue()


def test_auto_chooses_lines_for_a_file_and_a_bar_for_a_terminal(monkeypatch, tmp_path):
    monkeypatch.setenv("NPGAN_PROGRESS", "auto")

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert progress.mode(Terminal()) == "bar"
    with open(tmp_path / "log", "w") as f:
        assert progress.mode(f) == "lines"


@pytest.mark.parametrize("text, expected", [("", 15.0), ("0", 0.0), ("2.5", 2.5), ("soon", 15.0), ("-1", 15.0)])
def test_the_interval_comes_from_the_environment(monkeypatch, text, expected):
    monkeypatch.setenv("NPGAN_PROGRESS_INTERVAL", text)
    assert progress.interval() == expected


@pytest.mark.parametrize("seconds, text", [(0.4, "0s"), (42, "42s"), (185, "3m05s"), (7620, "2h07m")])
def test_durations_read_as_minutes_and_hours(seconds, text):
    assert duration(seconds) == text


def test_in_chunks_gives_what_one_call_gives(lines):
    x = np.arange(2500.0).reshape(1250, 2)
    np.testing.assert_array_equal(in_chunks(lambda b: b.sum(axis=1), x, "sums", rows=100, join=np.concatenate),
                                  x.sum(axis=1))


# ---- the commands, with stderr redirected to a file ---------------------------------------

def _run(argv, tmp_path, data=False):
    """``npgan ARGV`` in a fresh process, stderr to a file, a line at every update; returns (rc, stderr)."""
    env = dict(os.environ, NPGAN_PROGRESS_INTERVAL="0", PYTHONPATH=REPOSITORY, OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1")
    env.pop("NPGAN_PROGRESS", None)
    if data:
        env["NPGAN_DATA_DIR"] = data_root()
    err = tmp_path / "stderr.txt"
    with open(err, "w") as f:
        rc = subprocess.run([sys.executable, "-m", "npgan", *argv], stdout=subprocess.DEVNULL, stderr=f,
                            cwd=REPOSITORY, env=env, timeout=600).returncode
    return rc, err.read_text()


def _need_mnist():
    require_data("mnist")


def test_training_writes_progress_lines_to_a_log(tmp_path):
    rc, err = _run(["train", "--preset", "ring-8", "--epochs", "1", "--out", str(tmp_path / "run")], tmp_path)
    assert rc == 0, err
    assert "npgan: epoch 1/1 " in err and " iterations (" in err and "left" in err, err


def test_evaluate_writes_progress_lines_to_a_log(tmp_path):
    _need_mnist()
    rc, err = _run(["evaluate", "pretrained/npgan-mnist-generator.npz", "-n", "300", "--images", "300"], tmp_path,
                   data=True)
    assert rc == 0, err
    steps = [line for line in err.splitlines() if line.startswith("npgan: evaluate ")]
    assert len(steps) >= 5 and all("elapsed" in line for line in steps[:-1]), err
    assert "about" in steps[0] and steps[-1].startswith("npgan: evaluate done in"), err


def test_elbo_writes_progress_lines_to_a_log(tmp_path):
    _need_mnist()
    rc, err = _run(["elbo", "pretrained/npgan-mnist-vae-binary.npz", "--images", "40", "-k", "500"], tmp_path,
                   data=True)
    assert rc == 0, err
    lines = [line for line in err.splitlines() if line.startswith("npgan: bounds on log p(x), k = 500 ")]
    assert "20/40 images (50%)" in lines[0] and "left" in lines[0], err
    assert lines[-1].startswith("npgan: bounds on log p(x), k = 500 done in"), err


def test_inpainting_in_chunks_gives_the_completions_of_one_call(tmp_path):
    _need_mnist()
    import npgan
    from npgan.backend import Random, asarray, to_numpy
    from npgan.cli.parser import main
    from npgan.datasets.idx import load_mnist
    from npgan.models.inpainting.model import observed_mask

    out = tmp_path / "c.npy"
    assert main(["inpaint", "pretrained/npgan-mnist-inpaint.npz", "--mask", "random50", "--images", "700",
                 "--per-image", "3", "--seed", "4", "-o", str(out)]) == 0  # three chunks of 333 images
    model = npgan.load("pretrained/npgan-mnist-inpaint.npz")
    x = asarray(load_mnist().test_x[:700])
    rng = Random(4)
    observed = observed_mask("random50", 700, rng, model.dtype)
    np.testing.assert_array_equal(np.load(out), to_numpy(model.complete(x, observed, rng, per_image=3)))
