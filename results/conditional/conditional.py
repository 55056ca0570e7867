"""The numbers and picture of results/conditional/conditional.md (the class-conditional GAN).

    python results/conditional/conditional.py export runs/mnist-cgan/checkpoint.npz [--averaged]
        writes pretrained/npgan-mnist-cgan.npz: G alone, float16 (npgan.models.common.save_model_file)
    python results/conditional/conditional.py probe [--set FIELD=VALUE ...] [--iterations 1500]
        trains the mnist-cgan preset, with the changes given, for that many minibatches (no
        run folder) and prints every 250 the step's statistics, the share of 500 samples
        (50 per label) classified as asked and the Frechet distance of 1,000 samples: the
        short runs behind "What it took" in results/conditional/conditional.md
    python results/conditional/conditional.py curve runs/mnist-cgan
        joins the run's log.csv, metrics*.csv and labels*.csv by epoch into
        results/conditional/conditional-curve.csv (seconds, D's outputs, FD of 2,000 samples and the
        share of 1,000 classified as asked, for the last and the averaged G)
    python results/conditional/conditional.py measure
        draws 10,000 samples of pretrained/npgan-mnist-cgan.npz (1,000 per label, seed 0) and
        10,000 of pretrained/npgan-mnist-generator.npz (seed 0), scores both with
        npgan.evaluation.scores.evaluate (what `npgan evaluate` prints), adds the cGAN's share of
        samples classified as the label asked for and its Frechet distance per label (each
        label's 1,000 samples against that label's test images), writes
        results/conditional/conditional.json and results/conditional/conditional_samples.png, and prints the tables.
"""

import argparse
import csv
import json
import os
import sys
import time

import numpy

import npgan
from npgan import plots
from npgan.backend import Random, asarray, to_numpy
from npgan.datasets.idx import load_mnist
from npgan.evaluation import classifier as classifiers
from npgan.evaluation import metrics
from npgan.evaluation.scores import evaluate, training_scores
from npgan.files import atomic_write, write_json
from npgan.models.cgan.model import CLASSES
from npgan.models.cgan.training import ConditionalModel, label_accuracy
from npgan.models.common import save_model_file
from npgan.presets import get_preset

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))  # the repository: results/conditional/ is two levels down
CGAN = os.path.join(ROOT, "pretrained", "npgan-mnist-cgan.npz")
GAN = os.path.join(ROOT, "pretrained", "npgan-mnist-generator.npz")
PER_LABEL = 1000


def export(args):
    gan = npgan.load(args.checkpoint, averaged=args.averaged)
    state = {"epoch": gan.state.get("epoch"), "source": os.path.basename(args.checkpoint),
             "averaged_epochs": gan.state.get("averaged_epochs")}
    save_model_file(args.output, gan, state)
    print(f"wrote {args.output} ({os.path.getsize(args.output)} bytes) from {args.checkpoint}"
          + (f", G averaged over epochs {state['averaged_epochs']}" if args.averaged else ""))


def per_label(gan, net, data):
    """Share classified as asked and the Frechet distance of each label's samples to its test images."""
    labels = numpy.repeat(numpy.arange(CLASSES), PER_LABEL)
    samples = gan.sample(len(labels), rng=Random(0), labels=asarray(labels))
    features = net.features(samples)
    predicted = to_numpy(net.logits_from_features(features)).argmax(axis=1)
    test_features = net.features(asarray(data.test_x))
    rows = []
    for label in range(CLASSES):
        mine = labels == label
        theirs = asarray(data.test_y == label)
        rows.append({"label": label, "classified_as_asked": float((predicted[mine] == label).mean()),
                     "frechet_distance": metrics.frechet_distance(features[asarray(mine)], test_features[theirs]),
                     "test_images": int((data.test_y == label).sum())})
    return samples, float((predicted == labels).mean()), rows


