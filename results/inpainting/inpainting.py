"""The numbers and picture of results/inpainting/inpainting.md: completing MNIST test images, two routes, two baselines.

    python results/inpainting/inpainting.py export RUN/checkpoint.npz [--force]
    python results/inpainting/inpainting.py measure [--model pretrained/npgan-mnist-inpaint.npz] [--images 10000]
                                                    [--per-image 2] [--search-images 200] [--steps 200]
                                                    [--prior-weight 0.001] [--d-iterations 500] [--seed 0]
                                                    [--ensemble 8] [--out results/inpainting]
    python results/inpainting/inpainting.py table [--out results/inpainting]

``export`` writes a training checkpoint's G alone, float16, to pretrained/npgan-mnist-inpaint.npz.
``measure`` scores, per mask (the masks drawn once from ``Random(seed)``, the same for every route):
* the inpainting GAN (``--model``): ``--per-image`` completions of each of the first
  ``--images`` test images;
* the search route (Yeh et al.): the committed plain generator pretrained/npgan-mnist-generator.npz,
  ``--steps`` steps of Adam on z (from ``--per-image`` uniform starts) so that G(z) matches the
  observed pixels, with ``--prior-weight`` times log(1 - D(G(z))) from a D trained for
  ``--d-iterations`` steps against that frozen G (a generator file holds no D); on the
  first ``--search-images`` only (it costs ``--steps`` passes of G per completion), where
  the GAN and the baselines are scored again for a like-for-like row;
* with ``--ensemble K``: the GAN's pixel mean of K more completions of each image (noise from
  ``Random(seed + 3)``), one image per input (an estimate of the conditional mean), whose
  accuracy is reported beside the samples' (its spread is the samples', reported apart);
* baselines: the nearest training image on the observed pixels, and the mean training image.
Scores: npgan's classifier's accuracy on the completions against the originals' labels, the
mean squared error on the missing pixels, and the spread between an image's completions.
Writes inpainting.json (every number, with seconds) and inpainting.png to --out; ``table``
prints the page's tables from that JSON (accuracy / missing-pixel MSE / spread per cell).
"""

import argparse
import os
import sys
import time

import numpy

from npgan import load
from npgan.backend import Random, asarray, to_numpy
from npgan.datasets.idx import load_mnist
from npgan.evaluation import classifier
from npgan.files import write_json
from npgan.models.common import save_model_file
from npgan.models.gan.inversion import prior_bound
from npgan.models.inpainting.model import MASKS, observed_mask
from npgan.models.inpainting.scores import (
    label_accuracy,
    mean_image_completion,
    missing_error_and_spread,
    nearest_neighbour_completion,
)
from npgan.models.inpainting.search import complete_by_search, fit_discriminator
from npgan.models.inpainting.training import completion_rows
from npgan.plots import image_grid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))  # the repository: results/inpainting/ is two levels down
PRETRAINED = os.path.join(ROOT, "pretrained")
MODEL = os.path.join(PRETRAINED, "npgan-mnist-inpaint.npz")
PLAIN = os.path.join(PRETRAINED, "npgan-mnist-generator.npz")


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def export(args):
    if os.path.exists(MODEL) and not args.force:
        sys.exit(f"{MODEL} exists; pass --force to replace it")
    model = load(args.checkpoint)
    log = os.path.join(os.path.dirname(os.path.abspath(args.checkpoint)), "log.csv")
    seconds = float(numpy.nansum(numpy.genfromtxt(log, delimiter=",", names=True)["seconds"]))
    save_model_file(MODEL, model, {"epoch": int(model.state["epoch"]), "training_seconds": round(seconds, 1)})
    print(f"wrote {MODEL} ({os.path.getsize(MODEL) / 1e6:.2f} MB, epoch {model.state['epoch']})")


def score(clf, x, labels, observed, completions, per_image):
    mse, spread = missing_error_and_spread(x, observed, completions, per_image)
    return {"accuracy": label_accuracy(clf, completions, labels, per_image), "missing_mse": mse,
            "spread": None if per_image < 2 else spread}


def measure_mask(name, ctx, args):
    """Every route's scores for one mask, and the picture's rows."""
    x, labels, clf, model, train_x = ctx["x"], ctx["labels"], ctx["clf"], ctx["model"], ctx["train_x"]
    k, m = args.per_image, args.search_images
    observed = observed_mask(name, len(x), Random(args.seed))
    gan, t_gan = timed(lambda: model.complete(x, observed, Random(args.seed + 1), per_image=k))
    nearest, t_nn = timed(lambda: nearest_neighbour_completion(x, observed, train_x))
    mean = mean_image_completion(x, observed, train_x)
    plain = ctx["plain"]
    z0 = Random(args.seed + 2).uniform(-plain.noise_scale, plain.noise_scale, (m * k, plain.noise_dim))
    xs, obs_s = numpy.repeat(to_numpy(x[:m]), k, 0), numpy.repeat(to_numpy(observed[:m]), k, 0)
    (search, _, _), t_search = timed(lambda: complete_by_search(
        plain.G, asarray(xs), asarray(obs_s), asarray(z0, dtype="float32"), args.steps, 0.05, ctx["bound"],
        ctx["D"], args.prior_weight))
    gan_s = gan[:m * k]
    ensemble = {}
    if args.ensemble:
        many = model.complete(x, observed, Random(args.seed + 3), per_image=args.ensemble)
        mean_of_k = many.reshape(len(x), args.ensemble, -1).mean(axis=1)
        del many
        ensemble = {f"inpainting GAN, mean of {args.ensemble}": score(clf, x, labels, observed, mean_of_k, 1)}
    row = {
        "inpainting GAN": dict(score(clf, x, labels, observed, gan, k), seconds=round(t_gan, 2)),
        **ensemble,
        "nearest training image": dict(score(clf, x, labels, observed, nearest, 1), seconds=round(t_nn, 2)),
        "mean image": score(clf, x, labels, observed, mean, 1),
        f"first {m}: inpainting GAN": score(clf, x[:m], labels[:m], observed[:m], gan_s, k),
        f"first {m}: search (Yeh et al.)": dict(score(clf, x[:m], labels[:m], observed[:m], search, k),
                                                seconds=round(t_search, 2)),
        f"first {m}: nearest training image": score(clf, x[:m], labels[:m], observed[:m], nearest[:m], 1),
    }
    pictures = [(x[:2], observed[:2], gan[:2 * k], k), (x[:2], observed[:2], search[:2 * k], k),
                (x[:2], observed[:2], nearest[:2], 1)]
    return row, pictures


