"""Learned approximate inference: an encoder E, x -> z, for a generator.

model.py             E, the post-hoc encoder for a frozen G, and refining its codes
encoder_training.py  the "encoder" family: E trained on pairs (G(z), z), and its files
bigan.py             BiGAN / ALI / ALICE: E and G trained together against a D of pairs (x, z)
layers.py            BiGAN's first layer of D, which reads x and z apart
bigan_training.py    the "bigan" family: what the trainer trains, and its files
scores.py            how close G(E(x)) comes to x, and whether it keeps the digit
checks.py            gradient checks of E, refinement and BiGAN's steps
"""

from npgan.models.gan import instance_noise_rules
from npgan.models.record import Family, lazy

ENCODER = ("e_hidden", "e_pieces", "e_init_range")
DATASETS = ("mnist", "own", "gaussian-1d", "ring-8", "grid-25")


def encoder_rules(config):
    return [
        (all(w >= 1 for w in config.e_hidden) and config.e_pieces >= 1 and config.e_init_range > 0,
         "e_hidden widths and e_pieces must be >= 1, e_init_range > 0"),
        (config.model != "encoder" or bool(config.generator_file) and config.iters_per_epoch >= 1,
         "model 'encoder' needs generator_file (the generator it inverts) and iters_per_epoch >= 1"),
    ]


def bigan_rules(config):
    return encoder_rules(config) + instance_noise_rules(config) + [
        (config.e_lr_ratio > 0, "e_lr_ratio (E's learning rate over D's and G's) must be > 0"),
        (not (config.parzen_every or config.eval_every or config.average_from),
         "model 'bigan' keeps no snapshots or averages: parzen_every, eval_every and average_from must be 0 "
         "(score its checkpoint with npgan parzen or npgan evaluate)"),
        (config.d_code_units >= 0 and config.bigan_recon >= 0, "d_code_units and bigan_recon must be >= 0"),
        (not config.d_code_units or config.d_activation == "maxout" and bool(config.d_hidden),
         "d_code_units (D's separate paths on x and z) needs d_activation='maxout' and at least one d_hidden layer"),
    ]


FAMILIES = {
    "encoder": Family(
        "encoder", "a post-hoc encoder E: x -> z for a frozen generator, which it needs beside it to reconstruct",
        can={"encode", "reconstruct", "evaluate"}, options=ENCODER + ("generator_file",), rules=encoder_rules,
        datasets=DATASETS, build=lazy("npgan.models.inference.encoder_training", "EncoderModel"),
        outputs=lazy("npgan.models.inference.encoder_training", "encoder_outputs"),
        load=lazy("npgan.models.inference.encoder_training", "load_encoder")),
    "bigan": Family(
        "bigan", "a BiGAN: generator, encoder, and a discriminator of pairs (x, z)",
        can={"sample", "parzen", "evaluate", "encode", "reconstruct"}, rules=bigan_rules, datasets=DATASETS,
        options=ENCODER + ("e_lr_ratio", "d_code_units", "bigan_recon", "instance_noise", "instance_noise_epochs",
                           "g_lr_ratio"),
        build=lazy("npgan.models.inference.bigan_training", "BiGANModel"),
        outputs=lazy("npgan.models.inference.bigan_training", "bigan_outputs"),
        load=lazy("npgan.models.inference.bigan_training", "load_bigan")),
}
gradcheck_rows = lazy("npgan.models.inference.checks", "rows")
