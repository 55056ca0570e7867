"""``npgan train``: train a preset (or resume a checkpoint) into a run folder.

The run folder is claimed and locked before the first step (``runfolder``), the
configuration checked before anything is written, and an interrupt saves a checkpoint
and prints the command that resumes it (``train``).
"""

import os
import sys

from npgan import checkpoint, presets
from npgan.backend import backend_name
from npgan.cli.arguments import non_negative_int, plural, positive_int, rate, read_checkpoint, seed
from npgan.config import UPDATES
from npgan.datasets import IMAGE_SHAPES, OWN
from npgan.datasets import own as own_images
from npgan.datasets.idx import DataError
from npgan.errors import UsageError
from npgan.models import family
from npgan.nn.losses import GENERATOR_LOSSES
from npgan.runfolder import claim
from npgan.train import Interrupted, NonFiniteError, Trainer

# Config fields that `npgan train` flags may change (and, resuming, which must not change).
TRAIN_FLAGS = ("epochs", "k", "gen_loss", "update", "lr", "sample_every", "parzen_every", "eval_every", "average_from",
               "average_rate", "generator_file", "labels", "label_seed")


def add_parser(sub, common):
    """Register ``train`` on the ``npgan`` command's subparsers."""
    p = sub.add_parser("train", parents=[common], help="train a model of any family (a preset, or resume a checkpoint)")
    p.add_argument("--preset", help="a named configuration (see `npgan presets`; default mnist)")
    p.add_argument("--epochs", type=positive_int,
                   help="total epochs of the run (a resumed run continues up to it); a new run scales the preset's "
                        "schedule (the rate's anneal, G's average, the momentum ramp) to it")
    p.add_argument("--batch-size", type=positive_int,
                   help="examples per minibatch (default the preset's); the schedule scales with the updates per epoch")
    p.add_argument("--data", metavar="PATH",
                   help="train on your own images: a folder of PNG/JPEG files (subfolders as classes) or a .npy/.npz "
                        f"array (N, H, W[, C]); {own_images.HELD_OUT:.0%}% of the images are held out "
                        "(README: Train on your own images)")
    p.add_argument("--image-size", type=positive_int, metavar="N",
                   help="with --data: resize the images to N x N (default the preset's: 28 for the MNIST presets)")
    p.add_argument("--k", type=positive_int, help="discriminator steps per generator step")
    p.add_argument("--gen-loss", choices=GENERATOR_LOSSES, help="generator objective")
    p.add_argument("--update", choices=UPDATES, help="Algorithm 1 order, or the public code's simultaneous update")
    p.add_argument("--lr", type=float, help="initial learning rate")
    p.add_argument("--seed", type=seed, help="seed of the run's random stream (an integer >= 0)")
    p.add_argument("--sample-every", type=non_negative_int, help="epochs between sample pictures (0: never)")
    p.add_argument("--parzen-every", type=non_negative_int, help="epochs between Parzen evaluations (MNIST; 0: never)")
    p.add_argument("--eval-every", type=non_negative_int,
                   help="epochs between Frechet distance and class-balance logs (MNIST, metrics.csv; 0: never)")
    p.add_argument("--average-from", type=non_negative_int,
                   help="keep the mean of G over the ends of epochs from this one on (0: off; "
                        "see results/mnist/mnist.md)")
    p.add_argument("--average-rate", type=rate, metavar="R",
                   help="with --average-from: an exponential moving average of G after every step instead, "
                        "avg += R (G - avg) (0: the mean of epoch ends)")
    p.add_argument("--generator-file", metavar="FILE",
                   help="model 'encoder' (--preset mnist-encoder): the generator file or GAN checkpoint E inverts")
    p.add_argument("--labels", type=non_negative_int,
                   help="--preset mnist-semisup: how many training images keep their label (a multiple of 10)")
    p.add_argument("--label-seed", type=seed, help="--preset mnist-semisup: seed of the draw of labelled images")
    p.add_argument("--out", help="run directory (default runs/PRESET, or the checkpoint's directory)")
    p.add_argument("--resume", metavar="CKPT", help="continue from a checkpoint (its configuration, in its folder)")
    p.add_argument("--overwrite", action="store_true",
                   help="start a new run in an --out that holds one, after moving the old run to OUT.replaced-N")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=run)
    return p


