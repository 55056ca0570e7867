"""The class-conditional GAN (Mirza and Osindero, 2014): G(z, c) and D(x, c), c a one-hot label.

model.py     ``ConditionalGAN``: its networks and the steps of Algorithm 1 with labels
training.py  what the trainer trains, the per-class outputs of its run folder, its files
checks.py    gradient checks, including that the label gets no gradient
"""

from npgan.models.record import Family, lazy


def rules(config):
    return [
        (0 <= config.leaky_slope < 1, "leaky_slope (the leaky ReLUs' slope) must be in [0, 1)"),
        (config.g_label_init_range > 0 and config.d_label_init_range > 0,
         "g_label_init_range and d_label_init_range must be > 0"),
        (bool(config.g_hidden) and bool(config.d_hidden), "model 'cgan' needs hidden layers in G and D"),
        (config.dataset != "own" or config.classes >= 2,
         f"model 'cgan' needs labelled images: {config.data or 'the data'} has no classes (put each class's images "
         "in a subfolder of its own, or the labels in the .npz under 'y')"),
    ]


FAMILIES = {
    "cgan": Family(
        "cgan", "a class-conditional GAN: G(z, c) and D(x, c), c the one-hot label of a class",
        can={"sample", "parzen", "evaluate"}, options=("leaky_slope", "g_label_init_range", "d_label_init_range"),
        rules=rules, datasets=("mnist", "fashion-mnist", "own"),
        build=lazy("npgan.models.cgan.training", "ConditionalModel"),
        outputs=lazy("npgan.models.cgan.training", "conditional_outputs"),
        load=lazy("npgan.models.cgan.training", "load_cgan"), averages=True),
}
gradcheck_rows = lazy("npgan.models.cgan.checks", "rows")
