"""``npgan elbo``: a VAE's bounds on log p(x) of the MNIST test set, in nats per image.

The math is ``npgan.models.autoencoders.bounds``; this command reads the model, the test
images and the flags, and reports.
"""

import os
import time

import numpy

from npgan.backend import Random
from npgan.cli.arguments import check_memory, first_test_images, load_model, output_file, positive_int, seed
from npgan.files import write_json


def add_parser(sub, common):
    """Register ``npgan elbo`` on the ``npgan`` command's subparsers."""
    p = sub.add_parser("elbo", parents=[common],
                       help="a VAE's ELBO and importance-weighted bound on log p(x) of the MNIST test set (nats)")
    p.add_argument("checkpoint", help="a VAE's model file or training checkpoint (e.g. "
                                      "pretrained/npgan-mnist-vae-binary.npz)")
    p.add_argument("-k", type=positive_int, default=1000,
                   help="draws from q(z|x) per image for the importance-weighted bound (default 1000)")
    p.add_argument("--images", type=positive_int, default=10000, help="the first N test images (default all 10000)")
    p.add_argument("--seed", type=seed, default=0, help="seed of the draws of eps (default 0)")
    p.add_argument("-o", "--output", help="also write the results as JSON to this file")
    p.add_argument("--force", action="store_true", help="replace the -o file if it exists")
    p.set_defaults(func=run)
    return p


def memory_needed(vae, k, images):
    """About the bytes ``bounds`` holds at once for ``k`` draws: at least one image's k draws
    of z, decoded through G (its activations, the logits) and scored in float64."""
    from npgan.models.autoencoders.bounds import ROWS_PER_CHUNK

    widths = [int(value.shape[-1]) for key, value in vae.G.params.items() if key.endswith("W")]
    item = numpy.dtype(vae.config.dtype).itemsize
    per_draw = item * (3 * vae.code_dim + 2 * sum(widths)) + 8 * (4 * vae.code_dim + 2 * widths[-1])
    rows = max(1, ROWS_PER_CHUNK // k) * k if k <= ROWS_PER_CHUNK else k
    return min(rows, images * k) * per_draw


def run(args):
    from npgan.models.autoencoders.bounds import bounds, summary
    from npgan.models.autoencoders.training import evaluation_images

    if args.output:
        output_file(args.output, (".json",), args.force, [args.checkpoint])
    vae = load_model(args.checkpoint, "elbo")
    check_memory(memory_needed(vae, args.k, args.images), f"-k {args.k}")
    first_test_images(vae, args.images)  # refuses too many images in one line
    x = evaluation_images(vae.config, "test", args.images)
    start = time.perf_counter()
    result = {name: summary(values) for name, values in bounds(vae, x, args.k, Random(args.seed)).items()}
    binary = vae.config.ae_binarize == "stochastic"
    pixels = ("binarised test images (0/1 pixels drawn once, seed 0): log-probabilities" if binary
              else "grey test images: a Bernoulli cross-entropy bound, NOT a log-likelihood of the images")
    (elbo, elbo_se), (iw, iw_se) = result["elbo"], result["iw"]
    print(f"{args.checkpoint}: {args.images} {pixels}")
    print(f"  ELBO                            {elbo:9.2f} +- {elbo_se:.2f} nats per image")
    print(f"  importance-weighted, k = {args.k:<6d} {iw:9.2f} +- {iw_se:.2f} nats per image")
    seconds = time.perf_counter() - start
    print(f"  ({seconds:.1f} s)")
    if args.output:
        write_json({"checkpoint": os.fspath(args.checkpoint), "images": args.images, "k": args.k, "seed": args.seed,
                    "binarized": binary, "elbo": elbo, "elbo_se": elbo_se, "iw_bound": iw, "iw_bound_se": iw_se,
                    "seconds": round(seconds, 2)}, args.output)
        print(f"wrote {args.output}")
    return 0
