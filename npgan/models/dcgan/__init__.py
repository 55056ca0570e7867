"""DCGAN (Radford, Metz and Chintala, 2016): the convolutional GAN for small images.

model.py     the convolutional D and transposed-convolution G, and ``DCGAN``, a GAN whose D step suits batch norm
training.py  ``DCGANModel``: the GAN training step of ``models.gan`` with these networks and image data
checks.py    gradient checks of a DCGAN-shaped D and G
"""

from npgan.datasets import IMAGE_DATASETS
from npgan.models.gan import time_scale_rules
from npgan.models.record import Family, lazy


def rules(config):
    return [
        (config.conv_width >= 1 and config.conv_init_std > 0 and 0 <= config.leaky_slope < 1
         and 0 < config.batchnorm_momentum <= 1,
         "conv_width must be >= 1, conv_init_std > 0, leaky_slope in [0, 1) and batchnorm_momentum in (0, 1]"),
        (config.conv_d_batchnorm in (0, 1), "conv_d_batchnorm must be 0 or 1"),
        (config.conv_g_width >= 0, "conv_g_width must be >= 0 (0: conv_width)"),
        (config.conv_fc_units >= 0, "conv_fc_units must be >= 0 (0: no fully connected hidden layer)"),
        (config.update == "alternating",
         "model 'dcgan' needs update='alternating' (its D step normalises real and generated batches apart)"),
        (config.g_output == "sigmoid" and config.g_output_bias == "zero",
         "model 'dcgan' needs g_output='sigmoid' and g_output_bias='zero' (one output bias per channel)"),
        (config.dataset != "own" or len(config.image_shape) == 3 and config.image_shape[1] % 4 == 0,
         f"model 'dcgan' needs an image side divisible by 4 (its G doubles S/4 twice), got "
         f"{config.image_shape[1:2] or '?'}: pass --image-size 28 or 32, say"),
        *time_scale_rules(config),
    ]


FAMILIES = {
    "dcgan": Family(
        "dcgan", "a DCGAN: convolutional G and D with batch norm, trained by Algorithm 1",
        can={"sample", "parzen", "evaluate"}, rules=rules, datasets=IMAGE_DATASETS,
        options=("conv_width", "conv_init_std", "leaky_slope", "batchnorm_momentum", "conv_d_batchnorm", "conv_g_width",
                 "conv_fc_units", "g_lr_ratio", "lr_decay_start"),
        build=lazy("npgan.models.dcgan.training", "DCGANModel"),
        outputs=lazy("npgan.models.gan.outputs", "epoch_outputs"),
        load=lazy("npgan.models.dcgan.training", "load_dcgan"), averages=True),
}
gradcheck_rows = lazy("npgan.models.dcgan.checks", "rows")
