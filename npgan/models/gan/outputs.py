"""What a GAN's run folder shows as it trains: sample pictures, Figure 1, Parzen logs.

``epoch_outputs(model, epoch, out_dir, say)`` is called by the trainer after epoch
``epoch``, just before its checkpoint (and with ``epoch = 0`` before the first step of a
new run). An epoch redone after a crash writes its files again: pictures and snapshots
are replaced, and a Parzen row replaces the row of the same epoch.

    samples/epoch-NNNN.png      every ``sample_every`` epochs and at the last
    figure1.png                 1-D data: the paper's Figure 1 after epochs 0 (start), 1,
                                a third of the run and the last (its panels live in the
                                model's state, so a resumed run keeps the earlier ones)
    parzen.csv                  image data, every ``parzen_every`` epochs and at the last:
                                the Parzen-window log-likelihood of the test set (your
                                own images: of the held-out test images)
    parzen-averaged.csv         the same for the averaged generator (``average_from``)
    metrics.csv                 (Fashion-)MNIST, every ``eval_every`` epochs and at the last: the
                                Frechet distance and class balance of 2,000 samples in
                                npgan's classifier's features (``metrics-averaged.csv``:
                                the averaged generator's)
    snapshots/generator-epoch-NNNN.npz   G (float32) at every Parzen evaluation

Pictures and evaluations draw their noise from their own ``Random``, so they never move
the training stream.
"""

import os

from npgan import checkpoint, plots
from npgan.backend import Random, asarray
from npgan.datasets import GREY_28, OWN
from npgan.datasets.toy import make_toy
from npgan.evaluation.parzen import parzen_protocol
from npgan.evaluation.scores import training_scores
from npgan.files import atomic_write
from npgan.models.common import image_shape, image_split

PARZEN_FIELDS = "epoch,sigma,log_likelihood,standard_error\n"
METRICS_FIELDS = "epoch,frechet_distance,class_kl,mean_confidence\n"


def epoch_outputs(model, epoch, out_dir, say):
    config = model.config

    def due(every):  # every ``every`` epochs and at the last (0: never)
        return every and (epoch % every == 0 or epoch == config.epochs)

    if config.dataset == "gaussian-1d" and epoch in {0, 1, max(2, config.epochs // 3), config.epochs}:
        _figure1_stage(model, epoch, out_dir)
    if epoch == 0:
        return
    if due(config.sample_every):
        plots.save_samples(model.gan, config.dataset, os.path.join(out_dir, "samples", f"epoch-{epoch:04d}.png"),
                           title=f"epoch {epoch}", shape=image_shape(config) if config.dataset == OWN else None)
    if config.dataset in GREY_28 + (OWN,) and due(config.parzen_every):
        _parzen(model, epoch, out_dir, say)
    if config.dataset in GREY_28 and due(config.eval_every):  # needs a classifier of the data: not your own
        _metrics(model, epoch, out_dir, say)


def _figure1_stage(model, epoch, out_dir):
    """Add the panel of this epoch to Figure 1 and redraw it."""
    data = make_toy(model.config.dataset)
    panel = plots.figure1_panel(model.gan, data, plots.figure1_grid(data), "start" if epoch == 0 else f"epoch {epoch}")
    model.figure1.append({key: value if isinstance(value, str) else value.tolist() for key, value in panel.items()})
    plots.figure1(model.figure1, os.path.join(out_dir, "figure1.png"),
                  title="Figure 1 from a real run: data (black), G (green), D (blue)")


def _parzen(model, epoch, out_dir, say):
    mnist = image_split(model.config)
    snapshot = os.path.join(out_dir, "snapshots", f"generator-epoch-{epoch:04d}.npz")
    os.makedirs(os.path.dirname(snapshot), exist_ok=True)
    checkpoint.save(snapshot, model.config, {"epoch": epoch}, {"G": model.gan.G}, kind="generator", dtype="float32")
    for name, gan in (("parzen.csv", model.gan), ("parzen-averaged.csv", model.averaged_gan())):
        if gan is None:
            continue
        samples = gan.sample(10000, rng=Random(model.config.seed + 1))
        result = parzen_protocol(samples, asarray(mnist.valid_x), asarray(mnist.test_x))
        row = f"{epoch},{result['sigma']:.6g},{result['test_ll']:.4f},{result['test_se']:.4f}\n"
        _write_row(os.path.join(out_dir, name), PARZEN_FIELDS, epoch, row)
        what = "Parzen" if gan is model.gan else f"Parzen, G averaged over {model.n_averaged} epochs"
        say(f"  {what}: {result['test_ll']:.1f} +- {result['test_se']:.1f} nats (sigma {result['sigma']:.3f})")


def _metrics(model, epoch, out_dir, say):
    for name, gan in (("metrics.csv", model.gan), ("metrics-averaged.csv", model.averaged_gan())):
        if gan is None:
            continue
        scores = training_scores(gan.sample(2000, rng=Random(model.config.seed + 2)), dataset=model.config.dataset)
        row = f"{epoch},{scores['frechet_distance']:.4f},{scores['class_kl']:.5f},{scores['mean_confidence']:.5f}\n"
        _write_row(os.path.join(out_dir, name), METRICS_FIELDS, epoch, row)
        what = "metrics" if gan is model.gan else "metrics, averaged G"
        say(f"  {what}: Frechet distance {scores['frechet_distance']:.2f}, class KL {scores['class_kl']:.4f}, "
            f"confidence {scores['mean_confidence']:.3f}")


def _write_row(path, header, epoch, row):
    """Append ``row`` for ``epoch`` to a CSV log, dropping rows of this epoch or later (a redone epoch)."""
    kept = [header]
    if os.path.exists(path):
        with open(path) as f:
            kept += [line for line in f.readlines()[1:] if int(line.split(",")[0]) < epoch]
    atomic_write(path, lambda f: f.write("".join(kept + [row]).encode()))
