"""``npgan encode``: the codes E(x) of the first N MNIST test images, for a model with an encoder."""

import numpy

from npgan.backend import to_numpy
from npgan.cli.arguments import add_encoder_command, first_test_images, load_model, output_file, plural
from npgan.files import atomic_write
from npgan.progress import in_chunks


def add_parser(sub, common):
    """Register ``encode`` on the ``npgan`` command's subparsers."""
    return add_encoder_command(sub, common, "encode", "the codes E(x) of the first N MNIST test images",
                               ".npy (N, code)", run)


def run(args):
    output_file(args.output, (".npy",), args.force, [args.checkpoint])
    loaded = load_model(args.checkpoint, "encode")
    codes = to_numpy(in_chunks(loaded.encode, first_test_images(loaded, args.images), "encoding"))
    atomic_write(args.output, lambda f: numpy.save(f, codes), size=codes.nbytes + 128)
    print(f"wrote the codes of {plural(args.images, 'test image')}, shape {codes.shape}, to {args.output}")
    return 0
