"""The models before GANs: the autoencoder, the denoising autoencoder and the VAE.

model.py     the encoder and decoder networks and each family's loss
losses.py    the reconstruction losses and the VAE's two pieces, forward and backward
training.py  what the trainer trains for each of the three families, and their files
bounds.py    bounds on a VAE's log p(x): the ELBO and the importance-weighted bound
checks.py    gradient checks of the losses and of a whole autoencoder and VAE
"""

from npgan.models.record import Family, lazy

CORRUPTIONS = ("none", "masking", "gaussian")
RECONSTRUCTION_LOSSES = ("bernoulli", "squared")
OPTIONS = ("ae_hidden", "ae_code", "ae_loss", "ae_corruption", "ae_noise", "ae_binarize")


def rules(config):
    return [
        (config.ae_code >= 1 and all(w >= 1 for w in config.ae_hidden),
         "ae_code and every ae_hidden width must be >= 1"),
        (config.ae_loss in (("bernoulli",) if config.model == "vae" else RECONSTRUCTION_LOSSES),
         f"ae_loss must be one of {RECONSTRUCTION_LOSSES} (a VAE's decoder is Bernoulli: 'bernoulli')"),
        (config.ae_corruption in CORRUPTIONS and (config.ae_corruption != "none") == (config.model == "dae"),
         f"ae_corruption must be one of {CORRUPTIONS}: a dae needs a corruption, ae and vae take 'none'"),
        (config.ae_noise >= 0 and (config.model != "dae" or config.ae_noise > 0)
         and (config.ae_corruption != "masking" or config.ae_noise < 1),
         "ae_noise must be >= 0, > 0 for a dae, and below 1 for masking (a probability)"),
        (config.ae_binarize in ("none", "stochastic"), "ae_binarize must be 'none' or 'stochastic'"),
    ]


def _family(name, description, can):
    return Family(name, description, can=can, options=OPTIONS, rules=rules, datasets=("mnist", "own"),
                  build=lazy("npgan.models.autoencoders.training", "AutoencoderModel"),
                  outputs=lazy("npgan.models.autoencoders.training", "autoencoder_outputs"),
                  load=lazy("npgan.models.autoencoders.training", "load_autoencoder"))


# Three families of one model class: what their files can do differs (only the VAE has a
# prior to sample and a bound on log p(x)). An autoencoder's "evaluate" scores its
# reconstructions of test images.
FAMILIES = {
    "ae": _family("ae", "an autoencoder: deterministic encoder and decoder, no prior to sample from",
                  {"encode", "reconstruct", "evaluate"}),
    "dae": _family("dae", "a denoising autoencoder: deterministic encoder and decoder, no prior to sample from",
                   {"encode", "reconstruct", "evaluate"}),
    "vae": _family("vae", "a variational autoencoder: encoder q(z|x), decoder p(x|z), prior N(0, I)",
                   {"sample", "parzen", "evaluate", "encode", "reconstruct", "elbo"}),
}
gradcheck_rows = lazy("npgan.models.autoencoders.checks", "rows")
