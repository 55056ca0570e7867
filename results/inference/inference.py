"""The numbers and pictures of results/inference/inference.md: from an MNIST test image back to a code z.

    python results/inference/inference.py [--images 10000] [--reference-images 500] [--starts 3]
                                          [--steps 50] [--reference-steps 300] [--bigan [LABEL=]FILE ...]
                                          [--out results/inference]

Routes, each scored on the first ``--images`` test images:
* E: the post-hoc encoder pretrained/npgan-mnist-encoder.npz, G(E(x)) with the committed
  generator pretrained/npgan-mnist-generator.npz (found beside it, SHA-256 checked);
* E + refinement: ``--steps`` steps of projected gradient descent on z from E(x);
* BiGAN: each ``--bigan`` file (default pretrained/npgan-mnist-bigan.npz, skipped if absent),
  G(E(x)) with its own G, under its LABEL (default: "ALICE" for a file trained with
  ALICE's reconstruction term, else "BiGAN");
* BiGAN + refinement: the same refinement through that BiGAN's G from its E(x).
References: each image's nearest training image, and (on the first ``--reference-images``)
the best of refinements from E(x) and ``--starts`` uniform random codes, ``--reference-steps``
steps each: how close each G's range gets. Also: refinement's gain against its steps (on
the reference images), E(G(z)) against z, and the codes as features (1-NN and a linear
softmax, against the same on pixels). Writes inference.json and inference_*.png to --out;
every number of the page is in the JSON, with the seconds each route took.
"""

import argparse
import io
import json
import os
import time

import matplotlib.pyplot as plt
import numpy
from PIL import Image

from npgan import load
from npgan.backend import Random, asarray, to_numpy
from npgan.datasets.idx import load_mnist
from npgan.evaluation import classifier
from npgan.evaluation.neighbours import nearest_rows
from npgan.files import atomic_write, write_json
from npgan.models.gan.inversion import best_of_starts, prior_bound, refine
from npgan.models.inference.scores import (
    class_kept,
    code_agreement,
    confusions,
    linear_probe,
    nearest_image_mse,
    one_nn_accuracy,
    pixel_mse,
)
from npgan.plots import tile_images

HERE = os.path.dirname(os.path.abspath(__file__))
PRETRAINED = os.path.join(os.path.dirname(os.path.dirname(HERE)), "pretrained")
LR = 0.02  # refinement's Adam step (about this much per coordinate and step)
SWEEP = (0, 25, 50, 100, 200, 400)


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def scores(recon, x, labels, clf):
    """Reconstruction error (mean, its standard error) and the share of classes kept."""
    mse = to_numpy(pixel_mse(recon, x))
    kept, predicted = class_kept(clf, recon, labels)
    return {"mse": float(mse.mean()), "mse_se": float(mse.std() / numpy.sqrt(len(mse))), "class_kept": kept,
            "confusions": confusions(labels, predicted)}, predicted


def generate(G, z):
    return G.forward(asarray(z, dtype="float32"), training=False)


def routes(models, x, labels, clf, steps):
    """Every route on all the images: scores, codes, reconstructions, seconds."""
    out = {}
    for name, (encode, G, bound, _) in models.items():
        z, seconds = timed(lambda: encode(x))
        recon = generate(G, z)
        out[name] = {"z": z, "recon": recon, "seconds": seconds}
        (z_r, _), seconds_r = timed(lambda: refine(G, x, z, steps, LR, bound))
        out[f"{name} + refinement"] = {"z": z_r, "recon": generate(G, z_r), "seconds": seconds + seconds_r}
    for name, route in out.items():
        route["scores"], route["predicted"] = scores(route["recon"], x, labels, clf)
        print(f"{name:28s} mse {route['scores']['mse']:.4f}  class kept {route['scores']['class_kept']:.4f}  "
              f"({route['seconds']:.1f} s)", flush=True)
    return out


