"""``npgan reconstruct``: G(E(x)) of the first N MNIST test images, for a model with an encoder."""

import numpy

from npgan import plots
from npgan.backend import to_numpy
from npgan.cli.arguments import (
    MAX_GRID,
    add_encoder_command,
    first_test_images,
    load_model,
    output_file,
    plural,
)
from npgan.errors import UsageError
from npgan.files import atomic_write
from npgan.progress import in_chunks


def add_parser(sub, common):
    """Register ``reconstruct`` on the ``npgan`` command's subparsers."""
    return add_encoder_command(sub, common, "reconstruct", "G(E(x)) for the first N MNIST test images",
                               ".npy (N, 784), or .png with the originals above", run)


def run(args):
    output_file(args.output, (".png", ".npy"), args.force, [args.checkpoint])
    if args.output.endswith(".png") and args.images > MAX_GRID // 2:
        raise UsageError(f"--images {args.images} is too many for one picture; expected at most {MAX_GRID // 2}")
    loaded = load_model(args.checkpoint, "reconstruct")
    originals = first_test_images(loaded, args.images)
    rebuilt = to_numpy(in_chunks(loaded.reconstruct, originals, "reconstructing"))
    if args.output.endswith(".npy"):
        atomic_write(args.output, lambda f: numpy.save(f, rebuilt), size=rebuilt.nbytes + 128)
    else:
        plots.originals_and_reconstructions(to_numpy(originals), rebuilt, args.output)
    print(f"wrote the reconstructions of {plural(args.images, 'test image')} to {args.output}")
    return 0
