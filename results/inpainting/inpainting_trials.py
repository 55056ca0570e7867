"""The 2-epoch trials that chose mnist-inpaint's loss weights (results/inpainting/inpainting.md, "Choosing G's loss").

    python results/inpainting/inpainting_trials.py [--runs runs/inpaint-trials] [--images 1000] [L2:DIVERSITY ...]
    python results/inpainting/inpainting_trials.py --g-hidden 300,300 50:50   # a wider G, from scratch
    python results/inpainting/inpainting_trials.py --d-hidden 400,400 50:50   # a wider D, from scratch
    python results/inpainting/inpainting_trials.py --from runs/mnist-inpaint/checkpoint.npz --epochs 3 50:20
    python results/inpainting/inpainting_trials.py --score CKPT [CKPT ...]    # score finished checkpoints only
    python results/inpainting/inpainting_trials.py --nearest                  # the nearest training image, same images
    python results/inpainting/inpainting_trials.py --score CKPT --z-factors 1,0.5,0.25,0
        # the noise range shrunk at test time
    python results/inpainting/inpainting_trials.py --split valid --skip --warm OLD.npz --epochs 3 100:20
        # G fed the observed pixels in every layer, started from OLD.npz's plain G; scored on validation images
    python results/inpainting/inpainting_trials.py --split valid --score CKPT --ensemble 8
        # also the accuracy of the mean of 8 completions per image (one completion per image, z averaged out)
    python results/inpainting/inpainting_trials.py --preset mnist-inpaint-conv --from runs/inpaint-conv/checkpoint.npz \
        --split valid --epochs 10 100:40   # the convolutional G, continued under new weights

Each trial trains the mnist-inpaint preset (or --preset's) for --epochs (2) epochs with ``inpaint_l2`` and
``inpaint_diversity`` replaced (and G's or D's hidden widths, with --g-hidden, --d-hidden); with --from it
continues that training checkpoint (weights, optimisers, data stream) for --epochs more
epochs under the new weights instead of starting afresh. A run folder per trial under
--runs; an existing one is resumed, so a finished trial is only scored again. Each is
scored on the first --images test images: per mask (drawn from ``Random(0)``), two completions per image (noise from
``Random(1)``), the classifier's accuracy, the squared error on the missing pixels and the
spread. About 1.5 minutes of one core per trial. ``--split valid`` scores the first --images
validation images instead (the split that chooses among trials; the test images stay out of
the choice). ``--skip`` trains G with the observed pixels fed to every layer (``inpaint_skip``);
``--warm FILE`` starts G from FILE's inpainter G (widened with zero skip weights for ``--skip``)
with a fresh D and optimisers (``inpaint_start``). ``--ensemble K`` adds, per mask, the accuracy
of the pixel mean of K completions of each image (noise from ``Random(2)``): an estimate of the
conditional mean, one image per input; and the scorer's vote over those K completions (their
class probabilities averaged); the spread column stays the samples'.
"""

import argparse
import os

from npgan import load
from npgan.backend import Random, asarray, get_backend, to_numpy
from npgan.datasets.idx import load_mnist
from npgan.evaluation import classifier
from npgan.models.inpainting.model import MASKS, observed_mask
from npgan.models.inpainting.scores import label_accuracy, missing_error_and_spread, nearest_neighbour_completion
from npgan.presets import get_preset
from npgan.train import train

TRIALS = ("0:0", "0:20", "50:20", "10:50", "50:100", "50:50")


def run_trial(l2, diversity, folder, epochs=2, g_hidden=None, start=None, d_hidden=None, skip=0, warm="",
              preset="mnist-inpaint"):
    """Train one trial of ``preset`` into ``folder`` (``epochs`` epochs, or ``epochs`` more than ``start``'s);
    its checkpoint."""
    checkpoint = os.path.join(folder, "checkpoint.npz")
    base = get_preset(preset)
    first = load(start).state["epoch"] if start else 0
    config = base.replace(inpaint_l2=l2, inpaint_diversity=diversity, epochs=first + epochs, sample_every=1,
                          g_hidden=g_hidden or base.g_hidden, d_hidden=d_hidden or base.d_hidden,
                          inpaint_skip=int(skip or base.inpaint_skip), inpaint_start=warm or "")
    done = load(checkpoint).state["epoch"] if os.path.exists(checkpoint) else None
    if done is not None and done >= config.epochs:
        return checkpoint
    train(config, folder, resume=checkpoint if done is not None else start, quiet=True)
    return checkpoint


def vote_accuracy(clf, completions, labels, per_image):
    """Share of images whose ``per_image`` completions, their class probabilities averaged, the
    classifier puts in the original's class (the scorer's vote over the samples: a measure of
    the completer's samples taken together, not of one completion)."""
    xp = get_backend()
    logits = clf.logits(completions)
    p = xp.exp(logits - logits.max(axis=1, keepdims=True))
    p = (p / p.sum(axis=1, keepdims=True)).reshape(len(labels), per_image, -1).mean(axis=1)
    return float((to_numpy(p.argmax(axis=1)) == to_numpy(asarray(labels))).mean())