def references(models, x, labels, clf, args):
    """Per generator, on the reference images: refinement's gain against its steps, and the
    best of many starts."""
    out = {}
    for name, (encode, G, bound, prior) in models.items():
        z0 = encode(x)
        sweep = []
        for steps in SWEEP:
            (z, _), seconds = timed(lambda: refine(G, x, z0, steps, LR, bound))
            s, _ = scores(generate(G, z), x, labels, clf)
            sweep.append({"steps": steps, "mse": s["mse"], "class_kept": s["class_kept"],
                          "seconds_per_image": seconds / len(x)})
        rng = Random(args.seed)
        starts = [z0] + [prior(len(x), rng) for _ in range(args.starts)]
        (z, _, winner), seconds = timed(lambda: best_of_starts(G, x, starts, args.reference_steps, LR, bound))
        best, _ = scores(generate(G, z), x, labels, clf)
        best.update(seconds=seconds, starts=len(starts), steps=args.reference_steps,
                    won_by_encoder_start=float((to_numpy(winner) == 0).mean()))
        out[name] = {"sweep": sweep, "best_of_starts": best, "z": z}
        print(f"{name}: best of {len(starts)} starts mse {best['mse']:.4f} class kept {best['class_kept']:.4f} "
              f"({seconds:.0f} s); E's start won for {best['won_by_encoder_start']:.2f}", flush=True)
    return out


def z_space(models, n=10000, seed=1):
    """E(G(z)) against z for z from the prior."""
    out = {}
    for name, (encode, G, _, prior) in models.items():
        z = prior(n, Random(seed))
        out[name] = code_agreement(encode(generate(G, z)), z)
        print(f"{name}: E(G(z)) vs z {out[name]}", flush=True)
    return out


def features(models, mnist):
    """1-NN (Euclidean and cosine) and a linear softmax on codes E(x) and on pixels."""
    splits = (mnist.train_x, mnist.valid_x, mnist.test_x)
    sets = {"pixels": splits}
    for name, (encode, _, _, _) in models.items():
        sets[f"{name} codes"] = tuple(to_numpy(encode(asarray(a))) for a in splits)
    out = {}
    for name, (train, valid, test) in sets.items():
        out[name] = {
            "one_nn": one_nn_accuracy(train, mnist.train_y, test, mnist.test_y),
            "one_nn_cosine": one_nn_accuracy(train, mnist.train_y, test, mnist.test_y, cosine=True),
            "linear": linear_probe(train, mnist.train_y, valid, mnist.valid_y, test, mnist.test_y, epochs=10)}
        print(f"{name}: {out[name]}", flush=True)
    return out


def picture(rows, path, title, ncols=20):
    """Labelled rows of images: ``rows`` is ``[(label, images (ncols, 784)), ...]``."""
    fig, axes = plt.subplots(len(rows), 1, figsize=(ncols * 0.45, len(rows) * 0.62 + 0.5))
    for ax, (label, images) in zip(axes, rows):
        ax.imshow(tile_images(to_numpy(images)[:ncols], ncols), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    grey = Image.open(buffer).convert("L")  # grey images and black text: one channel, a third of the bytes
    atomic_write(path, lambda f: grey.save(f, format="png", optimize=True))


def interpolation(G, z, x, pairs, path, n=10):
    """For each pair of test images: G along the straight line between their codes, and below it
    the pixel-space blend of the two images."""
    rows = []
    for a, b in pairs:
        t = numpy.linspace(0, 1, n)[:, None]
        za, zb = to_numpy(z[a]), to_numpy(z[b])
        rows.append((f"z: {a} to {b}", generate(G, (1 - t) * za + t * zb)))
        xa, xb = to_numpy(x[a]), to_numpy(x[b])
        rows.append(("pixels", (1 - t) * xa + t * xb))
    picture(rows, path, "G along a line between two test digits' codes (E + refinement), and the pixel blend",
            ncols=n)


def sweep_figure(refs, ours, path):
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, ref in refs.items():
        steps = [s["steps"] for s in ref["sweep"]]
        for ax, key in zip(axes, ("mse", "class_kept")):
            line, = ax.plot(steps, [s[key] for s in ref["sweep"]], "o-", label=f"{name}: E(x), then refinement")
            ax.axhline(ref["best_of_starts"][key], color=line.get_color(), ls="--",
                       label=f"{name}: best of {ref['best_of_starts']['starts']} starts")
    axes[0].axhline(ours["nearest training image"], color="k", ls=":", label="nearest training image")
    axes[0].set_ylabel("mean squared error per pixel")
    axes[1].set_ylabel("share whose class is kept")
    for ax in axes:
        ax.set_xlabel("refinement steps (Adam on z, projected onto the box)")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=100, bbox_inches="tight"))
    plt.close(fig)


