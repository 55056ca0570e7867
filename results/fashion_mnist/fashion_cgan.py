"""The class-conditional numbers of results/fashion_mnist/fashion_mnist.md (preset fashion-cgan).

    python results/fashion_mnist/fashion_cgan.py CHECKPOINT [--averaged] [-o results/fashion_mnist/fashion-cgan.json]

draws 10,000 samples of a Fashion-MNIST cGAN (1,000 per class, in class order, noise seed 0,
as ``npgan evaluate`` draws them), and with npgan's Fashion-MNIST classifier
(``pretrained/npgan-fashion-classifier.npz``) prints and writes, per class asked for: the
share classified as that class, the class the classifier reads most often when it is not,
the Frechet distance of the class's 1,000 samples to its 1,000 test images, and, as the
ceiling, the classifier's accuracy on that class's real test images (it is 88.6% accurate
overall and confuses the upper-body garments, so "classified as asked" cannot reach 100%
there). FD, precision and recall of all 10,000 together are ``npgan evaluate``'s.
"""

import argparse
import os

import numpy

import npgan
from npgan.backend import Random, asarray, to_numpy
from npgan.datasets import load_images
from npgan.datasets.fashion import CLASSES as NAMES
from npgan.evaluation import classifier as classifiers
from npgan.evaluation import metrics
from npgan.files import write_json
from npgan.models.cgan.model import CLASSES

HERE = os.path.dirname(os.path.abspath(__file__))
PER_CLASS = 1000
FOOTWEAR = (5, 7, 9)  # sandal, sneaker, ankle boot


def measure(gan, net, data):
    """Per-class rows and the overall share classified as asked (module docstring)."""
    labels = numpy.repeat(numpy.arange(CLASSES), PER_CLASS)
    features = net.features(gan.sample(len(labels), rng=Random(0), labels=asarray(labels)))
    predicted = to_numpy(net.logits_from_features(features)).argmax(axis=1)
    test_features = net.features(asarray(data.test_x))
    test_predicted = to_numpy(net.logits_from_features(test_features)).argmax(axis=1)
    rows = []
    for label in range(CLASSES):
        mine, theirs = labels == label, data.test_y == label
        read = numpy.bincount(predicted[mine], minlength=CLASSES)
        other = int(numpy.argmax(numpy.where(numpy.arange(CLASSES) == label, -1, read)))
        rows.append({"label": label, "name": NAMES[label], "classified_as_asked": float(read[label] / PER_CLASS),
                     "most_read_otherwise": NAMES[other] if read[other] else None,  # None: all as asked
                     "its_share": float(read[other] / PER_CLASS),
                     "frechet_distance": metrics.frechet_distance(features[asarray(mine)],
                                                                  test_features[asarray(theirs)]),
                     "classifier_accuracy_on_test": float((test_predicted[theirs] == label).mean())})
    footwear = float(numpy.isin(predicted, FOOTWEAR).mean())
    return {"classified_as_asked": float((predicted == labels).mean()), "read_as_footwear": footwear,
            "per_class": rows}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("checkpoint", help="a fashion-cgan checkpoint (npgan train --preset fashion-cgan)")
    p.add_argument("--averaged", action="store_true", help="the G averaged over epochs (average_from)")
    p.add_argument("-o", "--output", default=os.path.join(HERE, "fashion-cgan.json"))
    args = p.parse_args(argv)
    gan = npgan.load(args.checkpoint, averaged=args.averaged)
    if gan.config.model != "cgan" or gan.config.dataset != "fashion-mnist":
        p.error(f"{args.checkpoint}: expected a cgan model of fashion-mnist, got {gan.config.model} of "
                f"{gan.config.dataset}")
    net, _ = classifiers.load(classifiers.PRETRAINED_FOR["fashion-mnist"])
    result = measure(gan, net, load_images("fashion-mnist"))
    result.update(checkpoint=args.checkpoint, averaged=args.averaged, epoch=gan.state.get("epoch"),
                  averaged_epochs=gan.state.get("averaged_epochs"))
    write_json(result, args.output)
    print(f"classified as the class asked for: {100 * result['classified_as_asked']:.2f}% of "
          f"{CLASSES * PER_CLASS}; read as footwear (5, 7, 9): {100 * result['read_as_footwear']:.1f}% "
          f"(asked: 30.0%)")
    rows = result["per_class"]
    print("| class | " + " | ".join(f"{r['label']} {r['name']}" for r in rows) + " |")
    print("|---|" + "---|" * CLASSES)
    print("| classified as asked (%) | " + " | ".join(f"{100 * r['classified_as_asked']:.1f}" for r in rows) + " |")
    print("| classifier on real test images (%) | "
          + " | ".join(f"{100 * r['classifier_accuracy_on_test']:.1f}" for r in rows) + " |")
    print("| most often read otherwise | "
          + " | ".join(f"{r['most_read_otherwise']} {100 * r['its_share']:.1f}" if r["most_read_otherwise"] else "-"
                       for r in rows) + " |")
    print("| FD to the class's test images | " + " | ".join(f"{r['frechet_distance']:.2f}" for r in rows) + " |")


if __name__ == "__main__":
    main()