def train_config(args, notes=None):
    """The run's ``Config``: a preset's (or a checkpoint's) with the flags' changes.

    notes: a list that gets the lines worth telling the user (how your own images were read,
    how the preset's schedule was fitted to the run).
    """
    notes = [] if notes is None else notes
    data = getattr(args, "data", None)
    if data == "":
        raise UsageError("--data is empty; expected a folder of images or a .npy/.npz array")
    if getattr(args, "image_size", None) is not None and (not data or args.resume):
        raise UsageError("--image-size sets the size your own images are read at: it goes with --data, "
                         "on a new run")
    if args.resume:
        if args.overwrite:
            raise UsageError("--overwrite starts a new run and cannot be combined with --resume, which continues one")
        if getattr(args, "batch_size", None) is not None:
            raise UsageError("--batch-size cannot change when resuming (the epoch's order of examples depends on it)")
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
        if config.dataset == OWN and not data and not os.path.exists(config.data):
            raise UsageError(f"{args.resume} was trained on the images in {config.data}, which is gone; pass --data "
                             "PATH where they are now")
        if data:
            if config.dataset != OWN:
                raise UsageError(f"{args.resume} was trained on {config.dataset}; --data names the images of a run "
                                 "on your own images (it may move: the checkpoint knows them by their fingerprint)")
            config = config.replace(data=os.path.abspath(data))
    else:
        try:
            config = presets.get_preset(args.preset or "mnist")
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        config = _fit_preset(args, config, notes)
    changes = {name: getattr(args, name) for name in TRAIN_FLAGS if getattr(args, name) is not None}
    if not args.resume:
        changes.pop("epochs", None)  # _fit_preset set it, with the schedule
    if args.seed is not None:
        changes["seed"] = args.seed
    try:
        return config.replace(**changes)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _fit_preset(args, config, notes):
    """A preset on your own images (``--data``), with ``--epochs`` and ``--batch-size``, its schedule
    scaled to the new run (``presets.fit_schedule``); ``notes`` gets what changed."""
    train_size, preset_size = None, presets.TRAIN_SIZES.get(config.dataset)
    if args.data:
        if config.dataset not in IMAGE_SHAPES or config.model == "encoder" and not args.generator_file:
            what = "a toy distribution" if config.dataset not in IMAGE_SHAPES else "the committed MNIST generator"
            raise UsageError(f"--data trains an image model; preset {args.preset} is for {what} "
                             "(an encoder: --generator-file names a generator trained on your images)")
        loaded = own_images.load(args.data, args.image_size or IMAGE_SHAPES[config.dataset][1])  # or one line
        notes += [*loaded.notes, loaded.describe()]
        changes = dict(dataset=OWN, data=loaded.path, image_shape=loaded.shape, classes=len(loaded.classes))
        if config.eval_every:
            changes["eval_every"] = 0
            notes.append("eval_every set to 0: the Frechet distance needs a classifier of the data, which your own "
                         "images have not (npgan evaluate reports what applies)")
        flags = {name: getattr(args, name) for name in TRAIN_FLAGS if name != "epochs" and getattr(args, name)
                 is not None}  # with the data, checked together (--labels with the data's classes)
        try:
            config = config.replace(**changes, **flags)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        train_size = len(loaded.split.train_x)
    try:
        config, note = presets.fit_schedule(config, args.epochs, args.batch_size, train_size, preset_size)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if note:
        notes.append(note)
    return config


def run(args):
    notes = []
    config = train_config(args, notes)
    if args.out == "":
        raise UsageError("--out is empty; expected a directory name")
    name = args.preset or "mnist"
    if getattr(args, "data", None) and not args.resume:
        name += "-" + os.path.splitext(os.path.basename(os.path.normpath(args.data)))[0]
    out = args.out or ((os.path.dirname(args.resume) or ".") if args.resume  # the checkpoint's folder, as given
                       else os.path.join("runs", name))
    chosen = family(config.model)
    try:
        model = chosen.build(config)
    except DataError:
        raise  # the data files, not the command line: exit 1
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    trainer = Trainer(model, out, chosen.outputs, quiet=args.quiet)
    if args.resume:
        try:
            trainer.restore(args.resume)  # reads and checks everything; writes nothing
        except checkpoint.CheckpointError as exc:
            raise UsageError(str(exc)) from None
        if trainer.epoch >= config.epochs:
            print(f"{args.resume} is already at epoch {trainer.epoch} of {config.epochs}; "
                  "pass --epochs N to train further", file=sys.stderr)
            return 0
    lock, moved = claim(out, resume=args.resume, overwrite=args.overwrite, log_columns=trainer.log_columns)
    if not args.quiet:
        for line in notes:
            print(line, flush=True)
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
