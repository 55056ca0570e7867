"""Every fault is one line and an exit status, and nothing the user had is lost.

One table of cases, each the trial of a hostile user: a failed write, a full disk, a
damaged run folder, an impossible size, a bad model or classifier file, a broken data
folder. Each runs ``npgan`` in a fresh folder and checks the exit status (2: a misuse,
refused before the work; 1: a fault of the environment), one line on stderr naming
what was wrong with no traceback, and, where the case says so, every file of the
folder byte for byte as before. A full disk and an unwritable folder are simulated by
patching the one place npgan opens the files it writes (``npgan.files``), which works
whoever runs the tests (root ignores permission bits).
"""

import dataclasses
import errno
import gzip
import os
import shutil
import urllib.error
from pathlib import Path

import conftest
import numpy as np
import pytest
from conftest import REPOSITORY, log_without_times, mnist_dir, rewrite, tree_hash

from npgan import files
from npgan import load as npgan_load
from npgan.cli.parser import COMMANDS, build_parser, main
from npgan.datasets import idx
from npgan.models import family
from npgan.presets import get_preset
from npgan.runfolder import RunLock
from npgan.train import Trainer, train

PRE = os.path.join(REPOSITORY, "pretrained")
TOY = ["--preset", "toy-1d", "--epochs", "1"]



@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """What the cases copy from: a finished GAN run and VAE run, images, damaged files."""
    root = tmp_path_factory.mktemp("made")
    # a GAN's finished run (no pictures: they cost more than the rest, and a case asks for one)
    train(get_preset("ring-8").replace(epochs=1, iters_per_epoch=3, sample_every=0), root / "gan", quiet=True)
    vae = family("vae").build(get_preset("mnist-vae").replace(epochs=1, sample_every=0))
    vae.iterations_per_epoch = 2  # a VAE's run folder in two steps (its epoch is the data set)
    Trainer(vae, root / "vae", quiet=True).run()
    np.save(root / "images.npy", np.random.default_rng(0).random((100, 784), dtype=np.float32))
    np.savez(root / "archive.npz", a=np.zeros(3))
    classifier = os.path.join(PRE, "npgan-mnist-classifier.npz")
    rewrite(classifier, root / "inf-classifier.npz", lambda a: a["params/1.W"].__setitem__((0, 0), np.inf))
    rewrite(classifier, root / "huge-classifier.npz",
            lambda a: a.update({"params/1.W": np.full_like(a["params/1.W"], 3e38, dtype=np.float32)}))
    extra = lambda a: a.update({"G/9.W": np.zeros((2, 2), np.float32)})  # noqa: E731
    rewrite(os.path.join(PRE, "npgan-mnist-bigan.npz"), root / "extra-parameter.npz", extra)
    return root


# ---- what the cases set up -----------------------------------------------------------------

def copy(*names):
    """prepare: copy these entries of ``made`` into the case's folder (``gan`` as ``run``)."""
    def prepare(work, made):
        for name in names:
            source, target = made / name, work / ("run" if name == "gan" else name)
            (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
    return prepare


def then(*steps):
    def prepare(work, made):
        for step in steps:
            step(work, made)
    return prepare


def write(relative, content):
    def step(work, made):
        path = work / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    return step


def replace_with_folder(relative):
    def step(work, made):
        (work / relative).unlink()
        (work / relative).mkdir()
    return step


def mnist_copy(change=None):
    """prepare: ``data/mnist`` with MNIST's files (links), the t10k files copied; ``change(folder)`` damages them."""
    def step(work, made):
        folder = work / "data" / "mnist"
        folder.mkdir(parents=True)
        for name in idx.MNIST_FILES:
            source = os.path.join(mnist_dir(), name + ".gz")
            if name.startswith("t10k"):
                shutil.copy(source, folder / (name + ".gz"))
            else:
                os.symlink(source, folder / (name + ".gz"))
        if change:
            change(folder)
    return step


def flip_a_byte(folder):
    path = folder / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))


def truncate(folder):
    path = folder / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:100000])


def swap_labels(folder):
    os.remove(folder / "t10k-labels-idx1-ubyte.gz")
    os.symlink(os.path.join(mnist_dir(), "train-labels-idx1-ubyte.gz"), folder / "t10k-labels-idx1-ubyte.gz")


