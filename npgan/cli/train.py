"""``npgan train``: train a preset (or resume a checkpoint) into a run folder.

The run folder is claimed and locked before the first step (``runfolder``), the
configuration checked before anything is written, and an interrupt saves a checkpoint
and prints the command that resumes it (``train``).
"""

import os
import sys

from npgan import checkpoint, presets
from npgan.backend import backend_name
from npgan.cli.arguments import non_negative_int, plural, positive_int, read_checkpoint, seed
from npgan.config import UPDATES
from npgan.datasets.idx import DataError
from npgan.errors import UsageError
from npgan.models import family
from npgan.nn.losses import GENERATOR_LOSSES
from npgan.runfolder import claim
from npgan.train import Interrupted, NonFiniteError, Trainer

# Config fields that `npgan train` flags may change (and, resuming, which must not change).
TRAIN_FLAGS = ("epochs", "k", "gen_loss", "update", "lr", "sample_every", "parzen_every", "eval_every", "average_from",
               "generator_file", "labels", "label_seed")


def add_parser(sub, common):
    """Register ``train`` on the ``npgan`` command's subparsers."""
    p = sub.add_parser("train", parents=[common], help="train a model of any family (a preset, or resume a checkpoint)")
    p.add_argument("--preset", help="a named configuration (see `npgan presets`; default mnist)")
    p.add_argument("--epochs", type=positive_int, help="total epochs of the run (a resumed run continues up to it)")
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


def train_config(args):
    """The run's ``Config``: a preset's (or a checkpoint's) with the flags' changes."""
    if args.resume:
        if args.overwrite:
            raise UsageError("--overwrite starts a new run and cannot be combined with --resume, which continues one")
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


def run(args):
    config = train_config(args)
    if args.out == "":
        raise UsageError("--out is empty; expected a directory name")
    out = args.out or ((os.path.dirname(args.resume) or ".") if args.resume  # the checkpoint's folder, as given
                       else os.path.join("runs", args.preset or "mnist"))
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
