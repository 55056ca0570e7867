"""The seed's comparison table, measured: the GAN beside the VAE, the autoencoder and the denoising autoencoder.

    python results/model_families/model_families.py export RUN/checkpoint.npz -o pretrained/npgan-mnist-vae.npz \
        [--dtype float16]
    python results/model_families/model_families.py measure [--only NAME ...]  # -> model_families.json
    python results/model_families/model_families.py figure                     # -> model_families_samples.png
    python results/model_families/model_families.py table                      # the tables of model_families.md

(the JSON, the picture and the page are in results/model_families/, beside this script)

``export`` writes a run's encoder and decoder alone (``npgan.models.common.save_model_file``)
with the run's epochs and the wall time its ``log.csv`` recorded. ``measure`` scores every
committed model of ``MODELS`` (or the ``--only`` ones) and updates the JSON:

- ``samples``: 10,000 draws (seed 0) scored by ``npgan.evaluation.scores.evaluate`` (the
  classifier metrics against the 10,000 test images, the copy detector, Parzen), for a
  family that can sample;
- ``reconstructions``: the same metrics (Parzen skipped) for the reconstructions of the
  10,000 test images, their squared error per image (and that of the reconstructions of
  the test images with 25% of their pixels zeroed, the DAE's task), and class preservation
  (the share whose class, by npgan's classifier, is the image's label), for a family with
  an encoder;
- ``bounds``: the ELBO and the importance-weighted bound (``npgan.models.autoencoders.bounds``) of
  a VAE, for each ``(k, images)`` of ``BOUNDS``.
"""

import argparse
import csv
import json
import math
import os
import sys
import time

import numpy

import npgan
from npgan.backend import Random, asarray, to_numpy
from npgan.cli.arguments import output_file
from npgan.datasets.idx import load_mnist
from npgan.evaluation import classifier as classifiers
from npgan.evaluation.scores import evaluate
from npgan.files import write_json
from npgan.models import family
from npgan.models.autoencoders.bounds import bounds, summary
from npgan.models.autoencoders.training import evaluation_images
from npgan.models.common import save_model_file
from npgan.plots import tile_images

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))  # the repository: results/model_families/ is two levels down
JSON = os.path.join(HERE, "model_families.json")
FIGURE = os.path.join(HERE, "model_families_samples.png")
MODELS = {  # name -> committed file, in the order of the tables
    "GAN (averaged G)": "pretrained/npgan-mnist-generator.npz",
    "VAE": "pretrained/npgan-mnist-vae.npz",
    "AE": "pretrained/npgan-mnist-ae.npz",
    "DAE": "pretrained/npgan-mnist-dae.npz",
    "VAE, binarised": "pretrained/npgan-mnist-vae-binary.npz",
}
SAMPLED = ("GAN (averaged G)", "VAE")  # scored on samples (the binarised VAE: its bounds only)
BOUNDS = {"VAE": [(100, 10000)], "VAE, binarised": [(1000, 10000), (5000, 1000)]}
N = 10000


def export(args):
    output_file(args.output, (".npz",), args.force, [args.checkpoint])
    net = npgan.load(args.checkpoint)
    with open(os.path.join(os.path.dirname(os.path.abspath(args.checkpoint)), "log.csv"), newline="") as f:
        seconds = [float(row["seconds"]) for row in csv.DictReader(f)]
    state = {"epoch": net.state["epoch"], "source": os.path.basename(args.checkpoint),
             "train_seconds": round(sum(s for s in seconds if math.isfinite(s)), 1),
             "epochs_timed": sum(math.isfinite(s) for s in seconds)}
    save_model_file(args.output, net, state, dtype=args.dtype)
    print(f"wrote {args.output}: epoch {state['epoch']}, {state['train_seconds']} s of training "
          f"over {state['epochs_timed']} timed epochs, {args.dtype}")


def _reconstruction_scores(model, data, classifier):
    test = asarray(data.test_x)
    rebuilt = model.reconstruct(test)
    errors = ((rebuilt - test) ** 2).sum(axis=1)
    predicted = to_numpy(classifier.logits(rebuilt).argmax(axis=1))
    original = to_numpy(classifier.logits(test).argmax(axis=1))
    masked = test * Random(0).bernoulli(0.75, test.shape, dtype=test.dtype)  # 25% of pixels zeroed, as in mnist-dae
    denoised = ((model.reconstruct(masked) - test) ** 2).sum(axis=1)
    scores = evaluate(rebuilt, data, classifier, parzen=False)
    scores.update(squared_error=summary(errors), masked_squared_error=summary(denoised),
                  class_preserved=float((predicted == data.test_y).mean()),
                  same_class_as_original=float((predicted == original).mean()),
                  classifier_on_originals=float((original == data.test_y).mean()))
    return scores


def _load(name):
    return npgan.load(os.path.join(ROOT, MODELS[name]))


