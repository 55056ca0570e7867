"""Semi-supervised learning with a (K+1)-class discriminator (Salimans et al. 2016; Odena 2016).

model.py     D as a K-class classifier with a fake class, its losses and feature matching
training.py  what the trainer trains with N labelled images, and its files
features.py  the paper's version: a trained discriminator's features, frozen, and a classifier on them
checks.py    gradient checks of the losses, the networks and both training steps
"""

from npgan.models.record import Family, lazy

MAX_LABELS = 50000  # the training split: every image labelled


def rules(config):
    return [
        (config.dataset == "own" or config.labels >= 10 and config.labels % 10 == 0 and config.labels <= MAX_LABELS,
         f"labels must be a multiple of 10 (as many of each digit) from 10 to 50,000, got {config.labels}"),
        (config.dataset != "own" or config.classes >= 2 and config.labels >= config.classes
         and config.labels % config.classes == 0,
         f"model 'semisup' on your own images needs labelled images (one subfolder per class) and --labels a "
         f"multiple of their {config.classes} classes, got {config.labels}"),
        (config.label_seed >= 0, "label_seed must be >= 0"),
        (config.semisup_weight_norm in (0, 1), "semisup_weight_norm must be 0 or 1"),
        (config.semisup_train_scales in (0, 1), "semisup_train_scales must be 0 or 1"),
        (config.semisup_train_scales == 1 or config.semisup_weight_norm == 1,
         "semisup_train_scales 0 holds weight-normalised scales: it needs semisup_weight_norm 1"),
        (config.semisup_g_activation in ("relu", "softplus"), "semisup_g_activation must be 'relu' or 'softplus'"),
        (config.semisup_g_weight_norm in (0, 1), "semisup_g_weight_norm must be 0 or 1"),
        (config.semisup_g_bn_scale in (0, 1), "semisup_g_bn_scale must be 0 or 1"),
        (0.0 <= config.semisup_average < 1.0, "semisup_average must be in [0, 1) (0: no average)"),
        (config.semisup_unlabelled in ("train", "train+valid"),
         "semisup_unlabelled must be 'train' or 'train+valid'"),
        (config.semisup_adam_eps >= 0, "semisup_adam_eps must be >= 0 (0: npgan's Adam)"),
        (config.semisup_entropy >= 0 and config.semisup_pull_away >= 0,
         "semisup_entropy and semisup_pull_away are weights: they must be >= 0 (0: off)"),
        (config.semisup_input_noise >= 0 and config.semisup_hidden_noise >= 0, "semisup noise stds must be >= 0"),
        (config.optimizer == "adam", "model 'semisup' trains with optimizer 'adam'"),
        (bool(config.d_hidden) and bool(config.g_hidden), "model 'semisup' needs hidden layers in D and G"),
    ]


FAMILIES = {
    "semisup": Family(
        "semisup", "a semi-supervised GAN: a (K+1)-class discriminator and its generator",
        can={"classify", "sample", "evaluate"}, rules=rules, datasets=("mnist", "own"),
        options=("labels", "label_seed", "semisup_input_noise", "semisup_hidden_noise", "semisup_weight_norm",
                 "semisup_train_scales", "semisup_g_activation", "semisup_g_weight_norm", "semisup_g_bn_scale",
                 "semisup_average", "semisup_unlabelled", "semisup_adam_eps", "semisup_entropy",
                 "semisup_pull_away"),
        build=lazy("npgan.models.semisup.training", "SemiSupervisedModel"),
        outputs=lazy("npgan.models.semisup.training", "semisupervised_outputs"),
        load=lazy("npgan.models.semisup.training", "load_semisupervised")),
}
gradcheck_rows = lazy("npgan.models.semisup.checks", "rows")
