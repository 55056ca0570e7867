"""``npgan inpaint``: complete the first N MNIST test images with a mask's pixels missing.

    npgan inpaint CKPT --mask {top,bottom,left,right,centre,random50,random90}
                  --images N [--per-image K] [--seed S] -o FILE(.png|.npy) [--force]

The mask names what is **missing** (``top``: the top half is missing, the bottom half
observed; ``center`` is accepted for ``centre``). ``Random(seed)`` draws the random masks
first (one per image, shared by its K completions), then the noise. A ``.npy`` holds
(N * K, 784) float32 in [0, 1], image by image (an image's K completions in a row), the
observed pixels equal to the originals'; a ``.png`` shows per row the original, the
masked input (missing pixels mid-grey) and the K completions.
"""

import numpy

from npgan import plots
from npgan.backend import Random, get_backend, to_numpy
from npgan.cli.arguments import (
    MAX_GRID,
    check_disk,
    check_memory,
    first_test_images,
    load_model,
    output_file,
    plural,
    positive_int,
    seed,
)
from npgan.errors import UsageError
from npgan.files import atomic_write
from npgan.models.inpainting import ALIASES, MASKS
from npgan.progress import Progress


def add_parser(sub, common):
    """Register ``inpaint`` on the ``npgan`` command's subparsers."""
    p = sub.add_parser("inpaint", parents=[common],
                       help="complete the first N MNIST test images with part of them missing (inpainting models)")
    p.add_argument("checkpoint", help="an inpainting checkpoint or model file (pretrained/npgan-mnist-inpaint.npz)")
    aliases = ", ".join(f"{a} = {b}" for a, b in ALIASES.items())
    p.add_argument("--mask", required=True, help=f"what is missing: one of {', '.join(MASKS)} ({aliases})")
    p.add_argument("--images", type=positive_int, default=10, help="the first N test images (default 10)")
    p.add_argument("--per-image", type=positive_int, default=1, help="completions of each image, K (default 1)")
    p.add_argument("--seed", type=seed, default=0, help="seed of the random masks and the noise (default 0)")
    p.add_argument("-o", "--output", required=True,
                   help=".npy (N*K, 784) image by image, or .png: original, masked input, completions")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")
    p.set_defaults(func=run)
    return p


def run(args):
    from npgan.models.inpainting.model import mask_name, observed_mask
    from npgan.models.inpainting.training import completion_rows

    try:
        name = mask_name(args.mask)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    output_file(args.output, (".png", ".npy"), args.force, [args.checkpoint])
    if args.output.endswith(".png") and args.images * (args.per_image + 2) > MAX_GRID:
        raise UsageError(f"--images {args.images} with --per-image {args.per_image} is too many for one picture "
                         f"({args.images * (args.per_image + 2)} tiles); expected at most {MAX_GRID} (or write a .npy)")
    model = load_model(args.checkpoint, "inpaint")
    rows, flags = args.images * args.per_image, f"--images {args.images} with --per-image {args.per_image}"
    # the images and masks repeated per completion, the completions and their concatenation, a float32 copy
    check_memory(rows * 784 * (4 * numpy.dtype(model.dtype).itemsize + 4), flags)
    if args.output.endswith(".npy"):
        check_disk(args.output, rows * 784 * 4 + 128, flags)
    x = first_test_images(model, args.images)
    rng = Random(args.seed)
    observed = observed_mask(name, len(x), rng, model.dtype)
    # About a thousand completions at a time, with progress: the noise is drawn in the
    # same order as in one call, so the completions are the same.
    rows, parts = max(1, 1000 // args.per_image), []
    with Progress(len(x), "inpainting", unit="images") as progress:
        for start in range(0, len(x), rows):
            part = slice(start, start + rows)
            parts.append(model.complete(x[part], observed[part], rng, per_image=args.per_image))
            progress.update(len(x[part]))
    completions = get_backend().concatenate(parts)
    if args.output.endswith(".npy"):
        host = numpy.ascontiguousarray(to_numpy(completions), dtype=numpy.float32)
        atomic_write(args.output, lambda f: numpy.save(f, host), size=host.nbytes + 128)
    else:
        plots.image_grid(completion_rows(x.astype(model.dtype), observed, completions, args.per_image), args.output,
                         ncols=args.per_image + 2, title=f"{name} missing: original, input, completions")
    print(f"wrote {plural(len(x) * args.per_image, 'completion')} of {plural(len(x), 'test image')} "
          f"({name} missing) to {args.output}")
    return 0