def change_a_pixel(folder):
    path = folder / "t10k-images-idx3-ubyte.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[16 + 200] ^= 0x40
    path.write_bytes(gzip.compress(bytes(raw), compresslevel=1))


def only_test_files(folder):
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        os.remove(folder / name)


# ---- the faults the cases simulate ----------------------------------------------------------

def unwritable(folder, after=0):
    """patch: the temporary files npgan makes in ``folder`` are refused (EACCES), after ``after`` of them."""
    def patch(monkeypatch, work):
        made, calls = files._temporary, []

        def refusing(directory, name):
            if os.path.abspath(directory) == os.path.abspath(work / folder):
                calls.append(name)
                if len(calls) > after:
                    raise PermissionError(errno.EACCES, "Permission denied", str(directory))
            return made(directory, name)

        monkeypatch.setattr(files, "_temporary", refusing)
    return patch


class _FullFile:
    """A file on a disk that fills after ``room`` bytes: then every write is ENOSPC."""

    def __init__(self, f, room):
        self.f, self.room = f, room

    def write(self, data):
        if len(data) > self.room:
            self.f.write(bytes(data[:self.room]))
            self.room = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return self.f.write(data)

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def full_disk(suffix, room=4096, after=0):
    """patch: the disk fills while npgan writes a file whose name ends in ``suffix`` (after ``after`` of them)."""
    def patch(monkeypatch, work):
        opened, calls = files._file, []

        def filling(fd, path):
            f = opened(fd, path)
            if path.endswith(suffix):
                calls.append(path)
                if len(calls) > after:
                    return _FullFile(f, room)
            return f

        monkeypatch.setattr(files, "_file", filling)
    return patch


def little_memory(monkeypatch, work):
    monkeypatch.setattr("npgan.cli.arguments.available_memory", lambda: 8 * 2**30)


def no_network(monkeypatch, work):
    """No server answers: npgan's own downloader meets a refused connection (instead of the
    session's guard in conftest.py, which refuses before connecting)."""
    def refused(url, timeout=None):
        raise urllib.error.URLError(f"[Errno 111] Connection refused (simulated for {url})")

    monkeypatch.setattr(idx, "download_file", conftest._download_once)
    monkeypatch.setattr(idx.urllib.request, "urlopen", refused)


def a_picture_fails(monkeypatch, work):
    from npgan import plots

    def fails(gan, dataset, path, **kwargs):
        raise OSError(errno.EIO, "Input/output error", path)

    monkeypatch.setattr(plots, "save_samples", fails)


def training_elsewhere(monkeypatch, work):
    _HELD.append(RunLock(str(work / "run")))  # as another process training run/ would hold it


_HELD = []


@dataclasses.dataclass
class Case:
    name: str
    argv: list
    status: int
    message: object  # in the one line on stderr ("" with status 0), or a tuple of such parts
    prepare: object = None  # prepare(work, made): files in the case's folder
    patch: object = None  # patch(monkeypatch, work): the fault
    env: dict = dataclasses.field(default_factory=dict)  # "{work}" is the case's folder; None unsets
    unchanged: bool = True  # every file of the folder byte for byte as before
    after: object = None  # after(work, made): more checks


def no_temporaries(work, made=None):
    left = [str(p) for p in Path(work).rglob(".tmp-*")]
    assert not left, left


def resumes_as_if_never_stopped(epochs):
    """after: the run resumes to ``epochs``, its checkpoint byte for byte that of the same run never stopped."""
    def check(work, made):
        no_temporaries(work)
        assert main(["train", "--resume", "run/checkpoint.npz", "--quiet"]) == 0
        shutil.copytree(made / "gan", work / "whole")
        assert main(["train", "--resume", "whole/checkpoint.npz", "--epochs", str(epochs), "--quiet"]) == 0
        assert (work / "run" / "checkpoint.npz").read_bytes() == (work / "whole" / "checkpoint.npz").read_bytes()
    return check


def epoch_saved(epoch):
    """after: the run's checkpoint and log hold ``epoch``."""
    def check(work, made):
        assert npgan_load(work / "run" / "checkpoint.npz").state["epoch"] == epoch
        assert (work / "run" / "log.csv").read_text().splitlines()[-1].startswith(f"{epoch},")
    return check


def not_created(path):
    def check(work, made):
        assert not Path(path).exists()
    return check


