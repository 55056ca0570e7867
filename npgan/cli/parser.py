"""The ``npgan`` command: its arguments, and one line for every error.

``main(argv)`` parses, selects the array backend (``--backend``, else ``$NPGAN_BACKEND``,
else NumPy; read only when a command needs one), and runs the command (``commands``).
Every bad input (unknown flag, bad value, unreadable checkpoint, an output path that
cannot be used) gives one line ``npgan <command>: error: ...`` on stderr and exit status
2, before anything is written; a failure while working (bad data files) exits 1; Ctrl-C
outside training (which saves and resumes, see ``train``) exits 130 with one line.
"""

import argparse
import os
import sys

from npgan import backend
from npgan.cli import classify as classify_command
from npgan.cli import commands, evaluate
from npgan.cli import inpaint as inpaint_command
from npgan.cli.arguments import non_negative_int, positive_int, seed
from npgan.datasets.idx import DataError
from npgan.errors import UsageError
from npgan.models.autoencoders import bounds as likelihood_bounds
from npgan.models.cgan.training import label_argument
from npgan.nn.losses import GENERATOR_LOSSES
from npgan.presets import UPDATES

COMMANDS_WITHOUT_BACKEND = ("presets",)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of argparse's usage + error
        raise UsageError(message)


def _train_parser(sub, common):
    p = sub.add_parser("train", parents=[common], help="train a GAN (Algorithm 1)")
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
                   help="keep the mean of G over the ends of epochs from this one on (0: off; see results/mnist.md)")
    p.add_argument("--generator-file", metavar="FILE",
                   help="model 'encoder' (--preset mnist-encoder): the generator file or GAN checkpoint E inverts")
    classify_command.add_train_arguments(p, seed)
    p.add_argument("--out", help="run directory (default runs/PRESET, or the checkpoint's directory)")
    p.add_argument("--resume", metavar="CKPT", help="continue from a checkpoint (its configuration, in its folder)")
    p.add_argument("--overwrite", action="store_true",
                   help="start a new run in an --out that holds one, after moving the old run to OUT.replaced-N")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=commands.cmd_train)


def build_parser():
    parser = _Parser(prog="npgan", description="Generative Adversarial Nets from scratch in NumPy.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    common = _Parser(add_help=False)
    common.add_argument("--backend", choices=backend.BACKENDS, help="array backend (default: $NPGAN_BACKEND or numpy)")
    _train_parser(sub, common)

    p = sub.add_parser("sample", parents=[common], help="draw samples from a checkpoint")
    p.add_argument("checkpoint")
    p.add_argument("-n", type=positive_int, default=100, help="number of samples (default 100)")
    p.add_argument("--seed", type=seed, default=0)
    p.add_argument("-o", "--output", required=True, help=".png picture or .npy array (n, features)")
    p.add_argument("--nearest", action="store_true",
                   help="beside each sample its nearest training image (paper's Figure 2)")
    p.add_argument("--averaged", action="store_true", help="sample the run's averaged generator (average_from > 0)")
    p.add_argument("--label", type=label_argument,
                   help="class-conditional models: draw every sample of this digit (0..9); without it, n/10 of "
                        "each in label order (one class per .png row; a .npy gets FILE.labels.npy beside it)")
    p.add_argument("--force", action="store_true", help="replace the output file(s) if they exist")
    p.set_defaults(func=commands.cmd_sample)

    p = sub.add_parser("parzen", parents=[common],
                       help="Parzen-window log-likelihood of the MNIST test set (the paper's protocol)")
    p.add_argument("checkpoint")
    p.add_argument("--samples", type=positive_int, default=10000)
    p.add_argument("--seed", type=seed, default=0)
    p.add_argument("-o", "--output", help="JSON result file (default: beside the checkpoint)")
    p.add_argument("--averaged", action="store_true", help="evaluate the run's averaged generator (average_from > 0)")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")
    p.set_defaults(func=commands.cmd_parzen)

    p = sub.add_parser("gradcheck", parents=[common],
                       help="float64 gradient check of every layer, loss and a paper-shaped D and G")
    p.add_argument("--seed", type=seed, default=0)
    p.set_defaults(func=commands.cmd_gradcheck)

    p = sub.add_parser("presets", help="list the named configurations")
    p.set_defaults(func=commands.cmd_presets)

    p = sub.add_parser("export", parents=[common],
                       help="write a checkpoint's generator alone, float32 (for pretrained/)")
    p.add_argument("checkpoint")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--averaged", action="store_true",
                   help="the run's averaged generator (average_from > 0) instead of the last one")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")
    p.set_defaults(func=commands.cmd_export)

    p = sub.add_parser("average", parents=[common],
                       help="average the generators of several checkpoints of one run (Polyak averaging)")
    p.add_argument("checkpoints", nargs="+", help="checkpoints or generator files, e.g. RUN/snapshots/*.npz")
    p.add_argument("-o", "--output", required=True, help="the averaged generator file (.npz, float32)")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")
    p.set_defaults(func=commands.cmd_average)

    for name, what, suffixes in (("encode", "the codes E(x) of the first N MNIST test images", ".npy (N, code)"),
                                  ("reconstruct", "G(E(x)) for the first N MNIST test images",
                                   ".npy (N, 784), or .png with the originals above")):
        p = sub.add_parser(name, parents=[common], help=f"{what} (models with an encoder)")
        p.add_argument("checkpoint")
        p.add_argument("--images", type=positive_int, default=100, help="the first N test images (default 100)")
        p.add_argument("-o", "--output", required=True, help=suffixes)
        p.add_argument("--force", action="store_true", help="replace the output file if it exists")
        p.set_defaults(func=getattr(commands, f"cmd_{name}"))

    evaluate.add_parser(sub, common)
    likelihood_bounds.add_parser(sub, common)
    classify_command.add_parser(sub, common)
    inpaint_command.add_parser(sub, common)
    return parser


def _command_name(argv):
    """``npgan train`` for the words of a command line (before it is parsed), else ``npgan``."""
    names = {"train", "sample", "parzen", "gradcheck", "presets", "export", "average", "evaluate", "encode",
             "reconstruct", "classify", "inpaint", "elbo"}
    first = next((word for word in argv if not word.startswith("-")), None)
    return f"npgan {first}" if first in names else "npgan"


def _select_backend(args):
    """``--backend`` wins over ``$NPGAN_BACKEND``; either way a bad one is a usage error."""
    name = getattr(args, "backend", None) or os.environ.get("NPGAN_BACKEND", "").strip().lower() or "numpy"
    where = "--backend" if getattr(args, "backend", None) else "NPGAN_BACKEND"
    if name not in backend.BACKENDS:
        raise UsageError(f"{where}={name!r} is not a backend; expected one of {', '.join(backend.BACKENDS)}")
    try:
        backend.set_backend(name)
    except RuntimeError as exc:  # CuPy missing, or no GPU: the message says which
        raise UsageError(f"{where}={name}: {exc}") from None


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    command = _command_name(argv)
    try:
        args = build_parser().parse_args(argv)
        if args.command not in COMMANDS_WITHOUT_BACKEND:
            _select_backend(args)
        return args.func(args)
    except UsageError as exc:
        print(f"{command}: error: {exc}", file=sys.stderr)
        return 2
    except DataError as exc:
        print(f"{command}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`npgan presets | head -1`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        # The Parzen estimator's worker threads would hold up interpreter shutdown; the
        # command has written nothing half-way (files are atomic), so leave at once.
        print(f"{command}: interrupted", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(130)
