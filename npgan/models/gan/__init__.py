"""The GAN of the paper: G and D multilayer perceptrons trained by Algorithm 1.

model.py     ``GAN``: a generator, a discriminator, a noise prior, and the steps of
             Algorithm 1 (``d_step``, ``g_step``, ``simultaneous_step``)
training.py  ``GANModel``: what the trainer trains (networks from a ``Config``, the real
             data, the averaged G), and loading a GAN file
outputs.py   what a GAN's run folder shows: samples, Figure 1, Parzen and metrics logs
checks.py    the gradient checks of the remedies for unstable training

The other adversarial families (dcgan, cgan, inpainting, inference, semisup) extend
``GAN`` and ``GANModel``, so they may import this folder; it imports none of them.
"""

from npgan.models.record import Family, lazy

NOISE_PRIORS = ("uniform", "gaussian")
# The fields of the remedies for unstable training (npgan.nn.remedies) and of fast training.
REMEDIES = ("label_smoothing", "instance_noise", "instance_noise_epochs", "g_lr_ratio", "pack", "minibatch_std")


def time_scale_rules(config):
    """Two time scales and the held learning rate (also the DCGAN's; BiGAN's through ``instance_noise_rules``)."""
    return [
        (config.g_lr_ratio > 0, "g_lr_ratio (G's learning rate over D's) must be > 0"),
        (config.lr_decay_start >= 0, "lr_decay_start (updates at the initial learning rate) must be >= 0"),
    ]


def instance_noise_rules(config):
    """Instance noise (also BiGAN's), and the time-scale rules."""
    return [
        (config.instance_noise >= 0 and config.instance_noise_epochs >= 0
         and (config.instance_noise > 0) == (config.instance_noise_epochs > 0),
         "instance_noise and instance_noise_epochs (the epochs it anneals over) must be both 0 or both > 0"),
        *time_scale_rules(config),
    ]


def rules(config):
    return instance_noise_rules(config) + [
        (0 <= config.label_smoothing < 0.5, "label_smoothing must be in [0, 0.5) (the real target is 1 - s)"),
        (config.pack >= 1, "pack (samples per packed row of D) must be >= 1"),
        (config.minibatch_std == 0 or config.minibatch_std >= 2 and config.batch_size % config.minibatch_std == 0
         and bool(config.d_hidden), "minibatch_std must be 0 (off) or a group size >= 2 that divides batch_size, "
         "with at least one hidden layer in D"),
        (config.dataset != "gaussian-1d" or (config.pack, config.minibatch_std) == (1, 0),
         "pack and minibatch_std need 2-D or image data: on gaussian-1d, Figure 1 draws D of single samples"),
    ]


FAMILIES = {
    "gan": Family(
        "gan", "a GAN: generator and discriminator trained by Algorithm 1",
        can={"sample", "parzen", "evaluate"}, options=REMEDIES + ("lr_decay_start",), rules=rules,
        datasets=("mnist", "fashion-mnist", "own", "gaussian-1d", "ring-8", "grid-25"),
        build=lazy("npgan.models.gan.training", "GANModel"), outputs=lazy("npgan.models.gan.outputs", "epoch_outputs"),
        load=lazy("npgan.models.gan.training", "load_gan"), averages=True),
}
gradcheck_rows = lazy("npgan.models.gan.checks", "rows")
