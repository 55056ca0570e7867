"""``npgan parzen``: the paper's Parzen-window log-likelihood of a model file's samples."""

import os
import time

from npgan.backend import Random, asarray
from npgan.cli.arguments import load_model, output_file, plural, positive_int, seed
from npgan.datasets import GREY_28, load_images
from npgan.errors import UsageError
from npgan.evaluation.parzen import parzen_protocol
from npgan.files import write_json


def add_parser(sub, common):
    """Register ``parzen`` on the ``npgan`` command's subparsers."""
    p = sub.add_parser("parzen", parents=[common],
                       help="Parzen-window log-likelihood of the MNIST test set (the paper's protocol)")
    p.add_argument("checkpoint", help="a model file or training checkpoint of an MNIST or Fashion-MNIST "
                                      "generator (e.g. pretrained/npgan-mnist-generator.npz)")
    p.add_argument("--samples", type=positive_int, default=10000,
                   help="samples drawn for the Parzen window (default 10000, the paper's)")
    p.add_argument("--seed", type=seed, default=0, help="seed of the generator's noise (default 0)")
    p.add_argument("-o", "--output", help="JSON result file (default: beside the checkpoint)")
    p.add_argument("--averaged", action="store_true", help="evaluate the run's averaged generator (average_from > 0)")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")
    p.set_defaults(func=run)
    return p


def run(args):
    out = args.output or os.path.splitext(args.checkpoint)[0] + "-parzen.json"
    output_file(out, (".json",), args.force, [args.checkpoint])
    gan = load_model(args.checkpoint, "parzen", args.averaged)
    if gan.config.dataset not in GREY_28:
        raise UsageError(f"{args.checkpoint}: Parzen evaluation is for image models ({', '.join(GREY_28)}), "
                         f"this one is {gan.config.dataset}")
    mnist = load_images(gan.config.dataset)
    print(f"Parzen window of {plural(args.samples, 'sample')} from {args.checkpoint}: sigma chosen on 1000 "
          f"validation images, the {len(mnist.test_x)} test images scored", flush=True)
    start = time.perf_counter()
    samples = gan.sample(args.samples, rng=Random(args.seed))
    result = parzen_protocol(samples, asarray(mnist.valid_x), asarray(mnist.test_x))
    result.update(checkpoint=args.checkpoint, seed=args.seed, total_seconds=time.perf_counter() - start)
    write_json(result, out)
    print(f"sigma {result['sigma']:.4f}  test log-likelihood {result['test_ll']:.2f} +- {result['test_se']:.2f} nats  "
          f"({result['n_samples']} samples, {result['total_seconds']:.1f} s)  -> {out}")
    return 0
