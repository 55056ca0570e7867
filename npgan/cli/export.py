"""``npgan export``: a training checkpoint's generator (and encoder) alone, float32, for ``pretrained/``."""

import os

from npgan.cli.arguments import load_model, output_file


def add_parser(sub, common):
    """Register ``export`` on the ``npgan`` command's subparsers."""
    p = sub.add_parser("export", parents=[common],
                       help="write a checkpoint's generator alone, float32 (for pretrained/)")
    p.add_argument("checkpoint", help="a training checkpoint (e.g. runs/mnist/checkpoint.npz) or model file")
    p.add_argument("-o", "--output", required=True, help="the model file to write (.npz): G, and E where the "
                                                         "family has one, float32")
    p.add_argument("--averaged", action="store_true",
                   help="the run's averaged generator (average_from > 0) instead of the last one")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")
    p.set_defaults(func=run)
    return p


def run(args):
    from npgan.models.common import save_model_file

    output_file(args.output, (".npz",), args.force, [args.checkpoint])
    model = load_model(args.checkpoint, "sample", args.averaged)
    state = {"epoch": model.state.get("epoch"), "source": os.path.basename(args.checkpoint)}
    if args.averaged:  # which average: of epoch ends, or moving over steps
        state.update({key: model.state[key] for key in ("averaged_epochs", "moving_average") if key in model.state})
    # G, and the encoder E of a family that has one (a VAE's file needs it to encode and reconstruct)
    networks = save_model_file(args.output, model, state, dtype="float32")
    count = sum(p.size for network in networks.values() for p in network.params.values())
    print(f"wrote {' and '.join(networks)} ({count} float32 parameters) to {args.output}")
    return 0
