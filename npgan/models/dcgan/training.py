"""What the trainer trains for the "dcgan" family: ``GANModel`` with the networks of
``model.py`` and an image data set; and loading a DCGAN file."""

import functools

from npgan.backend import asarray
from npgan.datasets.batches import ShuffledBatches
from npgan.models.common import training_images
from npgan.models.dcgan.model import build_dcgan
from npgan.models.gan.training import GANModel, load_gan


class DCGANModel(GANModel):
    """What ``train.Trainer`` trains for the "dcgan" family: ``GANModel`` with DCGAN's networks
    and any image data set (yours too); the steps, optimisers (Adam in the presets), averaging,
    checkpoints and resume are ``GANModel``'s."""

    blas_threads = None  # every product is large enough to share between BLAS threads

    def build_networks(self, rng, output_bias):
        return build_dcgan(self.config, rng, output_bias)

    def build_data(self, rng):
        x = asarray(training_images(self.config, self.config.batch_size), dtype=self.config.dtype)
        return ShuffledBatches(x, self.config.batch_size, rng)


load_dcgan = functools.partial(load_gan, build=build_dcgan)
