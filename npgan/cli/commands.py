"""What each ``npgan`` command does, once ``cli`` has parsed and checked its arguments.

Every function takes the parsed ``args`` and returns the exit status; bad input raises
``UsageError`` (one line, exit 2) before anything is written.
"""

import os
import shutil
import sys
import time

import numpy

from npgan import checkpoint, plots, presets
from npgan.backend import Random, asarray, backend_name, to_numpy
from npgan.cli.arguments import output_file, plural
from npgan.datasets.idx import GREY_28, DataError, load_images, load_mnist
from npgan.errors import UsageError
from npgan.evaluation.neighbours import nearest_rows
from npgan.evaluation.parzen import parzen_protocol
from npgan.files import atomic_write, write_json
from npgan.loading import average_generators
from npgan.models.cgan.training import labels_path, sample_labels
from npgan.models.registry import family, load, require
from npgan.nn import gradcheck
from npgan.runfolder import claim, holds_a_run
from npgan.train import Interrupted, NonFiniteError, Trainer

MAX_GRID = 1000  # samples in one .png picture
SAMPLE_CHUNK = 10000  # samples drawn and written at a time into a .npy

# Config fields that `npgan train` flags may change (and, resuming, which must not change).
TRAIN_FLAGS = ("epochs", "k", "gen_loss", "update", "lr", "sample_every", "parzen_every", "eval_every", "average_from",
               "generator_file", "labels", "label_seed")


def read_checkpoint(path):
    try:
        return checkpoint.read(path)
    except checkpoint.CheckpointError as exc:
        raise UsageError(str(exc)) from None


def load_model(path, ability, averaged=False):
    """The model in ``path``; ``UsageError`` if it cannot be read or cannot do ``ability``."""
    try:
        loaded = load(path, averaged=averaged)
    except checkpoint.CheckpointError as exc:
        raise UsageError(str(exc)) from None
    require(loaded, ability, path)
    return loaded


# ---- train ---------------------------------------------------------------------------

def train_config(args):
    """The run's ``Config``: a preset's (or a checkpoint's) with the flags' changes."""
    if args.resume:
        if args.preset is not None:
            raise UsageError("--preset cannot be combined with --resume: the checkpoint holds its configuration")
        if args.seed is not None:
            raise UsageError("--seed cannot change when resuming (the checkpoint holds the random state)")
        config, state, _ = read_checkpoint(args.resume)
        if state["kind"] != "training":
            raise UsageError(f"{args.resume}: a generator-only file cannot be resumed")
        if args.k is not None and args.k != config.k and state["iteration"]:
            raise UsageError(f"{args.resume} stopped inside an epoch run with k = {config.k}; resume it with that k, "
                             "then change k at the next start")
    else:
        try:
            config = presets.get_preset(args.preset or "mnist")
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    changes = {name: getattr(args, name) for name in TRAIN_FLAGS if getattr(args, name) is not None}
    if args.seed is not None:
        changes["seed"] = args.seed
    try:
        return config.replace(**changes)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def cmd_train(args):
    config = train_config(args)
    if args.out == "":
        raise UsageError("--out is empty; expected a directory name")
    out = args.out or (os.path.dirname(os.path.abspath(args.resume)) if args.resume
                       else os.path.join("runs", args.preset or "mnist"))
    chosen = family(config)
    try:
        model = chosen.build(config)
    except DataError:
        raise  # the data files, not the command line: exit 1
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    trainer = Trainer(model, out, chosen.outputs, quiet=args.quiet)
    if args.resume:
        if os.path.abspath(out) != os.path.dirname(os.path.abspath(args.resume)) and holds_a_run(out):
            raise UsageError(f"{out} already holds another run; resume {args.resume} in its own folder "
                             "or into an empty one")
        try:
            trainer.restore(args.resume)  # reads and checks everything; writes nothing
        except checkpoint.CheckpointError as exc:
            raise UsageError(str(exc)) from None
        if trainer.epoch >= config.epochs:
            print(f"{args.resume} is already at epoch {trainer.epoch} of {config.epochs}; "
                  "pass --epochs N to train further", file=sys.stderr)
            return 0
    lock, moved = claim(out, resume=bool(args.resume), overwrite=args.overwrite)
    try:
        return _train(args, config, trainer, out, moved)
    finally:
        lock.release()


