"""``npgan encode``: the codes E(x) of the first N MNIST test images, for a model with an encoder."""

import numpy

from npgan.backend import to_numpy
from npgan.cli.arguments import first_test_images, load_model, output_file, plural, positive_int
from npgan.files import atomic_write


def add_parser(sub, common):
    """Register ``encode`` on the ``npgan`` command's subparsers."""
    p = sub.add_parser("encode", parents=[common],
                       help="the codes E(x) of the first N MNIST test images (models with an encoder)")
    p.add_argument("checkpoint", help="a model file or training checkpoint of a family that can encode")
    p.add_argument("--images", type=positive_int, default=100, help="the first N test images (default 100)")
    p.add_argument("-o", "--output", required=True, help=".npy (N, code)")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")
    p.set_defaults(func=run)
    return p


def run(args):
    output_file(args.output, (".npy",), args.force, [args.checkpoint])
    loaded = load_model(args.checkpoint, "encode")
    codes = to_numpy(loaded.encode(first_test_images(loaded, args.images)))
    atomic_write(args.output, lambda f: numpy.save(f, codes))
    print(f"wrote the codes of {plural(args.images, 'test image')}, shape {codes.shape}, to {args.output}")
    return 0