def load_models(args):
    """``{name: (encode, G, bound, prior)}``: the post-hoc encoder and each BiGAN whose file
    exists; ``bound`` is the prior's box (``None``: Gaussian, no projection), ``prior(n, rng)``
    draws codes from it."""
    encoder = load(args.encoder)
    models = {"E": (encoder.encode, encoder.gan.G, encoder.bound, encoder.gan.sample_noise)}
    for spec in args.bigan or [os.path.join(PRETRAINED, "npgan-mnist-bigan.npz")]:
        label, _, path = spec.rpartition("=")
        if not os.path.exists(path):
            print(f"{path} not found: skipped")
            continue
        bigan = load(path)
        label = label or ("ALICE" if bigan.config.bigan_recon else "BiGAN")
        models[label] = (bigan.encode, bigan.G, prior_bound(bigan.noise, bigan.noise_scale), bigan.sample_noise)
    return models


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=10000)
    parser.add_argument("--reference-images", type=int, default=500)
    parser.add_argument("--starts", type=int, default=3, help="random starts beside E(x) in the reference")
    parser.add_argument("--steps", type=int, default=50, help="refinement steps of the routes")
    parser.add_argument("--reference-steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--encoder", default=os.path.join(PRETRAINED, "npgan-mnist-encoder.npz"))
    parser.add_argument("--bigan", action="append", metavar="[LABEL=]FILE",
                        help="a BiGAN model file or training checkpoint (skipped if absent); repeatable "
                             "(default: pretrained/npgan-mnist-bigan.npz)")
    parser.add_argument("--out", default=HERE)
    args = parser.parse_args()
    mnist, clf = load_mnist(), classifier.load()[0]
    models = load_models(args)
    x, labels = asarray(mnist.test_x[:args.images]), mnist.test_y[:args.images]
    result = {"settings": vars(args), "classifier_on_originals": class_kept(clf, x, labels)[0]}
    nearest = to_numpy(nearest_image_mse(x, mnist.train_x))
    result["nearest training image"] = {"mse": float(nearest.mean()), "mse_se": float(nearest.std() / len(x) ** 0.5)}
    ours = routes(models, x, labels, clf, args.steps)
    result["routes"] = {name: dict(route["scores"], seconds=route["seconds"]) for name, route in ours.items()}
    m = args.reference_images
    refs = references(models, x[:m], labels[:m], clf, args)
    result["references"] = {name: {k: v for k, v in ref.items() if k != "z"} for name, ref in refs.items()}
    result["references"]["nearest training image, same images"] = float(nearest[:m].mean())
    result["z_space"] = z_space(models)
    result["features"] = features(models, mnist)
    write_json(result, os.path.join(args.out, "inference.json"))
    rows = [("test images", x)] + [(name, route["recon"]) for name, route in ours.items()]
    rows += [(f"{name}, best of starts", generate(models[name][1], ref["z"])) for name, ref in refs.items()]
    rows.append(("nearest training image", mnist.train_x[nearest_rows(x[:20], mnist.train_x)]))
    picture(rows, os.path.join(args.out, "inference_reconstructions.png"), "the first 20 test images, reconstructed")
    lost = numpy.flatnonzero(ours["E + refinement"]["predicted"] != labels)[:20]
    picture([("test images", x[lost]), ("E + refinement", ours["E + refinement"]["recon"][lost])]
            + [(name, ours[name]["recon"][lost]) for name in models if name != "E"],
            os.path.join(args.out, "inference_failures.png"), "test images whose class E + refinement loses")
    interpolation(models["E"][1], ours["E + refinement"]["z"], x, [(0, 1), (3, 4), (8, 9)],
                  os.path.join(args.out, "inference_interpolation.png"))
    sweep_figure(refs, {"nearest training image": result["references"]["nearest training image, same images"]},
                 os.path.join(args.out, "inference_refinement.png"))
    print(json.dumps(result["routes"], indent=1))


if __name__ == "__main__":
    main()