X = "{made}/images.npy"
CASES = [
    # ---- data loss: run folders
    Case("14 another run's checkpoint in a VAE folder", ["train", "--resume", "vae/checkpoint.npz", "--epochs", "2"], 2,
         "vae/log.csv is the log of another kind of run", then(copy("vae"), lambda w, m: shutil.copy(
             m / "gan" / "checkpoint.npz", w / "vae" / "checkpoint.npz"))),
    Case("13 samples/ is a file", ["train", "--resume", "run/checkpoint.npz", "--epochs", "2"], 2,
         "run/samples is a file; the run keeps a folder", then(copy("gan"), write("run/samples", "not a folder"))),
    Case("13 a picture fails after an epoch: the epoch is saved", ["train", "--resume", "run/checkpoint.npz",
                                                                   "--epochs", "2", "--sample-every", "1"], 1,
         "epoch 2 is saved all the same: fix that, then resume with: npgan train --resume run/checkpoint.npz",
         copy("gan"), a_picture_fails, unchanged=False, after=epoch_saved(2)),
    Case("21 a run killed in its first checkpoint", ["train", *TOY, "--out", "run"], 2,
         "run already holds a run; it has no checkpoint to continue from: train into another --out",
         then(write("run/labels.csv", "epoch,label_accuracy\n1,0.5\n"), write("run/metrics.csv", "epoch\n1\n"),
              write("run/.tmp-x1y2checkpoint.npz", b"PK\x03\x04 half"))),
    Case("20 a killed run's temporaries are removed", ["train", "--resume", "run/checkpoint.npz", "--epochs", "2",
                                                       "--quiet"], 0, "",
         then(copy("gan"), write("run/.tmp-a1b2checkpoint.npz", os.urandom(5000)),
              write("run/samples/.tmp-c3d4epoch-0002.png", b"\x89PNG")), unchanged=False, after=no_temporaries),
    Case("11 log.csv of random bytes", ["train", "--resume", "run/checkpoint.npz", "--epochs", "2"], 2,
         "run/log.csv is not a log of npgan (it is not text)",
         then(copy("gan"), write("run/log.csv", bytes(range(128, 256)) * 4))),
    Case("12 log.csv is a folder", ["train", "--resume", "run/checkpoint.npz", "--epochs", "2"], 2,
         "run/log.csv is a folder", then(copy("gan"), replace_with_folder("run/log.csv"))),
    # ---- hangs and silent wrong answers
    Case("15 a classifier with Inf weights", ["evaluate", X, "--classifier", "{made}/inf-classifier.npz"], 2,
         "parameter params/1.W holds NaN, Inf or non-float values"),
    Case("15 a classifier whose features overflow", ["evaluate", X, "--classifier", "{made}/huge-classifier.npz"],
         2, "features of the images' hold NaN or Inf"),
    Case("16 classify with an Inf classifier", ["classify", "{made}/inf-classifier.npz", "-o", "p.npy"], 2,
         "holds NaN, Inf or non-float values"),
    Case("17 a Fashion-MNIST classifier on MNIST", ["classify", f"{PRE}/npgan-fashion-classifier.npz", "-o", "p.npy"],
         2, "a classifier of fashion-mnist; npgan classify scores the MNIST test images"),
    Case("18 more test images than there are", ["evaluate", X, "--images", "10001"], 2,
         "--images 10001: the mnist test set has 10000 images"),
    Case("18 --images 1e23", ["evaluate", X, "--images", "1e23"], 2, "--images: expected an integer >= 1"),
    Case("19 an unknown extra parameter", ["encode", "{made}/extra-parameter.npz", "--images", "5", "-o", "z.npy"],
         2, "holds parameter G/9.W, which the network its config builds does not have"),
    # ---- tracebacks
    Case("1 a zero-byte .npy", ["evaluate", "zero.npy"], 2, "zero.npy: an empty file (0 bytes)",
         write("zero.npy", b"")),
    Case("2 an .npz named .npy", ["evaluate", "x.npy"], 2, "x.npy: an .npz archive, not a .npy array",
         lambda w, m: shutil.copy(m / "archive.npz", w / "x.npy")),
    Case("3 reconstruct into an unwritable folder", ["reconstruct", f"{PRE}/npgan-mnist-vae.npz", "--images", "4",
                                                     "-o", "ro/r.png"], 2,
         "of the output file is not writable (permission denied)", write("ro/keep", "x"), unwritable("ro")),
    Case("3 ... refused only after the work", ["reconstruct", f"{PRE}/npgan-mnist-vae.npz", "--images", "4",
                                               "-o", "ro/r.png"], 1,
         "cannot write ro/r.png: permission denied", write("ro/keep", "x"), unwritable("ro", after=1)),
    Case("4 evaluate -o into an unwritable folder", ["evaluate", X, "--images", "500", "-o", "ro/e.json"], 2,
         "of the output file is not writable", write("ro/keep", "x"), unwritable("ro")),
    Case("4 ... refused only after the work", ["evaluate", X, "--images", "500", "-o", "ro/e.json"], 1,
         "cannot write ro/e.json: permission denied", write("ro/keep", "x"), unwritable("ro", after=1)),
    Case("5 elbo -o into an unwritable folder", ["elbo", f"{PRE}/npgan-mnist-vae-binary.npz", "-k", "2", "--images",
                                                 "5", "-o", "ro/b.json"], 2,
         "of the output file is not writable", write("ro/keep", "x"), unwritable("ro")),
    Case("5 ... refused only after the work", ["elbo", f"{PRE}/npgan-mnist-vae-binary.npz", "-k", "2", "--images",
                                               "5", "-o", "ro/b.json"], 1,
         "cannot write ro/b.json: permission denied", write("ro/keep", "x"), unwritable("ro", after=1)),
    Case("6 encode on a full disk, over an old output", ["encode", f"{PRE}/npgan-mnist-encoder.npz", "--images", "100",
                                                         "-o", "z.npy", "--force"], 1,
         "cannot write z.npy: its disk is full (it needs about 39.2 KiB", write("z.npy", "the old codes"),
         full_disk("z.npy")),
    Case("7 export on a full disk", ["export", "run/checkpoint.npz", "-o", "g.npz"], 1,
         "cannot write g.npz: its disk is full (it needs about", copy("gan"), full_disk("g.npz")),
    Case("8 train fills the disk at a checkpoint", ["train", "--resume", "run/checkpoint.npz", "--epochs", "3"], 1,
         ("cannot write run/checkpoint.npz: its disk is full (it needs about", "; the checkpoint of epoch 2 is whole: "
          "free some space, then resume with: npgan train --resume run/checkpoint.npz"), copy("gan"),
         full_disk("checkpoint.npz", after=1), unchanged=False, after=resumes_as_if_never_stopped(3)),
    Case("9 elbo -k 10^10", ["elbo", f"{PRE}/npgan-mnist-vae-binary.npz", "-k", "10000000000", "--images", "10"], 2,
         "-k 10000000000 needs about"),
    Case("10 inpaint 10,000 x 1,000 completions", ["inpaint", f"{PRE}/npgan-mnist-inpaint.npz", "--mask", "top",
                                                   "--images", "10000", "--per-image", "1000", "-o", "x.npy"], 2,
         "--images 10000 with --per-image 1000 needs about 146 GiB of memory, but this machine has 8 GiB",
         patch=little_memory),
    # ---- exit statuses and wording: the data folder (faults of the environment: exit 1)
    Case("22 NPGAN_DATA_DIR empty: the cache, offline", ["encode", f"{PRE}/npgan-mnist-encoder.npz", "-o", "z.npy"], 1,
         "could not download t10k-images-idx3-ubyte.gz from any mirror", patch=no_network,
         env={"NPGAN_DATA_DIR": "", "XDG_CACHE_HOME": "{work}/cache"}, unchanged=False),
    Case("23 NPGAN_DATA_DIR unset, offline", ["train", "--preset", "mnist", "--out", "m"], 1,
         "could not download train-images-idx3-ubyte.gz from any mirror", patch=no_network,
         env={"NPGAN_DATA_DIR": None, "XDG_CACHE_HOME": "{work}/cache"}, unchanged=False,
         after=not_created("m")),
    Case("24 an empty data root, offline", ["encode", f"{PRE}/npgan-mnist-encoder.npz", "-o", "z.npy"], 1,
         "put the MNIST files", write("empty/.keep", ""), no_network, env={"NPGAN_DATA_DIR": "{work}/empty"},
         unchanged=False),
    Case("25 a misspelt NPGAN_DATA_DIR", ["train", "--preset", "mnist", "--out", "m"], 1,
         "NPGAN_DATA_DIR names {work}/dta, which does not exist", write("data/.keep", ""), no_network,
         env={"NPGAN_DATA_DIR": "{work}/dta"}, after=not_created("dta")),
    Case("26 a file as the data root", ["encode", f"{PRE}/npgan-mnist-encoder.npz", "-o", "z.npy"], 1,
         "is a file; expected a folder", write("notes.txt", "x"), env={"NPGAN_DATA_DIR": "{work}/notes.txt"}),
    Case("27 a flipped byte", ["encode", f"{PRE}/npgan-mnist-encoder.npz", "-o", "z.npy"], 1,
         "t10k-labels-idx1-ubyte.gz: ", mnist_copy(flip_a_byte), env={"NPGAN_DATA_DIR": "{work}/data"}),
    Case("28 a truncated file", ["encode", f"{PRE}/npgan-mnist-encoder.npz", "-o", "z.npy"], 1,
         "t10k-images-idx3-ubyte.gz: not a valid gzip stream", mnist_copy(truncate),
         env={"NPGAN_DATA_DIR": "{work}/data"}),
    Case("29 a swapped labels file", ["encode", f"{PRE}/npgan-mnist-encoder.npz", "-o", "z.npy"], 1,
         "t10k-labels-idx1-ubyte.gz: IDX dimensions are (60000,), expected (10000,)", mnist_copy(swap_labels),
         env={"NPGAN_DATA_DIR": "{work}/data"}),
    Case("30 a changed pixel", ["encode", f"{PRE}/npgan-mnist-encoder.npz", "-o", "z.npy"], 1,
         "t10k-images-idx3-ubyte.gz: SHA-256 of the decompressed data is", mnist_copy(change_a_pixel),
         env={"NPGAN_DATA_DIR": "{work}/data"}),
    Case("31 Fashion-MNIST missing, offline", ["evaluate", X, "--dataset", "fashion-mnist"], 1,
         "could not download train-images-idx3-ubyte.gz from any mirror", write("data/.keep", ""), no_network,
         env={"NPGAN_DATA_DIR": "{work}/data"}, unchanged=False),
    Case("32 CIFAR-10 missing", ["train", "--preset", "cifar10-dcgan", "--out", "c"], 1, "CIFAR-10 not found: put",
         write("data/.keep", ""), env={"NPGAN_DATA_DIR": "{work}/data", "NPGAN_CIFAR10_DIR": None}),
    Case("33 encode needs the test files alone", ["encode", f"{PRE}/npgan-mnist-encoder.npz", "--images", "3",
                                                  "-o", "z.npy"], 0, "",
         mnist_copy(only_test_files), no_network, env={"NPGAN_DATA_DIR": "{work}/data"}, unchanged=False,
         after=lambda w, m: np.load(w / "z.npy").shape == (3, 100) or pytest.fail("no codes")),
    Case("33 elbo needs the test files alone", ["elbo", f"{PRE}/npgan-mnist-vae-binary.npz", "-k", "2", "--images",
                                                "3", "-o", "b.json"], 0, "",
         mnist_copy(only_test_files), no_network, env={"NPGAN_DATA_DIR": "{work}/data"}, unchanged=False,
         after=lambda w, m: (w / "b.json").is_file() or pytest.fail("no bounds")),
    # ---- exit statuses and wording: the rest
    Case("34 a folder as the checkpoint", ["sample", "run", "-o", "s.png"], 2,
         "run is a folder; expected a checkpoint file (.npz), such as run/checkpoint.npz", copy("gan")),
    Case("34 an encoder, with its article", ["train", "--preset", "mnist-encoder", "--generator-file",
                                             f"{PRE}/npgan-mnist-encoder.npz", "--out", "e"], 2,
         "holds an encoder model; a post-hoc encoder inverts the G of a 'gan' model"),
    Case("34 an inpainter, with its article", ["train", "--preset", "mnist-encoder", "--generator-file",
                                               f"{PRE}/npgan-mnist-inpaint.npz", "--out", "e"], 2,
         "holds an inpaint model"),
    Case("34 --resume with --overwrite", ["train", "--resume", "run/checkpoint.npz", "--overwrite", "--epochs", "2"], 2,
         "--overwrite starts a new run and cannot be combined with --resume", copy("gan")),
    Case("34 resuming elsewhere a run another process trains", ["train", "--resume", "run/checkpoint.npz", "--epochs",
                                                                "2", "--out", "fork"], 2,
         f"run/checkpoint.npz belongs to a run that another npgan process (pid {os.getpid()}) is training",
         copy("gan"), training_elsewhere, unchanged=False, after=not_created("fork")),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_fault_is_one_line_and_loses_nothing(case, made, tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    if case.prepare:
        case.prepare(work, made)
    for name, value in case.env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value.format(work=work))
    try:
        if case.patch:
            case.patch(monkeypatch, work)
        before = tree_hash(work)
        argv = [word.format(made=made) for word in case.argv]
        message = tuple(part.replace("{work}", str(work)) for part in
                        (case.message if isinstance(case.message, tuple) else (case.message,)))
        status = main(argv)
        err = capsys.readouterr().err
        assert status == case.status, err
        if case.status:
            assert err.startswith(f"npgan {argv[0]}: error: ") and err.count("\n") == 1, err
            assert all(part in err for part in message) and "Traceback" not in err, err
        if case.unchanged:
            assert tree_hash(work) == before
        monkeypatch.undo()
        if case.after:
            monkeypatch.chdir(work)
            case.after(work, made)
    finally:
        while _HELD:
            _HELD.pop().release()


# ---- the Python API and the help -------------------------------------------------------------

def test_python_train_takes_the_run_folder_lock_and_refuses_a_second_run(tmp_path, capsys):
    config = get_preset("ring-8").replace(epochs=1, iters_per_epoch=2, sample_every=0)  # no pictures: fast
    out = tmp_path / "runs" / "toy-1d"
    out.mkdir(parents=True)
    lock = RunLock(str(out))  # README's "Ten lines" running in another process
    try:
        with pytest.raises(Exception, match=r"is being trained by another npgan process .*another out_dir"):
            train(config, out, quiet=True)
    finally:
        lock.release()
    assert sorted(os.listdir(out)) == [".lock"]  # nothing of a second run was written
    train(config, out, quiet=True)
    log = (out / "log.csv").read_bytes()
    with pytest.raises(Exception, match=r"already holds a run; continue it with train\(\.\.\., resume="):
        train(config, out, quiet=True)  # the same lines again, later: not a second run in one log.csv
    assert (out / "log.csv").read_bytes() == log
    train(config, out, quiet=False, overwrite=True)
    assert "moved the run that was in" in capsys.readouterr().out
    assert (tmp_path / "runs" / "toy-1d.replaced-1" / "log.csv").read_bytes() == log
    assert (out / "log.csv").read_text().count("\n") == 2  # header and one epoch: one run


def test_every_argument_of_every_command_has_help():
    parser = build_parser()
    commands = next(action for action in parser._actions if action.choices and "train" in action.choices)
    missing = []
    for name, sub in commands.choices.items():
        assert sub.description, f"npgan {name} --help has no description"
        for action in sub._actions:
            if not action.help:
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    assert not missing, missing


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_prints_its_help(name, capsys):
    # argparse formats help strings with %: a bare percent sign breaks --help at run time
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([name, "--help"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: npgan {name}")


def test_a_full_disk_keeps_the_old_file_and_names_the_space(tmp_path, monkeypatch):
    target = tmp_path / "result.json"
    target.write_text("old\n")
    full_disk("result.json", room=3)(monkeypatch, tmp_path)
    with pytest.raises(files.WriteError) as info:
        files.write_json({"value": 1}, target)
    assert info.value.errno == errno.ENOSPC and "its disk is full (it needs about 17 bytes" in str(info.value)
    assert target.read_text() == "old\n" and sorted(os.listdir(tmp_path)) == ["result.json"]


def test_a_resume_repairs_a_log_row_cut_short(tmp_path):
    config = get_preset("ring-8").replace(epochs=2, iters_per_epoch=2, sample_every=0)
    train(config, tmp_path / "whole", quiet=True)
    run = tmp_path / "run"
    train(config.replace(epochs=1), run, quiet=True)
    log = (run / "log.csv").read_text()
    (run / "log.csv").write_text(log[:log.rindex(",")])  # the disk filled while the row was appended
    train(config, run, resume=run / "checkpoint.npz", quiet=True)
    assert log_without_times(run / "log.csv") == log_without_times(tmp_path / "whole" / "log.csv")
    assert (run / "log.csv").read_text().splitlines()[1].split(",")[1] == "nan"  # its time was lost