def measure(args):
    data = load_mnist()
    net, _ = classifiers.load()
    cgan = npgan.load(args.file)
    samples, share, rows = per_label(cgan, net, data)
    result = {"cgan": {"file": os.path.relpath(args.file, ROOT), "state": cgan.state, "classified_as_asked": share,
                       "per_label": rows, "evaluate": evaluate(samples, data, net)}}
    gan = npgan.load(GAN)
    result["gan"] = {"file": os.path.relpath(GAN, ROOT),
                     "evaluate": evaluate(gan.sample(10000, rng=Random(0)), data, net)}
    write_json(result, os.path.join(args.out_dir, "conditional.json"))
    plots.image_grid(cgan.sample(100, rng=Random(0)), os.path.join(args.out_dir, "conditional_samples.png"),
                     title=f"{result['cgan']['file']}: one label per row, 0 to 9 (seed 0)")
    print(f"classified as the label asked for: {100 * share:.2f}% of {CLASSES * PER_LABEL}")
    print("| label | " + " | ".join(str(r["label"]) for r in rows) + " |")
    print("|---|" + "---|" * CLASSES)
    print("| classified as asked (%) | " + " | ".join(f"{100 * r['classified_as_asked']:.1f}" for r in rows) + " |")
    print("| FD to the label's test images | " + " | ".join(f"{r['frechet_distance']:.2f}" for r in rows) + " |")
    print("\n| generator | FD | precision | recall | class KL | Parzen (nats) |\n|---|---|---|---|---|---|")
    for name in ("cgan", "gan"):
        e = result[name]["evaluate"]
        parzen = e["parzen"]
        print(f"| {result[name]['file']} | {e['frechet_distance']:.2f} | {e['precision']:.4f} | {e['recall']:.4f} | "
              f"{e['class_balance']['kl_to_uniform']:.4f} | {parzen['test_ll']:.1f} +- {parzen['test_se']:.1f} "
              f"(sigma {parzen['sigma']:.3f}) |")


def probe(args):
    changes = {}
    for item in args.set:
        name, _, value = item.partition("=")
        changes[name] = json.loads(value)
    model = ConditionalModel(get_preset("mnist-cgan").replace(**changes))
    net, start, done = classifiers.load()[0], time.perf_counter(), 0
    print(f"mnist-cgan with {changes or 'no changes'}: {args.iterations} minibatches")
    for epoch in range(-(-args.iterations // model.iterations_per_epoch)):
        model.begin_epoch(epoch, True)
        for i in range(min(model.iterations_per_epoch, args.iterations - done)):
            out = model.step(i)
            done += 1
            if done % 250 == 0:
                share, _ = label_accuracy(model.gan, net, 50, Random(5))
                scores = training_scores(model.gan.sample(1000, rng=Random(6)))
                stats = "  ".join(f"{key} {float(value):.3f}" for key, value in out.items())
                print(f"{done:5d} {time.perf_counter() - start:5.0f}s  {stats}  classified as asked "
                      f"{100 * share:.1f}%  FD {scores['frechet_distance']:.1f}", flush=True)


def curve(args):
    def read(name, fields):
        path = os.path.join(args.run, name)
        if not os.path.exists(path):
            return {}
        with open(path, newline="") as f:
            return {int(row["epoch"]): [row[field] for field in fields] for row in csv.DictReader(f)}

    parts = [("log.csv", ["seconds", "d_real", "d_fake"], ["seconds", "d_real", "d_fake"]),
             ("metrics.csv", ["frechet_distance"], ["frechet_distance"]),
             ("metrics-averaged.csv", ["frechet_distance"], ["frechet_distance_averaged"]),
             ("labels.csv", ["label_accuracy"], ["label_accuracy"]),
             ("labels-averaged.csv", ["label_accuracy"], ["label_accuracy_averaged"])]
    tables = [(read(name, fields), len(fields)) for name, fields, _ in parts]
    header = ["epoch"] + [column for *_, columns in parts for column in columns]
    lines = [",".join(header)]
    for epoch in sorted(tables[0][0]):
        lines.append(",".join([str(epoch)] + [value for table, width in tables
                                              for value in table.get(epoch, [""] * width)]))
    out = os.path.join(HERE, "conditional-curve.csv")
    atomic_write(out, lambda f: f.write(("\n".join(lines) + "\n").encode()))
    print(f"wrote {out} ({len(lines) - 1} epochs)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("export")
    p.add_argument("checkpoint")
    p.add_argument("--averaged", action="store_true")
    p.add_argument("-o", "--output", default=CGAN)
    p.set_defaults(func=export)
    p = sub.add_parser("curve")
    p.add_argument("run", help="the run folder of npgan train --preset mnist-cgan")
    p.set_defaults(func=curve)
    p = sub.add_parser("probe")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="a Config change, the value as JSON (e.g. d_label_init_range=0.005)")
    p.add_argument("--iterations", type=int, default=1500)
    p.set_defaults(func=probe)
    p = sub.add_parser("measure")
    p.add_argument("--file", default=CGAN, help="the cGAN file (default pretrained/npgan-mnist-cgan.npz)")
    p.add_argument("--out-dir", default=HERE,
                   help="where conditional.json and the picture go (default results/conditional/)")
    p.set_defaults(func=measure)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    sys.exit(main())
