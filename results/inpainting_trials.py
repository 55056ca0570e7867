"""The 2-epoch trials that chose mnist-inpaint's loss weights (results/inpainting.md, "Choosing G's loss").

    python results/inpainting_trials.py [--runs runs/inpaint-trials] [--images 1000] [L2:DIVERSITY ...]

Each trial trains the mnist-inpaint preset for 2 epochs with ``inpaint_l2`` and
``inpaint_diversity`` replaced (a run folder per trial under --runs; an existing one is
resumed, so a finished trial is only scored again), then scores it on the first --images
test images: per mask (drawn from ``Random(0)``), two completions per image (noise from
``Random(1)``), the classifier's accuracy, the squared error on the missing pixels and the
spread. About 1.5 minutes of one core per trial.
"""

import argparse
import os

from npgan import classifier, load
from npgan.backend import Random, asarray
from npgan.data import load_mnist
from npgan.inpainting import MASKS, observed_mask
from npgan.inpainting_scores import label_accuracy, missing_error_and_spread
from npgan.presets import get_preset
from npgan.train import train

TRIALS = ("0:0", "0:20", "50:20", "10:50", "50:100", "50:50")


def run_trial(l2, diversity, folder):
    checkpoint = os.path.join(folder, "checkpoint.npz")
    config = get_preset("mnist-inpaint").replace(inpaint_l2=l2, inpaint_diversity=diversity, epochs=2,
                                                 sample_every=1)
    if os.path.exists(checkpoint) and load(checkpoint).state["epoch"] >= 2:
        return checkpoint
    train(config, folder, resume=checkpoint if os.path.exists(checkpoint) else None, quiet=True)
    return checkpoint


def scores(model, x, labels, clf):
    row = {}
    for name in MASKS:
        observed = observed_mask(name, len(x), Random(0))
        completions = model.complete(x, observed, Random(1), per_image=2)
        mse, spread = missing_error_and_spread(x, observed, completions, 2)
        row[name] = (label_accuracy(clf, completions, labels, 2), mse, spread)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trials", nargs="*", default=TRIALS, help="L2:DIVERSITY weights (default: the page's six)")
    parser.add_argument("--runs", default=os.path.join("runs", "inpaint-trials"))
    parser.add_argument("--images", type=int, default=1000)
    args = parser.parse_args()
    data = load_mnist()
    clf, _ = classifier.load()
    x, labels = asarray(data.test_x[:args.images]), data.test_y[:args.images]
    print("| L2 | diversity | " + " | ".join(MASKS) + " |")
    print("|---|---|" + "---|" * len(MASKS))
    for trial in args.trials:
        l2, diversity = (float(w) for w in trial.split(":"))
        checkpoint = run_trial(l2, diversity, os.path.join(args.runs, f"l2-{l2:g}-diversity-{diversity:g}"))
        row = scores(load(checkpoint), x, labels, clf)
        cells = [f"{100 * a:.1f}% / {m:.4f} / {s:.3f}" for a, m, s in (row[name] for name in MASKS)]
        print(f"| {l2:g} | {diversity:g} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