def scores(model, x, labels, clf, ensemble=0):
    """Per mask: (accuracy, mse, spread) of two completions per image, and with ``ensemble`` K
    the accuracy of the mean of K completions per image and the scorer's vote over them appended."""
    row = {}
    for name in MASKS:
        observed = observed_mask(name, len(x), Random(0))
        completions = model.complete(x, observed, Random(1), per_image=2)
        mse, spread = missing_error_and_spread(x, observed, completions, 2)
        row[name] = (label_accuracy(clf, completions, labels, 2), mse, spread)
        if ensemble:
            many = model.complete(x, observed, Random(2), per_image=ensemble)
            mean = many.reshape(len(x), ensemble, -1).mean(axis=1)
            row[name] += (label_accuracy(clf, mean, labels, 1), vote_accuracy(clf, many, labels, ensemble))
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trials", nargs="*", default=TRIALS, help="L2:DIVERSITY weights (default: the page's six)")
    parser.add_argument("--runs", default=os.path.join("runs", "inpaint-trials"))
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=2, help="epochs per trial (with --from: more epochs)")
    parser.add_argument("--g-hidden", help="G's hidden widths, comma-separated (default: the preset's)")
    parser.add_argument("--d-hidden", help="D's hidden maxout units per layer, comma-separated")
    parser.add_argument("--from", dest="start", help="a training checkpoint to continue instead of starting afresh")
    parser.add_argument("--score", nargs="+", metavar="CKPT", help="only score these checkpoints")
    parser.add_argument("--z-factors", default="1", help="with --score: score once per factor, the noise range "
                        "[-s, s] shrunk to [-f s, f s] at test time (0: one deterministic completion)")
    parser.add_argument("--nearest", action="store_true", help="only score the nearest training image baseline")
    parser.add_argument("--split", choices=("test", "valid"), default="test",
                        help="score the first --images test images (default) or validation images")
    parser.add_argument("--skip", action="store_true", help="G reads the observed pixels in every layer")
    parser.add_argument("--warm", default="", help="an inpainter file whose G starts each trial's")
    parser.add_argument("--ensemble", type=int, default=0, help="also score the mean of K completions per image")
    parser.add_argument("--preset", default="mnist-inpaint",
                        help="the preset each trial changes (default: %(default)s; mnist-inpaint-conv: conv G)")
    args = parser.parse_args()
    g_hidden, d_hidden = (tuple(int(w) for w in a.split(",")) if a else None for a in (args.g_hidden, args.d_hidden))
    data = load_mnist()
    clf, _ = classifier.load()
    images, image_labels = (data.test_x, data.test_y) if args.split == "test" else (data.valid_x, data.valid_y)
    x, labels = asarray(images[:args.images]), image_labels[:args.images]
    print("| L2 | diversity | " + " | ".join(MASKS) + " |")
    print("|---|---|" + "---|" * len(MASKS))
    if args.nearest:
        print_nearest(x, labels, clf, asarray(data.train_x))
    for checkpoint in args.score or ():
        model = load(checkpoint)
        scale = model.noise_scale
        for factor in (float(f) for f in args.z_factors.split(",")):
            model.noise_scale = scale * factor
            print_row(checkpoint + (f", z x {factor:g}" if factor != 1 else ""), model, x, labels, clf, args.ensemble)
    for trial in () if args.score or args.nearest else args.trials:
        l2, diversity = (float(w) for w in trial.split(":"))
        name = f"l2-{l2:g}-diversity-{diversity:g}"
        changed = g_hidden or d_hidden or args.start or args.skip or args.warm or args.preset != "mnist-inpaint"
        if changed:
            widths = [f"-{part}{'x'.join(map(str, w))}" for part, w in (("g", g_hidden), ("d", d_hidden)) if w]
            name += "".join(widths) + ("-skip" if args.skip else "") + ("-warm" if args.warm else "")
            name += "-conv" if get_preset(args.preset).inpaint_conv else ""
            name += ("-continued" if args.start else "") + f"-{args.epochs}ep"
        checkpoint = run_trial(l2, diversity, os.path.join(args.runs, name), args.epochs, g_hidden, args.start,
                               d_hidden, args.skip, args.warm, args.preset)
        model = load(checkpoint)
        extra = f" ({name}, epoch {model.state['epoch']})" if changed else ""
        print_row(f"{l2:g} | {diversity:g}{extra}", model, x, labels, clf, args.ensemble)


def print_nearest(x, labels, clf, train_x):
    cells = []
    for name in MASKS:
        observed = observed_mask(name, len(x), Random(0))
        nearest = nearest_neighbour_completion(x, observed, train_x)
        mse, _ = missing_error_and_spread(x, observed, nearest, 1)
        cells.append(f"{100 * label_accuracy(clf, nearest, labels, 1):.1f}% / {mse:.4f} / -")
    print("| nearest training image | " + " | ".join(cells) + " |", flush=True)


def print_row(label, model, x, labels, clf, ensemble=0):
    row = scores(model, x, labels, clf, ensemble)
    cells = [f"{100 * r[0]:.1f}% / {r[1]:.4f} / {r[2]:.3f}" for r in (row[name] for name in MASKS)]
    print(f"| {label} | " + " | ".join(cells) + " |", flush=True)
    if ensemble:
        cells = [f"{100 * row[name][3]:.1f}%" for name in MASKS]
        print(f"| {label}, mean of {ensemble} completions | " + " | ".join(cells) + " |", flush=True)
        cells = [f"{100 * row[name][4]:.1f}%" for name in MASKS]
        print(f"| {label}, classifier's vote over {ensemble} completions | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
