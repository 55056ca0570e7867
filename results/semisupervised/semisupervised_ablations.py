"""Few-epoch ablations of Improved GAN's recipe (preset mnist-semisup-improved): which details matter early.

Each variant changes one detail of the preset and trains it for ``--epochs`` epochs on one
label draw (``--label-seed``), from the same seed; the test error of the D that classifies
(the average of D's parameters where the variant keeps one) and of D's last iterate are
read from each run's log.csv after every epoch and written to one JSON file. The full
recipe itself is not retrained here when ``--recipe-log`` names the log.csv of a run of
the preset on the same draw and seed (its first epochs are the same run: training on NumPy
is bit-identical however it is split), and the "no average" variant is the recipe's own
``test_error_iterate`` column: the average changes only how D is scored, not how it trains.

    python results/semisupervised/semisupervised_ablations.py --epochs 2 \
        --recipe-log runs/semisup-draw0/log.csv -o results/semisupervised/semisupervised-ablations.json

``--set FIELD=VALUE`` changes the recipe under every variant (the recipe's log must then be
a run of the changed recipe): the committed JSON was made with ``--set semisup_g_bn_scale=1``,
G's batch norm with a learned scale, before the preset held it at 1 as Improved GAN's code.
"""

import argparse
import csv
import json
import os
import tempfile

from npgan.files import atomic_write
from npgan.presets import get_preset
from npgan.train import train

# name -> (what changes, the Config fields it changes)
VARIANTS = {
    "no weight norm": ("D's layers plain Linear (He-uniform start), no data-dependent start",
                       {"semisup_weight_norm": 0, "semisup_train_scales": 1}),
    "scales trained": ("D's hidden lengths g trained too, not held at their start", {"semisup_train_scales": 1}),
    "no noise in D": ("no Gaussian noise on D's layers' inputs", {"semisup_input_noise": 0.0,
                                                                 "semisup_hidden_noise": 0.0}),
    "npgan's G": ("G ReLU, He-uniform, plain sigmoid output (mnist-semisup's G)",
                  {"semisup_g_activation": "relu", "semisup_g_weight_norm": 0}),
    "D 500-250-250": ("mnist-semisup's narrower D, the rest of the recipe", {"d_hidden": (500, 250, 250)}),
    "npgan's Adam": ("Adam dividing by sqrt(v_hat) + 1e-8 (npgan's), not sqrt(v_hat + 1e-8)",
                     {"semisup_adam_eps": 0.0}),
    "50,000 unlabelled": ("the training split only unlabelled, not training + validation",
                          {"semisup_unlabelled": "train"}),
    # one step beyond the recipe: Bad GAN's terms (Dai et al. 2017), at the weights of their SVHN code
    "+ conditional entropy": ("Bad GAN's conditional entropy of D's classes on the unlabelled images, weight 0.1",
                              {"semisup_entropy": 0.1}),
    "+ pull-away term": ("Bad GAN's pull-away term on G's features (D's last hidden layer), weight 0.8",
                         {"semisup_pull_away": 0.8}),
    "+ both of Bad GAN's terms": ("the conditional entropy (0.1) and the pull-away term (0.8)",
                                  {"semisup_entropy": 0.1, "semisup_pull_away": 0.8}),
}


def read_log(path):
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def curve(rows, epochs, column="test_error"):
    return [rows[e][column] for e in range(min(epochs, len(rows)))]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--label-seed", type=int, default=0)
    p.add_argument("--recipe-log", help="log.csv of a mnist-semisup-improved run on the same draw (else retrained)")
    p.add_argument("--only", nargs="*", help="variant names to run (default: all)")
    p.add_argument("--reuse", nargs="*", default=[], metavar="NAME=LOG",
                   help="a variant's log.csv from a run of it already made (same draw, seed and code)")
    p.add_argument("--runs", help="folder for the variants' runs (default: a temporary one)")
    p.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE",
                   help="change the recipe itself for every variant (VALUE as JSON: 1, 0.5, \"train\")")
    p.add_argument("-o", "--output", required=True)
    args = p.parse_args(argv)
    changed = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    base = get_preset("mnist-semisup-improved").replace(label_seed=args.label_seed, epochs=args.epochs, **changed)
    runs = args.runs or tempfile.mkdtemp(prefix="semisup-ablations-")
    results = {"epochs": args.epochs, "label_seed": args.label_seed, "recipe_changed": changed, "variants": {}}
    if os.path.exists(args.output):
        with open(args.output) as f:
            results["variants"] = json.load(f).get("variants", {})
    if args.recipe_log:
        rows = read_log(args.recipe_log)
        if len(rows) < args.epochs:
            raise SystemExit(f"{args.recipe_log}: {len(rows)} epochs logged, {args.epochs} needed")
    else:
        train(base, os.path.join(runs, "recipe"), quiet=True)
        rows = read_log(os.path.join(runs, "recipe", "log.csv"))
    results["variants"]["recipe"] = {"what": "mnist-semisup-improved as it is", "test_error": curve(rows, args.epochs),
                                     "seconds": [r["seconds"] for r in rows[:args.epochs]]}
    results["variants"]["no average"] = {"what": "D scored by its last iterate, not the average of its parameters",
                                         "test_error": curve(rows, args.epochs, "test_error_iterate")}
    reused = dict(item.split("=", 1) for item in args.reuse)
    for name, (what, changes) in VARIANTS.items():
        if (args.only and name not in args.only) and name not in reused:
            continue
        if name in reused:
            rows = read_log(reused[name])[:args.epochs]
        else:
            out = os.path.join(runs, name.replace(" ", "-").replace(",", "").replace("'", ""))
            train(base.replace(**changes), out, quiet=True)
            rows = read_log(os.path.join(out, "log.csv"))
        results["variants"][name] = {"what": what, "changes": {k: list(v) if isinstance(v, tuple) else v
                                                               for k, v in changes.items()},
                                     "test_error": curve(rows, args.epochs),
                                     "test_error_iterate": curve(rows, args.epochs, "test_error_iterate"),
                                     "seconds": [r["seconds"] for r in rows],
                                     **({"reused": reused[name]} if name in reused else {})}
        atomic_write(args.output, lambda f: f.write(json.dumps(results, indent=1).encode()))
        print(name, results["variants"][name]["test_error"], flush=True)
    atomic_write(args.output, lambda f: f.write(json.dumps(results, indent=1).encode()))


if __name__ == "__main__":
    main()