def measure(name, data, classifier):
    """Every number of the tables for one committed model."""
    model = _load(name)
    can = family(model.config.model).can
    entry = {"file": MODELS[name], "family": model.config.model, "epochs": model.state.get("epoch"),
             "train_seconds": model.state.get("train_seconds")}
    start = time.perf_counter()
    if name in SAMPLED:
        entry["samples"] = evaluate(model.sample(N, rng=Random(0)), data, classifier)
    if "reconstruct" in can and model.config.ae_binarize == "none":
        entry["reconstructions"] = _reconstruction_scores(model, data, classifier)
    for k, images in BOUNDS.get(name, []):
        values = bounds(model, evaluation_images(model.config, "test", images), k, Random(0))
        binarized = model.config.ae_binarize != "none"
        entry.setdefault("bounds", []).append({"k": k, "images": images, "binarized": binarized,
                                               **{key: summary(v) for key, v in values.items()}})
    entry["seconds"] = round(time.perf_counter() - start, 1)
    print(f"{name}: measured in {entry['seconds']} s", flush=True)
    return entry


def run_measure(args):
    results = {}
    if os.path.exists(JSON):
        with open(JSON) as f:
            results = json.load(f)
    data, (classifier, _) = load_mnist(), classifiers.load(os.path.join(ROOT, classifiers.PRETRAINED))
    for name in args.only or MODELS:
        results[name] = measure(name, data, classifier)
        write_json({key: results[key] for key in MODELS if key in results}, JSON)


def figure(args):
    import matplotlib.pyplot as plt

    data = load_mnist()
    test = data.test_x[:20]
    panels = [(f"{name}: samples (seed 0)", to_numpy(_load(name).sample(40, rng=Random(0))))
              for name in ("GAN (averaged G)", "VAE", "VAE, binarised")]
    rebuilt = [to_numpy(_load(name).reconstruct(asarray(test))) for name in ("AE", "DAE", "VAE")]
    panels.append(("test images (2 rows); their reconstructions by AE, DAE, VAE (2 rows each)",
                   numpy.concatenate([test, *rebuilt])))
    fig, axes = plt.subplots(2, 2, figsize=(11, 10))
    for ax, (title, images) in zip(axes.ravel(), panels):
        ax.imshow(tile_images(images, 10), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(FIGURE, dpi=90)
    print(f"wrote {FIGURE}")


def _f(value, digits):
    return "-" if value is None else f"{value:.{digits}f}"


def table(args):
    with open(JSON) as f:
        saved = json.load(f)
    results = {name: saved[name] for name in MODELS if name in saved}  # the JSON's keys are sorted
    print("| model | images scored | Parzen (nats) | FD | precision | recall | class KL | IS-like | copies |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, entry in results.items():
        for what in ("samples", "reconstructions"):
            if what not in entry:
                continue
            s = entry[what]
            parzen = s["parzen"]
            parzen = f"{parzen['test_ll']:.2f} +- {parzen['test_se']:.2f}" if parzen else "- (made from the test set)"
            print(f"| {name} | {what} | {parzen} | {s['frechet_distance']:.3f} | {s['precision']:.3f} | "
                  f"{s['recall']:.3f} | {s['class_balance']['kl_to_uniform']:.4f} | {s['inception_score']:.2f} | "
                  f"{100 * s['copy_share']:.2f}% |")
    print("\n| model | squared error per image | the same from 25%-masked images | class preserved | "
          "same class as the original | epochs | training |")
    print("|---|---|---|---|---|---|---|")
    for name, entry in results.items():
        r = entry.get("reconstructions")
        minutes = _f(entry["train_seconds"] / 60 if entry.get("train_seconds") else None, 1)
        if r:
            print(f"| {name} | {r['squared_error'][0]:.2f} +- {r['squared_error'][1]:.2f} | "
                  f"{r['masked_squared_error'][0]:.2f} +- {r['masked_squared_error'][1]:.2f} | "
                  f"{100 * r['class_preserved']:.2f}% | {100 * r['same_class_as_original']:.2f}% | "
                  f"{entry['epochs']} | {minutes} min |")
        else:
            print(f"| {name} | - | - | - | - | {entry['epochs']} | {minutes} min |")
    print("\n| model | pixels | test images | ELBO | importance-weighted bound |")
    print("|---|---|---|---|---|")
    for name, entry in results.items():
        for b in entry.get("bounds", []):
            print(f"| {name} | {'binarised' if b['binarized'] else 'grey (not a log-likelihood)'} | {b['images']} | "
                  f"{b['elbo'][0]:.2f} +- {b['elbo'][1]:.2f} | {b['iw'][0]:.2f} +- {b['iw'][1]:.2f} (k = {b['k']}) |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("export", help="a run's encoder and decoder alone, with its training time")
    p.add_argument("checkpoint")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--dtype", choices=("float32", "float16"), default="float32")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=export)
    p = sub.add_parser("measure", help="score the committed models into results/model_families/model_families.json")
    p.add_argument("--only", nargs="+", choices=list(MODELS), metavar="NAME")
    p.set_defaults(func=run_measure)
    sub.add_parser("figure", help="samples and reconstructions side by side").set_defaults(func=figure)
    sub.add_parser("table", help="print the tables from the JSON").set_defaults(func=table)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    sys.exit(main())
