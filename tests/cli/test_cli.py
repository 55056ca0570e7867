"""The npgan command: bad input gives one line and exit 2 with nothing written; signals; sampling."""

import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from npgan.cli.parser import main

FAST = ["--preset", "toy-1d", "--epochs", "1"]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("argv, message", [
    (["train", "--bogus"], "unrecognized arguments: --bogus"),
    (["train", "--k", "0"], "--k: expected an integer >= 1, got 0"),
    (["train", "--lr", "0"], "learning rate must be > 0"),
    (["train", "--lr", "-0.1", "--preset", "toy-1d"], "learning rate must be > 0"),
    (["train", "--preset", "cifar"], "unknown preset 'cifar'; expected one of mnist-paper, mnist"),
    (["train", "--gen-loss", "wasserstein"], "invalid choice: 'wasserstein'"),
    (["train", "--resume", "missing.npz"], "missing.npz: no such checkpoint file"),
    (["train", "--resume", "foreign.npz"], "foreign.npz: not an npgan checkpoint"),
    (["train", "--resume", "junk.npz"], "junk.npz: not an npgan checkpoint"),
    (["train", *FAST, "--out", "a_file"], "output directory a_file is a file"),
    (["sample", "junk.npz", "-o", "x.png"], "junk.npz: not an npgan checkpoint"),
    (["sample", "missing.npz", "-o", "x.gif"], "must end in .png or .npy"),
    (["train", "--backend", "tpu"], "invalid choice: 'tpu'"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(in_tmp, capsys, argv, message):
    np.savez(in_tmp / "foreign.npz", w=np.zeros(2))
    (in_tmp / "junk.npz").write_bytes(b"junk")
    (in_tmp / "a_file").write_text("")
    before = sorted(os.listdir(in_tmp))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert sorted(os.listdir(in_tmp)) == before


def test_train_sample_and_resume_through_the_command(in_tmp, capsys):
    assert main(["train", *FAST, "--out", "run", "--quiet"]) == 0
    assert capsys.readouterr().out == ""  # --quiet prints nothing
    assert main(["train", "--resume", "run/checkpoint.npz", "--epochs", "2", "--quiet"]) == 0
    assert (in_tmp / "run" / "log.csv").read_text().count("\n") == 3  # header + 2 epochs
    assert main(["sample", "run/checkpoint.npz", "-n", "7", "-o", "s.npy"]) == 0
    assert np.load(in_tmp / "s.npy").shape == (7, 1)
    assert main(["sample", "run/checkpoint.npz", "-n", "100", "-o", "s.png"]) == 0
    assert (in_tmp / "s.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["export", "run/checkpoint.npz", "-o", "g.npz"]) == 0
    assert main(["sample", "g.npz", "-n", "3", "-o", "g.npy", "--seed", "0"]) == 0
    np.testing.assert_allclose(np.load(in_tmp / "g.npy"), np.load(in_tmp / "s.npy")[:3], rtol=1e-5, atol=1e-6)


def test_presets_and_gradcheck_commands(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    for name in ("mnist-paper", "mnist", "toy-1d", "ring-8", "grid-25"):
        assert f"\n{name} " in "\n" + out
    assert main(["gradcheck"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.endswith(("pass", "FAIL"))]
    total = re.search(r"(\d+) of (\d+) gradients pass", out)
    assert rows and all(line.endswith("pass") for line in rows)
    assert total and int(total.group(1)) == int(total.group(2)) == len(rows)


def test_sigint_on_a_real_training_process_leaves_a_checkpoint_that_resumes(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "npgan", "train", "--preset", "toy-1d", "--epochs", "1000",
           "--out", str(out), "--quiet"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (out / "checkpoint.npz").exists() and time.time() < deadline:
        time.sleep(0.1)
    assert (out / "checkpoint.npz").exists(), "no checkpoint after 60 s"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGINT
    assert "resume with: npgan train --resume" in err
    import npgan

    epoch = npgan.load(out / "checkpoint.npz").state["epoch"]
    resumed = subprocess.run([sys.executable, "-m", "npgan", "train", "--resume", str(out / "checkpoint.npz"),
                              "--epochs", str(epoch + 1), "--quiet"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert npgan.load(out / "checkpoint.npz").state["epoch"] == epoch + 1


@pytest.fixture
def mnist_checkpoint(tmp_path, monkeypatch):
    """An untrained paper-sized MNIST checkpoint (parameters from the initialisation)."""
    from conftest import data_root, require_data

    require_data("mnist")
    monkeypatch.setenv("NPGAN_DATA_DIR", data_root())
    from npgan.models.gan.training import GANModel
    from npgan.presets import get_preset
    from npgan.train import Trainer

    Trainer(GANModel(get_preset("mnist").replace(g_hidden=(64,), d_hidden=(16,))), tmp_path).save()
    return tmp_path / "checkpoint.npz"


def test_parzen_and_nearest_on_an_mnist_checkpoint(mnist_checkpoint, tmp_path, capsys):
    import json

    out = tmp_path / "p.json"
    assert main(["parzen", str(mnist_checkpoint), "--samples", "300", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    assert f"{result['test_ll']:.2f} +- {result['test_se']:.2f}" in printed
    assert result["n_samples"] == 300 and result["n_test"] == 10000 and result["sigma"] in result["sigmas"]
    assert main(["sample", str(mnist_checkpoint), "-n", "20", "--nearest", "-o", str(tmp_path / "n.png")]) == 0
    assert (tmp_path / "n.png").read_bytes()[:4] == b"\x89PNG"


def test_average_is_the_mean_of_the_generators_and_refuses_other_runs(in_tmp, capsys):
    from npgan import load
    from npgan.models.gan.training import GANModel
    from npgan.presets import get_preset
    from npgan.train import Trainer

    snapshots = []
    for seed in (0, 1, 2):  # three different generators of one architecture
        (in_tmp / f"r{seed}").mkdir()
        Trainer(GANModel(get_preset("toy-1d").replace(seed=seed)), in_tmp / f"r{seed}").save()
        snapshots.append(str(in_tmp / f"r{seed}" / "checkpoint.npz"))
    assert main(["average", *snapshots, "-o", "mean.npz"]) == 0
    assert "mean of 3 generators" in capsys.readouterr().out
    averaged, parts = load("mean.npz"), [load(p) for p in snapshots]
    assert averaged.D is None and averaged.state["averaged_files"] == ["checkpoint.npz"] * 3
    for key, value in averaged.G.params.items():
        assert value.dtype == np.float32
        expected = np.mean([np.asarray(p.G.params[key], dtype=np.float64) for p in parts], axis=0)
        np.testing.assert_allclose(value, expected, rtol=1e-6, atol=1e-7)
    weights = [key for key in averaged.G.params if key.endswith("W")]
    assert not np.allclose(averaged.G.params[weights[0]], parts[0].G.params[weights[0]])
    assert main(["sample", "mean.npz", "-n", "5", "-o", "s.npy"]) == 0  # a generator like any other

    (in_tmp / "wide").mkdir()
    Trainer(GANModel(get_preset("toy-1d").replace(g_hidden=(7,))), in_tmp / "wide").save()
    before = sorted(os.listdir(in_tmp))
    assert main(["average", snapshots[0], str(in_tmp / "wide" / "checkpoint.npz"), "-o", "bad.npz"]) == 2
    err = capsys.readouterr().err
    assert "g_hidden" in err and "only generators of one run can be averaged" in err and err.count("\n") == 1
    assert main(["average", snapshots[0], "-o", snapshots[0]]) == 2
    assert "is one of the inputs" in capsys.readouterr().err
    assert main(["average", "missing.npz", "-o", "x.npz"]) == 2
    assert sorted(os.listdir(in_tmp)) == before


def test_averaged_generator_through_the_command(in_tmp, capsys):
    argv = ["train", *FAST, "--epochs", "3", "--average-from", "2", "--out", "run", "--quiet"]
    assert main(argv) == 0
    assert main(["export", "run/checkpoint.npz", "--averaged", "-o", "avg.npz"]) == 0
    from npgan import load

    exported, averaged = load("avg.npz"), load("run/checkpoint.npz", averaged=True)
    assert exported.state["averaged_epochs"] == [2, 3]
    for key, value in exported.G.params.items():
        np.testing.assert_array_equal(value, averaged.G.params[key])
    assert main(["sample", "run/checkpoint.npz", "--averaged", "-n", "4", "-o", "a.npy", "--seed", "0"]) == 0
    assert main(["sample", "avg.npz", "-n", "4", "-o", "b.npy", "--seed", "0"]) == 0
    np.testing.assert_array_equal(np.load("a.npy"), np.load("b.npy"))
    capsys.readouterr()
    assert main(["train", *FAST, "--out", "plain", "--quiet"]) == 0
    assert main(["sample", "plain/checkpoint.npz", "--averaged", "-o", "c.npy"]) == 2
    assert "holds no averaged generator" in capsys.readouterr().err


def test_training_with_parzen_evaluates_the_averaged_generator_too(mnist_checkpoint, tmp_path):
    from npgan.presets import get_preset
    from npgan.train import train

    config = get_preset("mnist").replace(g_hidden=(32,), d_hidden=(16,), d_pieces=2, batch_size=2500,
                                         epochs=1, average_from=1, parzen_every=1, sample_every=0)
    train(config, tmp_path / "run", quiet=True)
    for name in ("parzen.csv", "parzen-averaged.csv"):
        rows = (tmp_path / "run" / name).read_text().splitlines()
        assert rows[0] == "epoch,sigma,log_likelihood,standard_error" and rows[1].startswith("1,")
        assert np.isfinite(float(rows[1].split(",")[2]))


def test_two_trainings_into_one_folder_the_second_is_refused(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "npgan", "train", "--preset", "toy-1d", "--epochs", "1000", "--out", str(out),
           "--quiet"]
    first = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while not (out / "checkpoint.npz").exists() and time.time() < deadline:
            time.sleep(0.1)
        second = subprocess.run([sys.executable, "-m", "npgan", "train", "--resume", str(out / "checkpoint.npz"),
                                 "--epochs", "2000", "--quiet"], capture_output=True, text=True, timeout=60)
        assert second.returncode == 2
        assert f"is being trained by another npgan process (pid {first.pid})" in second.stderr
        assert second.stderr.count("\n") == 1
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=60)
    assert first.returncode == 128 + signal.SIGINT  # and its lock went with it:
    again = subprocess.run([sys.executable, "-m", "npgan", "train", "--resume", str(out / "checkpoint.npz"),
                            "--epochs", str(npgan_epoch(out) + 1), "--quiet"], capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr


def npgan_epoch(out):
    import npgan

    return npgan.load(out / "checkpoint.npz").state["epoch"]


def test_ctrl_c_during_parzen_is_one_line_and_prompt(mnist_checkpoint, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "npgan", "parzen", str(mnist_checkpoint), "-o",
                             str(tmp_path / "p.json")], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("Parzen window of 10000 samples")  # the evaluation starts
    proc.send_signal(signal.SIGINT)
    start = time.time()
    _, err = proc.communicate(timeout=30)
    assert time.time() - start < 10
    assert proc.returncode == 130 and err == "npgan parzen: interrupted\n", err
    assert not (tmp_path / "p.json").exists()