def _train(args, config, trainer, out, moved):
    if not args.quiet:
        if moved:
            print(f"moved the run that was in {out} to {moved}")
        what = f"from {args.resume}" if args.resume else (args.preset or "mnist")
        print(f"training {what} into {out} (backend {backend_name()}, {plural(config.epochs, 'epoch')})", flush=True)
    try:
        trainer.run()
    except Interrupted as exc:
        print(str(exc), file=sys.stderr)
        return 128 + (trainer.stop_signal or 2)
    except NonFiniteError as exc:
        print(f"npgan train: error: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"done: {trainer.checkpoint_path}")
    return 0


# ---- sample ------------------------------------------------------------------------------

def cmd_sample(args):
    output_file(args.output, (".png", ".npy"), args.force, [args.checkpoint])
    if args.output.endswith(".png") and args.n > MAX_GRID:
        raise UsageError(f"-n {args.n} is too many for one picture; expected at most {MAX_GRID} (or write a .npy)")
    gan = load_model(args.checkpoint, "sample", args.averaged)
    if args.nearest and (gan.config.dataset not in GREY_28 or args.output.endswith(".npy")):
        raise UsageError("--nearest draws a .png picture of an MNIST or Fashion-MNIST model's samples")
    labels = sample_labels(gan, args.n, args.label, args.checkpoint)  # None unless class-conditional
    if labels is not None and args.output.endswith(".npy"):
        output_file(labels_path(args.output), (".npy",), args.force, [args.checkpoint])
    rng = Random(args.seed)
    if args.output.endswith(".npy"):
        _save_samples_npy(gan, args.n, rng, args.output, labels)
    elif args.nearest:
        samples = gan.sample(args.n, rng=rng, **({} if labels is None else {"labels": labels}))
        train_x = load_images(gan.config.dataset).train_x
        plots.nearest_grid(samples, train_x[nearest_rows(samples, train_x)], args.output)
    elif labels is not None:  # one class per row of ten
        plots.image_grid(gan.sample(args.n, rng=rng, labels=labels), args.output)
    else:
        plots.save_samples(gan, gan.config.dataset, args.output, n=args.n, seed=args.seed)
    print(f"wrote {plural(args.n, 'sample')} to {args.output}")
    return 0


def _save_samples_npy(gan, n, rng, path, labels=None):
    """``n`` samples as a float32 .npy, drawn and written ``SAMPLE_CHUNK`` at a time (memory stays flat).

    labels: a class-conditional model's labels, one per sample, also written to ``FILE.labels.npy``.
    """
    features = gan.features
    size = n * features * 4
    free = shutil.disk_usage(os.path.dirname(os.path.abspath(path))).free
    if size > free:
        raise UsageError(f"-n {n} needs {size / 2**30:.1f} GiB for {path}, but its disk has "
                         f"{free / 2**30:.1f} GiB free")
    header = {"descr": numpy.lib.format.dtype_to_descr(numpy.dtype("float32")), "fortran_order": False,
              "shape": (n, features)}

    def write(f):
        numpy.lib.format.write_array_header_2_0(f, header)
        for start in range(0, n, SAMPLE_CHUNK):
            part = {} if labels is None else {"labels": labels[start:start + SAMPLE_CHUNK]}
            chunk = gan.sample(min(SAMPLE_CHUNK, n - start), rng=rng, **part)
            f.write(numpy.ascontiguousarray(to_numpy(chunk), dtype=numpy.float32).tobytes())

    atomic_write(path, write)
    if labels is not None:
        atomic_write(labels_path(path), lambda f: numpy.save(f, to_numpy(labels)))


# ---- parzen ---------------------------------------------------------------------------------

def cmd_parzen(args):
    out = args.output or os.path.splitext(args.checkpoint)[0] + "-parzen.json"
    output_file(out, (".json",), args.force, [args.checkpoint])
    gan = load_model(args.checkpoint, "parzen", args.averaged)
    if gan.config.dataset not in GREY_28:
        raise UsageError(f"{args.checkpoint}: Parzen evaluation is for image models ({', '.join(GREY_28)}), "
                         f"this one is {gan.config.dataset}")
    mnist = load_images(gan.config.dataset)
    print(f"Parzen window of {plural(args.samples, 'sample')} from {args.checkpoint}: sigma chosen on 1000 "
          f"validation images, the {len(mnist.test_x)} test images scored", flush=True)
    start = time.perf_counter()
    samples = gan.sample(args.samples, rng=Random(args.seed))
    result = parzen_protocol(samples, asarray(mnist.valid_x), asarray(mnist.test_x))
    result.update(checkpoint=args.checkpoint, seed=args.seed, total_seconds=time.perf_counter() - start)
    write_json(result, out)
    print(f"sigma {result['sigma']:.4f}  test log-likelihood {result['test_ll']:.2f} +- {result['test_se']:.2f} nats  "
          f"({result['n_samples']} samples, {result['total_seconds']:.1f} s)  -> {out}")
    return 0


# ---- gradcheck, presets, export, average -------------------------------------------------------

def cmd_gradcheck(args):
    rows = gradcheck.report(seed=args.seed)
    print(f"{'what':26s} {'gradient':12s} {'rel. error':>10s} {'tolerance':>9s}  result")
    failed = 0
    for what, grad, err, tol in rows:
        ok = err < tol
        failed += not ok
        print(f"{what:26s} {grad:12s} {err:10.2e} {tol:9.0e}  {'pass' if ok else 'FAIL'}")
    print(f"{len(rows) - failed} of {len(rows)} gradients pass (float64, central differences)")
    return 1 if failed else 0


def cmd_presets(args):
    for name, (description, _) in presets.PRESETS.items():
        print(f"{name:12s} {description}")
    return 0


def cmd_export(args):
    output_file(args.output, (".npz",), args.force, [args.checkpoint])
    gan = load_model(args.checkpoint, "sample", args.averaged)
    state = {"epoch": gan.state.get("epoch"), "source": os.path.basename(args.checkpoint)}
    if args.averaged:
        state["averaged_epochs"] = gan.state["averaged_epochs"]
    # G, and the encoder E of a family that has one (a VAE's file needs it to encode and reconstruct)
    networks = {name: getattr(gan, name) for name in ("G", "E") if getattr(gan, name, None) is not None}
    checkpoint.save(args.output, gan.config, state, networks, kind="generator", dtype="float32")
    count = sum(p.size for network in networks.values() for p in network.params.values())
    print(f"wrote {' and '.join(networks)} ({count} float32 parameters) to {args.output}")
    return 0


def cmd_average(args):
    output_file(args.output, (".npz",), args.force, args.checkpoints)
    paths = [os.path.abspath(p) for p in args.checkpoints]
    repeated = sorted({p for p in args.checkpoints if paths.count(os.path.abspath(p)) > 1})
    if repeated:
        raise UsageError(f"{', '.join(repeated)} given more than once; each generator counts once in the mean")
    try:
        gan = average_generators(args.checkpoints)
    except checkpoint.CheckpointError as exc:
        raise UsageError(str(exc)) from None
    checkpoint.save(args.output, gan.config, gan.state, {"G": gan.G}, kind="generator", dtype="float32")
    epochs = gan.state["averaged_epochs"]
    print(f"wrote the mean of {plural(len(epochs), 'generator')} (epochs {epochs[0]}..{epochs[-1]}) to {args.output}")
    return 0


# ---- encode, reconstruct (families that can) ----------------------------------------------

def first_test_images(loaded, n):
    """The first ``n`` test images of the data set ``loaded`` was trained on, on the backend."""
    if loaded.config.dataset != "mnist":
        raise UsageError(f"--images reads MNIST test images; this model was trained on {loaded.config.dataset}")
    test_x = load_mnist().test_x
    if n > len(test_x):
        raise UsageError(f"--images {n}: the test set has {len(test_x)} images")
    return asarray(test_x[:n])


def cmd_encode(args):
    output_file(args.output, (".npy",), args.force, [args.checkpoint])
    loaded = load_model(args.checkpoint, "encode")
    codes = to_numpy(loaded.encode(first_test_images(loaded, args.images)))
    atomic_write(args.output, lambda f: numpy.save(f, codes))
    print(f"wrote the codes of {plural(args.images, 'test image')}, shape {codes.shape}, to {args.output}")
    return 0


def cmd_reconstruct(args):
    output_file(args.output, (".png", ".npy"), args.force, [args.checkpoint])
    if args.output.endswith(".png") and args.images > MAX_GRID // 2:
        raise UsageError(f"--images {args.images} is too many for one picture; expected at most {MAX_GRID // 2}")
    loaded = load_model(args.checkpoint, "reconstruct")
    originals = first_test_images(loaded, args.images)
    rebuilt = to_numpy(loaded.reconstruct(originals))
    if args.output.endswith(".npy"):
        atomic_write(args.output, lambda f: numpy.save(f, rebuilt))
    else:
        plots.originals_and_reconstructions(to_numpy(originals), rebuilt, args.output)
    print(f"wrote the reconstructions of {plural(args.images, 'test image')} to {args.output}")
    return 0
