"""``npgan average``: the mean of the generators of several checkpoints of one run (Polyak averaging)."""

import os

from npgan import checkpoint
from npgan.cli.arguments import output_file, plural
from npgan.errors import UsageError
from npgan.loading import average_generators


def add_parser(sub, common):
    """Register ``average`` on the ``npgan`` command's subparsers."""
    p = sub.add_parser("average", parents=[common],
                       help="average the generators of several checkpoints of one run (Polyak averaging)")
    p.add_argument("checkpoints", nargs="+", help="checkpoints or generator files, e.g. RUN/snapshots/*.npz")
    p.add_argument("-o", "--output", required=True, help="the averaged generator file (.npz, float32)")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")
    p.set_defaults(func=run)
    return p


def run(args):
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
