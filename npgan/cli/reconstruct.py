"""``npgan reconstruct``: G(E(x)) of the first N MNIST test images, for a model with an encoder."""

import numpy

from npgan import plots
from npgan.backend import to_numpy
from npgan.cli.arguments import MAX_GRID, first_test_images, load_model, output_file, plural, positive_int
from npgan.errors import UsageError
from npgan.files import atomic_write


def add_parser(sub, common):
    """Register ``reconstruct`` on the ``npgan`` command's subparsers."""
    p = sub.add_parser("reconstruct", parents=[common],
                       help="G(E(x)) for the first N MNIST test images (models with an encoder)")
    p.add_argument("checkpoint", help="a model file or training checkpoint of a family that can reconstruct")
    p.add_argument("--images", type=positive_int, default=100, help="the first N test images (default 100)")
    p.add_argument("-o", "--output", required=True, help=".npy (N, 784), or .png with the originals above")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")
    p.set_defaults(func=run)
    return p


def run(args):
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