def picture(rows_by_mask, k, path):
    """Per mask, two images: original, input, GAN's k completions, the search's k, the nearest neighbour."""
    tiles = []
    for (x, observed, gan, _), (_, _, search, _), (_, _, nearest, _) in rows_by_mask:
        for i in range(2):
            base = completion_rows(x[i:i + 1], observed[i:i + 1], gan[i * k:(i + 1) * k], k)
            tiles += [base, to_numpy(search[i * k:(i + 1) * k]), to_numpy(nearest[i:i + 1])]
    image_grid(numpy.concatenate(tiles), path, ncols=2 + 2 * k + 1,
               title=f"original, input, GAN x{k}, search x{k}, nearest training image")


def measure(args):
    data = load_mnist()
    clf, _ = classifier.load()
    model = load(args.model)
    plain = load(PLAIN)
    x = asarray(data.test_x[:args.images], dtype="float32")
    labels = data.test_y[:args.images]
    (D, t_d) = timed(lambda: fit_discriminator(plain, asarray(data.train_x, dtype="float32"), args.d_iterations,
                                               seed=args.seed))
    ctx = {"x": x, "labels": labels, "clf": clf, "model": model, "train_x": data.train_x, "plain": plain, "D": D,
           "bound": prior_bound(plain.noise, plain.noise_scale)}
    result = {"images": args.images, "per_image": args.per_image, "search_images": args.search_images,
              "ensemble": args.ensemble,
              "steps": args.steps, "prior_weight": args.prior_weight, "seed": args.seed,
              "model": os.path.relpath(args.model, ROOT), "model_state": model.state,
              "search_discriminator": dict(judge_scores(plain, D, data), iterations=args.d_iterations,
                                           seconds=round(t_d, 1)),
              "masks": {}}
    pictures = []
    for name in MASKS:
        row, pics = measure_mask(name, ctx, args)
        result["masks"][name] = row
        pictures.append(pics)
        print(name, {route: {key: (round(v, 4) if isinstance(v, float) else v) for key, v in s.items()}
                     for route, s in row.items()}, flush=True)
    write_json(result, os.path.join(args.out, "inpainting.json"))
    picture(pictures, args.per_image, os.path.join(args.out, "inpainting.png"))
    print(f"wrote {os.path.join(args.out, 'inpainting.json')} and inpainting.png")


def judge_scores(plain, D, data):
    """Mean D on 1,000 validation images and on 1,000 samples of the plain G (evaluation mode)."""
    from npgan.nn.kernels import sigmoid

    real = asarray(data.valid_x[:1000], dtype="float32")
    fake = plain.sample(1000, rng=Random(12345))
    return {"mean_D_real": float(to_numpy(sigmoid(D.forward(real, training=False))).mean()),
            "mean_D_generated": float(to_numpy(sigmoid(D.forward(fake, training=False))).mean())}


def table(args):
    """The results page's tables, in Markdown, from inpainting.json."""
    import json

    with open(os.path.join(args.out, "inpainting.json")) as f:
        result = json.load(f)

    def cell(s, key, digits):
        value = s.get(key)
        return "-" if value is None else f"{value:.{digits}f}"

    first = f"first {result['search_images']}: "
    mean_of = (f"inpainting GAN, mean of {result['ensemble']}",) if result.get("ensemble") else ()
    tables = (("", ("inpainting GAN", *mean_of, "nearest training image", "mean image")),
              (first, ("inpainting GAN", "search (Yeh et al.)", "nearest training image")))
    for prefix, routes in tables:
        print(f"| mask | {' | '.join(routes)} |")
        print("|---|" + "---|" * len(routes))
        for name in MASKS:
            row = result["masks"][name]
            cells = [f"{100 * row[prefix + r]['accuracy']:.1f}% / {cell(row[prefix + r], 'missing_mse', 4)} / "
                     f"{cell(row[prefix + r], 'spread', 3)}" for r in routes]
            print(f"| {name} | {' | '.join(cells)} |")
        print()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("export")
    p.add_argument("checkpoint")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=export)
    p = sub.add_parser("measure")
    p.add_argument("--model", default=MODEL)
    p.add_argument("--images", type=int, default=10000)
    p.add_argument("--per-image", type=int, default=2)
    p.add_argument("--search-images", type=int, default=200)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--prior-weight", type=float, default=0.001)
    p.add_argument("--d-iterations", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ensemble", type=int, default=0, help="also score the mean of K completions per image")
    p.add_argument("--out", default=HERE)
    p.set_defaults(func=measure)
    p = sub.add_parser("table")
    p.add_argument("--out", default=HERE)
    p.set_defaults(func=table)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
