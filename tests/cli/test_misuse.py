"""Every misuse of the command is one line and an exit status, and leaves the user's files as they were.

Each case runs ``npgan`` on a folder holding a finished run, a generator file and some
bad files, and checks: the exit status (2 for usage, 1 for a failure), one line on
stderr naming what was wrong, no traceback, and every file in the folder byte for byte
as before (a hash of the whole tree).
"""

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import DATA_REASON, data_available, rewrite, tree_hash

from npgan.backend import Random
from npgan.cli.parser import main
from npgan.nn import mlp
from npgan.presets import Config, get_preset
from npgan.train import train

DATA = Path(__file__).parents[1] / "data"
TINY = ["--preset", "toy-1d", "--epochs", "1"]



def config_change(**changes):
    def change(arrays):
        values = json.loads(str(arrays["config"]))
        values.update(changes)
        arrays["config"] = np.asarray(json.dumps(values))
    return change


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A folder as a user has it: a finished run, a generator file, hand-made and foreign files."""
    root = tmp_path_factory.mktemp("workspace")
    config = get_preset("toy-1d").replace(epochs=1, iters_per_epoch=3, sample_every=0)
    train(config, root / "run", quiet=True)
    assert main(["export", str(root / "run" / "checkpoint.npz"), "-o", str(root / "g.npz")]) == 0
    (root / "random.bin").write_bytes(os.urandom(300))
    (root / "notes.txt").write_text("not a checkpoint\n")
    np.save(root / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    shutil.copy(DATA / "training-format-1.npz", root / "mid-epoch.npz")
    ckpt = root / "run" / "checkpoint.npz"
    rewrite(ckpt, root / "no-optimiser.npz", lambda a: [a.pop(k) for k in list(a) if k.startswith("opt_")])
    rewrite(ckpt, root / "odd-kind.npz", lambda a: a.update(kind=np.asarray("discriminator")))
    rewrite(ckpt, root / "zero-width.npz", config_change(g_hidden=[0, 32]))
    rewrite(ckpt, root / "mismatch.npz", config_change(g_hidden=[16, 16]))
    rewrite(ckpt, root / "newer.npz", lambda a: a.update(format=np.asarray("npgan-checkpoint-2")))
    rewrite(ckpt, root / "nan.npz", lambda a: a["G/0.W"].__setitem__((0, 0), np.nan))
    return root


CASES = [
    # work is never lost
    (["train", *TINY, "--out", "run"], 2, "run already holds a run; continue it with --resume run/checkpoint.npz"),
    (["train", "--preset", "mnist", "--k", "501", "--update", "alternating", "--out", "new"], 2,
     "k = 501 discriminator steps need more than the 500 minibatches"),
    (["train", "--preset", "mnist", "--k", "2", "--out", "new"], 2, "need update='alternating'"),
    (["export", "run/checkpoint.npz", "-o", "run/checkpoint.npz"], 2, "is one of the inputs"),
    (["export", "g.npz", "-o", "run/checkpoint.npz"], 2, "is a training checkpoint; it is never overwritten"),
    (["average", "g.npz", "g.npz", "-o", "mean.npz"], 2, "g.npz given more than once"),
    (["sample", "g.npz", "-o", "notes.txt.npy"], 0, None),  # a new name is fine (removed below)
    (["sample", "g.npz", "-o", "g.npz"], 2, "must end in .png or .npy"),
    (["export", "g.npz", "-o", "g2.npz"], 0, None),
    # seeds, counts and names
    (["train", "--seed", "-1"], 2, "--seed: expected a seed, an integer >= 0, got -1"),
    (["sample", "g.npz", "--seed", "-1", "-o", "x.npy"], 2, "--seed: expected a seed"),
    (["parzen", "g.npz", "--seed", "-1"], 2, "--seed: expected a seed"),
    (["gradcheck", "--seed", "-1"], 2, "--seed: expected a seed"),
    (["train", *TINY, "--sample-every", "-1"], 2, "--sample-every: expected an integer >= 0, got -1"),
    (["train", *TINY, "--parzen-every", "-2"], 2, "--parzen-every: expected an integer >= 0, got -2"),
    (["train", *TINY, "--out", ""], 2, "--out is empty"),
    (["train", "--preset", "toy-1d", "--resume", "run/checkpoint.npz"], 2, "--preset cannot be combined with --resume"),
    (["sample", "g.npz", "-n", "many", "-o", "x.npy"], 2, "-n: expected an integer >= 1, got 'many'"),
    # outputs checked before the work
    (["sample", "g.npz", "-o", "missing/x.npy"], 2, "of the output file does not exist"),
    (["parzen", "g.npz", "-o", "missing/p.json"], 2, "of the output file does not exist"),
    (["train", *TINY, "--out", "notes.txt/run"], 2, "which is a file"),
    (["sample", "g.npz", "-n", "1000000000000", "-o", "huge.npy"], 2, "GiB free"),
    (["sample", "g.npz", "-n", "5000", "-o", "big.png"], 2, "too many for one picture"),
    # checkpoints that are not, or not quite
    (["sample", "random.bin", "-o", "x.npy"], 2, "random.bin: not an npgan checkpoint"),
    (["sample", "notes.txt", "-o", "x.npy"], 2, "notes.txt: not an npgan checkpoint"),
    (["sample", "objects.npy", "-o", "x.npy"], 2, "objects.npy: not an npgan checkpoint"),
    (["train", "--resume", "no-optimiser.npz"], 2, "a training checkpoint without opt_G/updates"),
    (["sample", "odd-kind.npz", "-o", "x.npy"], 2, "unknown checkpoint kind 'discriminator'"),
    (["sample", "zero-width.npz", "-o", "x.npy"], 2, "every hidden layer needs width >= 1"),
    (["train", "--resume", "mismatch.npz", "--out", "elsewhere"], 2, "has shape (4, 32), the config builds (4, 16)"),
    (["sample", "newer.npz", "-o", "x.npy"], 2, "checkpoint format 2 by a newer npgan; this npgan reads format 1"),
    (["sample", "nan.npz", "-o", "x.npy"], 2, "parameter G/0.W holds NaN"),
    (["train", "--resume", "mid-epoch.npz", "--k", "2", "--out", "elsewhere"], 2,
     "stopped inside an epoch run with k = 1"),
    (["export", "run/checkpoint.npz", "--averaged", "-o", "a.npz"], 2, "holds no averaged generator"),
]


@pytest.mark.parametrize("argv, status, message", CASES, ids=[" ".join(c[0])[:60] for c in CASES])
def test_misuse_is_one_line_and_leaves_every_file_as_it_was(workspace, monkeypatch, capsys, argv, status, message):
    if "501" in argv and not data_available("mnist"):  # the minibatches an epoch has come from the data
        pytest.skip(DATA_REASON)
    monkeypatch.chdir(workspace)
    before = tree_hash(workspace)
    assert main(argv) == status
    err = capsys.readouterr().err
    if message is None:
        assert err == ""
        for made in ("notes.txt.npy", "g2.npz"):
            if (workspace / made).exists():
                os.remove(workspace / made)
    else:
        assert message in err and err.count("\n") == 1 and "Traceback" not in err, err
        assert err.startswith(f"npgan {argv[0]}: error: ")
        assert "allow_pickle" not in err
    assert tree_hash(workspace) == before


@pytest.mark.parametrize("variable, value, argv, status, message", [
    ("NPGAN_BACKEND", "tpu", ["gradcheck"], 2, "NPGAN_BACKEND='tpu' is not a backend; expected one of numpy, cupy"),
    ("NPGAN_BACKEND", "tpu", ["presets"], 0, None),  # nothing to compute: the variable is not read
    ("NPGAN_DATA_DIR", "notes.txt", ["train", "--preset", "mnist", "--out", "m"], 1, "is a file; expected a folder"),
])
def test_environment_errors_are_one_line(workspace, monkeypatch, capsys, variable, value, argv, status, message):
    monkeypatch.chdir(workspace)
    monkeypatch.setenv(variable, str(workspace / value) if variable == "NPGAN_DATA_DIR" else value)
    monkeypatch.setattr("npgan.backend._state", {"name": None, "module": None})
    before = tree_hash(workspace)
    assert main(argv) == status
    err = capsys.readouterr().err
    assert (message is None and err == "") or (message in err and err.count("\n") == 1), err
    assert tree_hash(workspace) == before


def test_the_backend_flag_wins_over_the_environment(monkeypatch, capsys):
    monkeypatch.setenv("NPGAN_BACKEND", "tpu")
    monkeypatch.setattr("npgan.backend._state", {"name": None, "module": None})
    assert main(["gradcheck", "--backend", "numpy"]) == 0
    assert "gradients pass" in capsys.readouterr().out


def test_overwrite_moves_the_old_run_aside(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", *TINY, "--out", "run", "--quiet"]) == 0
    old = (tmp_path / "run" / "checkpoint.npz").read_bytes()
    assert main(["train", *TINY, "--out", "run", "--overwrite"]) == 0
    out = capsys.readouterr().out
    assert "moved the run that was in run to run.replaced-1" in out and "1 epoch)" in out
    assert (tmp_path / "run.replaced-1" / "checkpoint.npz").read_bytes() == old
    assert (tmp_path / "run" / "log.csv").read_text().count("\n") == 2  # a new run: header + 1 epoch


def test_the_python_api_refuses_what_the_command_refuses():
    for bad in [dict(seed=-1), dict(epochs=2.5), dict(g_hidden=(0,)), dict(lr=float("inf")), dict(k=True)]:
        with pytest.raises(ValueError, match="Config: "):
            Config(**bad)
    with pytest.raises(ValueError, match=r"keep_input and keep_hidden must be in \(0, 1\]"):
        mlp.discriminator(4, (3,), Random(0), keep_input=1.5)
    gan = train(get_preset("toy-1d").replace(epochs=1, iters_per_epoch=1, sample_every=0),
                "/tmp/npgan-api-refusal-run", quiet=True)
    for n in (0, -1, 2.5):
        with pytest.raises(ValueError, match="n must be an integer >= 1"):
            gan.sample(n)
    shutil.rmtree("/tmp/npgan-api-refusal-run")


def test_a_gan_cannot_encode_or_reconstruct(workspace, monkeypatch, capsys):
    monkeypatch.chdir(workspace)
    before = tree_hash(workspace)
    for command in ("encode", "reconstruct"):
        assert main([command, "g.npz", "--images", "5", "-o", "x.npy"]) == 2
        err = capsys.readouterr().err
        assert "g.npz holds a gan model" in err and f"which cannot {command}; it can: evaluate, parzen, sample" in err
        assert err.count("\n") == 1
    assert tree_hash(workspace) == before
