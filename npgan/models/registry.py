"""The model families npgan trains, and what each one's checkpoints can do.

A ``Config``'s ``model`` field names its family (``config.MODELS``). A family gives:

    build(config)            the model ``train.Trainer`` trains (its interface: train.py)
    outputs(model, epoch, out_dir, say)   pictures and evaluations in the run folder
    load(path, config, state, arrays, averaged)   the trained object a file holds (a
                             ``GAN`` for the "gan" family), with ``.config`` and ``.state``;
                             ``families.load(path)`` (``npgan.load``) reads and dispatches
    can                      what its files can be used for, from ``ABILITIES``

Adding a family is one entry in ``FAMILIES`` (and its name in ``config.MODELS``); the
loop, checkpoints, resume, locking and the commands' one-line refusals come with it.
"""

import dataclasses
import os

from npgan.checkpoint import CheckpointError, read
from npgan.errors import UsageError
from npgan.loading import load_gan
from npgan.models.autoencoders.training import AutoencoderModel, autoencoder_outputs, load_autoencoder
from npgan.models.cgan.training import ConditionalModel, conditional_outputs, load_cgan
from npgan.models.dcgan.model import DCGANModel, load_dcgan
from npgan.models.gan.outputs import epoch_outputs
from npgan.models.gan.training import GANModel
from npgan.models.inference.bigan_training import BiGANModel, bigan_outputs, load_bigan
from npgan.models.inference.encoder_training import EncoderModel, encoder_outputs, load_encoder
from npgan.models.inpainting.training import InpaintModel, inpaint_outputs, load_inpainter
from npgan.models.semisup.training import SemiSupervisedModel, load_semisupervised, semisupervised_outputs

ABILITIES = ("sample", "parzen", "evaluate", "encode", "reconstruct", "classify", "inpaint", "elbo")


@dataclasses.dataclass(frozen=True)
class Family:
    name: str
    build: object
    outputs: object
    load: object
    can: frozenset
    description: str


FAMILIES = {
    "gan": Family("gan", GANModel, epoch_outputs, load_gan, frozenset({"sample", "parzen", "evaluate"}),
                  "a GAN: generator and discriminator trained by Algorithm 1"),
    "dcgan": Family("dcgan", DCGANModel, epoch_outputs, load_dcgan, frozenset({"sample", "parzen", "evaluate"}),
                    "a DCGAN: convolutional G and D with batch norm, trained by Algorithm 1"),
    # The autoencoders: three families of one model class (npgan.models.autoencoders.model), since what
    # their files can do differs: only the VAE has a prior to sample and a bound on log p(x).
    # An autoencoder's "evaluate" scores its reconstructions of test images.
    "ae": Family("ae", AutoencoderModel, autoencoder_outputs, load_autoencoder,
                 frozenset({"encode", "reconstruct", "evaluate"}),
                 "an autoencoder: deterministic encoder and decoder, no prior to sample from"),
    "dae": Family("dae", AutoencoderModel, autoencoder_outputs, load_autoencoder,
                  frozenset({"encode", "reconstruct", "evaluate"}),
                  "a denoising autoencoder: deterministic encoder and decoder, no prior to sample from"),
    "vae": Family("vae", AutoencoderModel, autoencoder_outputs, load_autoencoder,
                  frozenset({"sample", "parzen", "evaluate", "encode", "reconstruct", "elbo"}),
                  "a variational autoencoder: encoder q(z|x), decoder p(x|z), prior N(0, I)"),
    # Learned approximate inference (npgan.models.inference.model): E post hoc for a frozen G (whose file
    # its own names), and BiGAN, where E and G are trained together against a D of pairs.
    "encoder": Family("encoder", EncoderModel, encoder_outputs, load_encoder,
                      frozenset({"encode", "reconstruct", "evaluate"}),
                      "a post-hoc encoder E: x -> z for a frozen generator, which it needs beside it to reconstruct"),
    "bigan": Family("bigan", BiGANModel, bigan_outputs, load_bigan,
                    frozenset({"sample", "parzen", "evaluate", "encode", "reconstruct"}),
                    "a BiGAN: generator, encoder, and a discriminator of pairs (x, z)"),
    # The class-conditional GAN (npgan.models.cgan.model): G(z, c) and D(x, c), c a one-hot class label.
    "cgan": Family("cgan", ConditionalModel, conditional_outputs, load_cgan,
                   frozenset({"sample", "parzen", "evaluate"}),
                   "a class-conditional GAN: G(z, c) and D(x, c), c the one-hot label of a class"),
    # Inpainting (npgan.models.inpainting.model): one conditional G(z, x_S, S) for a family of masks.
    "inpaint": Family("inpaint", InpaintModel, inpaint_outputs, load_inpainter, frozenset({"inpaint"}),
                      "an inpainter: G(z, x_S, S) completes the missing pixels of an image, D judges (image, mask)"),
    # Semi-supervised (npgan.models.semisup.model): D is a K-class classifier with a fake class;
    # a training checkpoint samples too, a classifier file (D only) classifies only.
    "semisup": Family("semisup", SemiSupervisedModel, semisupervised_outputs, load_semisupervised,
                      frozenset({"classify", "sample", "evaluate"}),
                      "a semi-supervised GAN: a (K+1)-class discriminator and its generator"),
}


def family(config):
    """The ``Family`` of ``config.model``."""
    try:
        return FAMILIES[config.model]
    except KeyError:
        raise ValueError(f"no model family {config.model!r}; expected one of {', '.join(FAMILIES)}") from None


def load(path, averaged=False):
    """The model stored in a checkpoint (``.npz``): for a GAN, a ``GAN`` ready to sample from.

    ``averaged=True``: the running mean of G that a run with ``average_from`` keeps.
    Raises ``CheckpointError`` for a file that cannot be read or used.
    """
    config, state, arrays = read(path)
    try:
        chosen = family(config)
    except ValueError as exc:
        raise CheckpointError(f"{os.fspath(path)}: {exc}") from None
    return chosen.load(path, config, state, arrays, averaged)


def require(loaded, ability, path):
    """``UsageError`` in one line unless the object loaded from ``path`` can do ``ability``."""
    if ability not in ABILITIES:
        raise ValueError(f"require: unknown ability {ability!r}; expected one of {ABILITIES}")
    chosen = family(loaded.config)
    if ability not in chosen.can:
        can = ", ".join(sorted(chosen.can)) or "nothing"
        raise UsageError(f"{path} holds a {chosen.name} model ({chosen.description}), which cannot {ability}; "
                         f"it can: {can}")
