"""The ``npgan`` command: train, sample, parzen, gradcheck, presets, export, average.

Every bad input (unknown flag, bad value, unreadable checkpoint, an output path that
cannot be used) gives one line ``npgan <command>: error: ...`` on stderr and exit
status 2, and is caught before anything is written.
"""

import argparse
import os
import sys
import time

from npgan import evaluate
from npgan.errors import UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of argparse's usage + error
        raise UsageError(message)


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _out_dir(path):
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"output directory {path} is a file")
    return path


def _out_file(path, suffixes):
    if not path.endswith(suffixes):
        raise UsageError(f"output file {path} must end in {' or '.join(suffixes)}")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"directory {parent} of the output file does not exist")
    if os.path.isdir(path):
        raise UsageError(f"output file {path} is a directory")
    return path


def _read_checkpoint(path):
    from npgan import checkpoint

    try:
        return checkpoint.read(path)
    except checkpoint.CheckpointError as exc:
        raise UsageError(str(exc)) from None


def _load_gan(path, averaged=False):
    import npgan
    from npgan import checkpoint

    try:
        return npgan.load(path, averaged=averaged)
    except checkpoint.CheckpointError as exc:
        raise UsageError(str(exc)) from None


# ---- train ---------------------------------------------------------------------

def cmd_train(args):
    from npgan import presets
    from npgan.gan_model import GANModel
    from npgan.backend import backend_name
    from npgan.gan_outputs import epoch_outputs
    from npgan.train import Interrupted, NonFiniteError, Trainer

    if args.resume:
        config, state, _ = _read_checkpoint(args.resume)
        if state["kind"] != "training":
            raise UsageError(f"{args.resume}: a generator-only file cannot be resumed")
        out = args.out or os.path.dirname(os.path.abspath(args.resume))
    else:
        try:
            config = presets.get_preset(args.preset)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        out = args.out or os.path.join("runs", args.preset)
    changes = {name: getattr(args, name) for name in
               ("epochs", "k", "gen_loss", "update", "lr", "sample_every", "parzen_every", "average_from")
               if getattr(args, name) is not None}
    if args.seed is not None:
        if args.resume:
            raise UsageError("--seed cannot change when resuming (the checkpoint holds the generator state)")
        changes["seed"] = args.seed
    try:
        config = config.replace(**changes)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    _out_dir(out)
    try:
        model = GANModel(config)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    trainer = Trainer(model, out, epoch_outputs, quiet=args.quiet)
    if args.resume:
        trainer.restore(args.resume)
        if trainer.epoch >= config.epochs:
            print(f"{args.resume} is already at epoch {trainer.epoch} of {config.epochs}; "
                  "pass --epochs N to train further", file=sys.stderr)
            return 0
    if not args.quiet:
        print(f"training {args.preset if not args.resume else 'from ' + args.resume} into {out} "
              f"(backend {backend_name()}, {config.epochs} epochs)", flush=True)
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


# ---- sample ----------------------------------------------------------------------

def cmd_sample(args):
    import numpy

    from npgan.backend import Random, to_numpy
    from npgan.files import atomic_write

    _out_file(args.output, (".png", ".npy"))
    gan = _load_gan(args.checkpoint, args.averaged)
    samples = gan.sample(args.n, rng=Random(args.seed))
    if args.output.endswith(".npy"):
        host = to_numpy(samples)
        atomic_write(args.output, lambda f: numpy.save(f, host))
    elif args.nearest:
        if gan.config.dataset != "mnist":
            raise UsageError("--nearest needs an MNIST model")
        from npgan import plots
        from npgan.data import load_mnist
        from npgan.neighbours import nearest_rows

        train_x = load_mnist().train_x
        plots.nearest_grid(samples, train_x[nearest_rows(samples, train_x)], args.output)
    else:
        from npgan import plots

        plots.save_samples(gan, gan.config.dataset, args.output, n=args.n, seed=args.seed)
    print(f"wrote {args.n} samples to {args.output}")
    return 0


# ---- parzen -----------------------------------------------------------------------

def cmd_parzen(args):
    from npgan.backend import Random, asarray
    from npgan.data import load_mnist
    from npgan.files import write_json
    from npgan.parzen import parzen_protocol

    out = args.output or os.path.splitext(args.checkpoint)[0] + "-parzen.json"
    _out_file(out, (".json",))
    gan = _load_gan(args.checkpoint, args.averaged)
    if gan.config.dataset != "mnist":
        raise UsageError(f"{args.checkpoint}: Parzen evaluation is for MNIST models, this one is {gan.config.dataset}")
    mnist = load_mnist()
    start = time.perf_counter()
    samples = gan.sample(args.samples, rng=Random(args.seed))
    result = parzen_protocol(samples, asarray(mnist.valid_x), asarray(mnist.test_x))
    result.update(checkpoint=args.checkpoint, seed=args.seed,
                  total_seconds=time.perf_counter() - start)
    write_json(result, out)
    print(f"sigma {result['sigma']:.4f}  test log-likelihood {result['test_ll']:.2f} +- {result['test_se']:.2f} nats  "
          f"({result['n_samples']} samples, {result['total_seconds']:.1f} s)  -> {out}")
    return 0


# ---- gradcheck, presets, export ----------------------------------------------------------

def cmd_gradcheck(args):
    from npgan import gradcheck

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
    from npgan.presets import PRESETS

    for name, (description, _) in PRESETS.items():
        print(f"{name:12s} {description}")
    return 0


