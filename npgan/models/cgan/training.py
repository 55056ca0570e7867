"""The "cgan" family: what the trainer trains for a class-conditional GAN, its run folder, its files.

``ConditionalModel(config)`` is ``GANModel`` (Algorithm 1's k D steps and one G step,
optimisers, averaging of G, checkpoints, resume) with the networks of
``npgan.models.cgan.model`` and a data stream of labelled minibatches ``(x, labels)``.
It trains on the labelled images of ``config.dataset``: MNIST's digits, Fashion-MNIST's
ten kinds of clothes (``npgan.datasets.fashion.CLASSES``), or your own images' classes
(``config.classes``: one subfolder each, or an .npz's labels).
``conditional_outputs`` adds to the GAN's run folder (samples, Parzen, metrics, snapshots)
the share of samples npgan's classifier of that data set (``classifier.PRETRAINED_FOR``)
puts in the class asked for:

    labels.csv    every ``eval_every`` epochs and at the last: ``label_accuracy`` of
                  1,000 samples, 100 per class (``labels-averaged.csv``: the averaged G's)

Sample pictures show one class per row (``sample`` without labels draws n/10 of each
class in label order). ``load_cgan`` is the family's loader (``npgan.load``);
``common.save_model_file`` writes G alone, float16 by default (``pretrained/``).
"""

import functools
import os

import numpy

from npgan.backend import Random, asarray, to_numpy
from npgan.datasets import OWN, load_images
from npgan.datasets.batches import ShuffledBatches
from npgan.evaluation import classifier as classifiers
from npgan.models.cgan.model import CLASSES, ConditionalGAN, discriminator, generator
from npgan.models.common import class_count, feature_count, labelled_images
from npgan.models.gan.outputs import _write_row, epoch_outputs
from npgan.models.gan.training import GANModel, load_gan

LABEL_FIELDS = "epoch,label_accuracy\n"


def build_cgan(config, rng, output_bias=None):
    """The ``ConditionalGAN`` a "cgan" ``Config`` describes, its parameters drawn from ``rng``.

    G: ``conditional.generator`` on (noise_dim + 10) inputs, ``g_hidden`` leaky-ReLU layers
    (``leaky_slope``; 0: the paper's ReLU), the label's first-layer weights drawn in
    ``[-g_label_init_range, g_label_init_range]``;
    D: ``conditional.discriminator`` on (784 + 10) inputs (the label's weights in
    ``[-d_label_init_range, d_label_init_range]``), ``d_hidden`` leaky-ReLU
    (``leaky_slope``) or maxout (``d_pieces``) units, dropout keeping ``keep_input`` of the
    pixels (the label is never dropped) and ``keep_hidden`` of every hidden layer's outputs.
    """
    features, classes = feature_count(config), class_count(config, CLASSES)
    G = generator(config.noise_dim, config.g_hidden, features, rng, config.leaky_slope, config.g_init_range,
                  output_bias, classes, config.g_label_init_range, config.dtype)
    D = discriminator(features, config.d_hidden, rng, config.d_activation, config.leaky_slope, config.d_pieces,
                      config.keep_input, config.keep_hidden, config.d_init_range, classes, config.d_label_init_range,
                      config.dtype)
    gan = ConditionalGAN(G, D, rng, config.noise_dim, config.noise, config.noise_scale, config.gen_loss,
                         config.label_smoothing)
    gan.classes = classes
    return gan


def labelled_data(dataset):
    """``(train_x, train_y)``: the 50,000 training images (n, 784) of ``dataset`` ("mnist" or
    "fashion-mnist") and their labels (n,)."""
    images = load_images(dataset)
    return images.train_x, images.train_y


class LabelledBatches(ShuffledBatches):
    """``ShuffledBatches`` of images with their labels: ``batch(i)`` is ``(x, labels)``."""

    def __init__(self, x, labels, batch_size, rng):
        super().__init__(x, batch_size, rng)
        self.labels = labels

    def batch(self, i):
        rows = self.order[i * self.batch_size:(i + 1) * self.batch_size]
        return self.x[rows], self.labels[rows]


class ConditionalModel(GANModel):
    """``GANModel`` for the "cgan" family: conditional networks and labelled minibatches."""

    def build_networks(self, rng, output_bias):
        gan = build_cgan(self.config, rng, output_bias)
        gan.config, gan.state = self.config, {}  # as a loaded one carries them
        return gan

    def build_data(self, rng):
        if self.config.dataset == OWN:
            x, labels = labelled_images(self.config, self.config.batch_size)
        else:
            x, labels = labelled_data(self.config.dataset)
        return LabelledBatches(asarray(x, dtype=self.config.dtype), asarray(labels, dtype="int64"),
                               self.config.batch_size, rng)


def label_accuracy(gan, net, per_class, rng):
    """``(share, per_class_share)``: how many of ``per_class`` samples of each class ``net`` puts in it.

    net: a classifier (``npgan.evaluation.classifier``); the samples are drawn with ``rng``.
    """
    labels = numpy.repeat(numpy.arange(CLASSES), per_class)
    predicted = to_numpy(net.logits(gan.sample(len(labels), rng=rng, labels=asarray(labels)))).argmax(axis=1)
    right = predicted == labels
    return float(right.mean()), right.reshape(CLASSES, per_class).mean(axis=1)


def conditional_outputs(model, epoch, out_dir, say):
    """The GAN's run-folder outputs (``gan_outputs.epoch_outputs``), then ``labels.csv`` (module docstring)."""
    epoch_outputs(model, epoch, out_dir, say)
    every, last = model.config.eval_every, model.config.epochs
    if model.config.dataset == OWN:  # no classifier of your own images to judge the labels
        return
    if epoch == 0 or not every or (epoch % every and epoch != last):
        return
    net = _classifier(classifiers.PRETRAINED_FOR[model.config.dataset])
    for name, gan in (("labels.csv", model.gan), ("labels-averaged.csv", model.averaged_gan())):
        if gan is None:
            continue
        share, _ = label_accuracy(gan, net, 100, Random(model.config.seed + 3))
        _write_row(os.path.join(out_dir, name), LABEL_FIELDS, epoch, f"{epoch},{share:.4f}\n")
        say(f"  {'averaged G: ' if gan is not model.gan else ''}{100 * share:.1f}% of 1000 samples "
            "classified as the label asked for")


@functools.lru_cache(maxsize=2)
def _classifier(path):
    """The classifier in ``path`` (the run's data set's committed one), which scores label accuracy."""
    return classifiers.load(path)[0]


load_cgan = functools.partial(load_gan, build=build_cgan)