def cmd_export(args):
    from npgan import checkpoint

    _out_file(args.output, (".npz",))
    gan = _load_gan(args.checkpoint, args.averaged)
    state = {"epoch": gan.state.get("epoch"), "source": os.path.basename(args.checkpoint)}
    if args.averaged:
        state["averaged_epochs"] = gan.state["averaged_epochs"]
    checkpoint.save(args.output, gan.config, state, {"G": gan.G}, kind="generator", dtype="float32")
    print(f"wrote the generator ({sum(p.size for p in gan.G.params.values())} float32 parameters) to {args.output}")
    return 0


def cmd_average(args):
    from npgan import checkpoint
    from npgan.loading import average_generators

    _out_file(args.output, (".npz",))
    if os.path.abspath(args.output) in {os.path.abspath(p) for p in args.checkpoints}:
        raise UsageError(f"output file {args.output} is one of the inputs")
    try:
        gan = average_generators(args.checkpoints)
    except checkpoint.CheckpointError as exc:
        raise UsageError(str(exc)) from None
    checkpoint.save(args.output, gan.config, gan.state, {"G": gan.G}, kind="generator", dtype="float32")
    epochs = gan.state["averaged_epochs"]
    print(f"wrote the mean of {len(epochs)} generators (epochs {epochs[0]}..{epochs[-1]}) to {args.output}")
    return 0


def build_parser():
    from npgan.losses import GENERATOR_LOSSES
    from npgan.presets import UPDATES

    parser = _Parser(prog="npgan", description="Generative Adversarial Nets from scratch in NumPy.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    common = _Parser(add_help=False)
    common.add_argument("--backend", choices=["numpy", "cupy"], help="array backend (default: $NPGAN_BACKEND or numpy)")

    p = sub.add_parser("train", parents=[common], help="train a GAN (Algorithm 1)")
    p.add_argument("--preset", default="mnist", help="a named configuration (see `npgan presets`)")
    p.add_argument("--epochs", type=_positive_int, help="total epochs of the run (a resumed run continues up to it)")
    p.add_argument("--k", type=_positive_int, help="discriminator steps per generator step")
    p.add_argument("--gen-loss", choices=GENERATOR_LOSSES, help="generator objective")
    p.add_argument("--update", choices=UPDATES, help="Algorithm 1 order, or the public code's simultaneous update")
    p.add_argument("--lr", type=float, help="initial learning rate")
    p.add_argument("--seed", type=int)
    p.add_argument("--sample-every", type=int, help="epochs between sample pictures (0: never)")
    p.add_argument("--parzen-every", type=int, help="epochs between Parzen evaluations (MNIST; 0: never)")
    p.add_argument("--average-from", type=int,
                   help="keep the mean of G over the ends of epochs from this one on (0: off; see results/mnist.md)")
    p.add_argument("--out", help="run directory (default runs/PRESET, or the checkpoint's directory)")
    p.add_argument("--resume", metavar="CKPT", help="continue from a checkpoint")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("sample", parents=[common], help="draw samples from a checkpoint")
    p.add_argument("checkpoint")
    p.add_argument("-n", type=_positive_int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", required=True, help=".png picture or .npy array (n, features)")
    p.add_argument("--nearest", action="store_true", help="beside each sample its nearest training image (paper's Figure 2)")
    p.add_argument("--averaged", action="store_true", help="sample the run's averaged generator (average_from > 0)")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("parzen", parents=[common], help="Parzen-window log-likelihood of the MNIST test set (the paper's protocol)")
    p.add_argument("checkpoint")
    p.add_argument("--samples", type=_positive_int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", help="JSON result file (default: beside the checkpoint)")
    p.add_argument("--averaged", action="store_true", help="evaluate the run's averaged generator (average_from > 0)")
    p.set_defaults(func=cmd_parzen)

    p = sub.add_parser("gradcheck", parents=[common], help="float64 gradient check of every layer, loss and a paper-shaped D and G")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_gradcheck)

    p = sub.add_parser("presets", help="list the named configurations")
    p.set_defaults(func=cmd_presets)

    p = sub.add_parser("export", help="write a checkpoint's generator alone, float32 (for pretrained/)")
    p.add_argument("checkpoint")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--averaged", action="store_true",
                   help="the run's averaged generator (average_from > 0) instead of the last one")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("average", help="average the generators of several checkpoints of one run (Polyak averaging)")
    p.add_argument("checkpoints", nargs="+", help="checkpoints or generator files, e.g. RUN/snapshots/*.npz")
    p.add_argument("-o", "--output", required=True, help="the averaged generator file (.npz, float32)")
    p.set_defaults(func=cmd_average)

    evaluate.add_parser(sub, common)
    return parser


def main(argv=None):
    from npgan.data import DataError

    parser = build_parser()
    command = "npgan"
    try:
        args = parser.parse_args(argv)
        command = f"npgan {args.command}"
        if getattr(args, "backend", None):
            import npgan

            try:
                npgan.set_backend(args.backend)
            except RuntimeError as exc:  # CuPy missing, or no GPU: the message says which
                raise UsageError(str(exc)) from None
        return args.func(args)
    except UsageError as exc:
        print(f"{command}: error: {exc}", file=sys.stderr)
        return 2
    except DataError as exc:
        print(f"{command}: error: {exc}", file=sys.stderr)
        return 1
