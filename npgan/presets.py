"""Named training configurations: the paper's, and small ones that run in seconds.

A ``Config`` holds everything a run needs, is saved inside every checkpoint as JSON,
and is validated on construction, so a bad value fails before anything is written.
"""

import dataclasses
import json
import math

from npgan.autoencoders import CORRUPTIONS, RECONSTRUCTION_LOSSES
from npgan.gan import NOISE_PRIORS
from npgan.losses import GENERATOR_LOSSES
from npgan.models import HIDDEN, OUTPUTS

DATASETS = ("mnist", "gaussian-1d", "ring-8", "grid-25", "fashion-mnist", "cifar10")
IMAGE_DATASETS = ("mnist", "fashion-mnist", "cifar10")  # what the dcgan family trains on (npgan.dcgan)
UPDATES = ("alternating", "simultaneous")
# the model families (npgan.families); each has an entry there
MODELS = ("gan", "ae", "dae", "vae", "dcgan", "encoder", "bigan")
OPTIMIZERS = ("momentum", "adam")
AUTOENCODERS = ("ae", "dae", "vae")  # the families of npgan.autoencoders


@dataclasses.dataclass(frozen=True)
class Config:
    model: str = "gan"
    dataset: str = "mnist"
    # noise prior p_z
    noise_dim: int = 100
    noise: str = "uniform"
    noise_scale: float = math.sqrt(3)
    # generator: Linear/ReLU hidden layers, then the output
    g_hidden: tuple = (1200, 1200)
    g_output: str = "sigmoid"
    g_init_range: float = 0.05
    g_output_bias: str = "data_logit_mean"  # or "zero"
    # discriminator: dropout, maxout (or ReLU) hidden layers, Linear to one logit
    d_hidden: tuple = (240, 240)
    d_pieces: int = 5
    d_activation: str = "maxout"
    keep_input: float = 0.8
    keep_hidden: float = 0.5
    d_init_range: float = 0.005
    d_bias_range: float = 0.0  # 0: zero biases (the paper's); see models.discriminator
    # objectives and Algorithm 1
    gen_loss: str = "nonsaturating"
    k: int = 1
    update: str = "alternating"
    # optimisation: "momentum" (SGD, the paper's) or "adam" (beta1, beta2 below; no momentum ramp)
    optimizer: str = "momentum"
    adam_beta1: float = 0.5
    adam_beta2: float = 0.999
    batch_size: int = 100
    lr: float = 0.1
    lr_decay: float = 1.000004
    lr_min: float = 1e-6
    momentum_start: float = 0.5
    momentum_end: float = 0.7
    momentum_start_epoch: int = 1
    momentum_saturate_epoch: int = 250
    # "pylearn2": epoch e (counted from 1) gets the ramp's value at e, as the paper's code
    # (MomentumAdjustor); "late": at e - 1, one epoch behind, as npgan's checkpoints
    # written before this field trained (they resume with it).
    momentum_ramp: str = "pylearn2"
    # run length and bookkeeping
    epochs: int = 100
    iters_per_epoch: int = 0  # toy data only: iterations per epoch (MNIST: one pass)
    seed: int = 0
    sample_every: int = 5
    parzen_every: int = 0
    # MNIST: every this many epochs (and at the last), the Frechet distance and class
    # balance of 2,000 samples in npgan's classifier's features, beside Parzen
    # (metrics.csv; see npgan.evaluation.training_scores); 0: never.
    eval_every: int = 0
    # Keep the mean of G's parameters at the end of every epoch from this one on (0: off).
    # Training is unchanged; the average is a second generator, saved in checkpoints
    # (``npgan export --averaged``, ``npgan.load(path, averaged=True)``).
    average_from: int = 0
    # autoencoders (model "ae", "dae", "vae"; npgan/autoencoders.py): the encoder's ReLU
    # hidden widths down to a code of ae_code numbers (the VAE's: mean and log-variance of
    # ae_code Gaussian latents), the decoder the same widths back up to one logit per pixel;
    # ae_loss: "bernoulli" cross-entropy from the logits (the VAE's) or "squared" error;
    # ae_corruption (a DAE's): "masking" (each pixel zeroed with probability ae_noise) or
    # "gaussian" (noise of standard deviation ae_noise); ae_binarize "stochastic": each
    # training pixel drawn as a Bernoulli of its grey value, afresh for every minibatch
    # (evaluation images binarised once: autoencoder_model.evaluation_images).
    ae_hidden: tuple = (200, 200)
    ae_code: int = 50
    ae_loss: str = "bernoulli"
    ae_corruption: str = "none"
    ae_noise: float = 0.0
    ae_binarize: str = "none"
    # DCGAN (model "dcgan", npgan/dcgan.py): D convolves to conv_width then 2 * conv_width
    # channels, G's transposed convolutions go from 2 * conv_width to conv_width; weights
    # N(0, conv_init_std^2); leaky_slope is D's LeakyReLU; batchnorm_momentum the rate of the
    # running averages that batch norm evaluates with. noise, gen_loss, k, the optimiser
    # and the run-length fields apply as for a GAN; the MLP and dropout fields do not.
    conv_width: int = 64
    conv_init_std: float = 0.02
    leaky_slope: float = 0.2
    batchnorm_momentum: float = 0.1
    # Inference (models "encoder" and "bigan", npgan/inference.py): the encoder E, x -> z:
    # maxout layers of e_hidden units x e_pieces, a Linear to noise_dim, and for a uniform
    # prior noise_scale * tanh. "encoder" trains E post hoc for the frozen G in
    # generator_file (a path, or one under the repository) on pairs (G(z), z),
    # iters_per_epoch minibatches an epoch; "bigan" trains E with G against a D of pairs (x, z),
    # E's learning rate and its floor e_lr_ratio times D's and G's.
    e_hidden: tuple = (240, 240)
    e_pieces: int = 5
    e_init_range: float = 0.05
    e_lr_ratio: float = 1.0
    generator_file: str = ""
    # Remedies for unstable training (issue 18; npgan/remedies.py), all off by default.
    # label_smoothing s: D's target for real examples is 1 - s (one-sided). instance_noise:
    # the standard deviation of Gaussian noise added to every input of D, real and
    # generated, falling linearly to 0 over the first instance_noise_epochs epochs.
    # g_lr_ratio: G's learning rate and its floor as a multiple of D's (two time scales;
    # log.csv's lr is G's). pack: D judges pack samples at once, concatenated (PacGAN;
    # batch_size then counts packs: a minibatch holds batch_size * pack samples).
    # minibatch_std: groups of this many of D's rows share one more input of its last
    # hidden layer, their standard deviation (Karras et al.); 0: off. All but g_lr_ratio
    # are the "gan" family's; g_lr_ratio applies to "dcgan" too, instance_noise to "bigan".
    label_smoothing: float = 0.0
    instance_noise: float = 0.0
    instance_noise_epochs: int = 0
    g_lr_ratio: float = 1.0
    pack: int = 1
    minibatch_std: int = 0
    dtype: str = "float32"

    def __post_init__(self):
        for field in dataclasses.fields(self):
            _check_type(field, getattr(self, field.name))
        for name in (field.name for field in dataclasses.fields(self) if field.type is tuple):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        reals = [f.name for f in dataclasses.fields(self) if f.type is float]
        infinite = [name for name in reals if not math.isfinite(getattr(self, name))]
        autoencoder = self.model in AUTOENCODERS
        dcgan = self.model == "dcgan"
        checks = [
            (all(w >= 1 for w in self.g_hidden + self.d_hidden), "every hidden layer needs width >= 1"),
            (self.seed >= 0, "seed must be >= 0"),
            (not infinite, f"{', '.join(infinite)} must be finite"),
            (self.sample_every >= 0 and self.parzen_every >= 0 and self.iters_per_epoch >= 0,
             "sample_every, parzen_every and iters_per_epoch must be >= 0"),
            (self.lr_min >= 0 and self.noise_scale > 0 and self.g_init_range > 0 and self.d_init_range > 0
             and self.d_bias_range >= 0, "lr_min and d_bias_range must be >= 0, noise_scale and init ranges > 0"),
            (self.model in MODELS, f"model must be one of {MODELS}"),
            (self.dataset in DATASETS, f"dataset must be one of {DATASETS}"),
            (self.noise in NOISE_PRIORS, f"noise must be one of {NOISE_PRIORS}"),
            (self.gen_loss in GENERATOR_LOSSES, f"gen_loss must be one of {GENERATOR_LOSSES}"),
            (self.update in UPDATES, f"update must be one of {UPDATES}"),
            (self.momentum_ramp in ("pylearn2", "late"), "momentum_ramp must be 'pylearn2' or 'late'"),
            (self.g_output in OUTPUTS, f"g_output must be one of {OUTPUTS}"),
            (self.g_output_bias in ("data_logit_mean", "zero"), "g_output_bias must be 'data_logit_mean' or 'zero'"),
            (self.d_activation in HIDDEN, f"d_activation must be one of {HIDDEN}"),
            (self.k >= 1, "k (discriminator steps per generator step) must be >= 1"),
            (self.k == 1 or self.update == "alternating",
             f"k = {self.k} discriminator steps need update='alternating' (the simultaneous update has one)"),
            (self.lr > 0, "learning rate must be > 0"),
            (self.optimizer in OPTIMIZERS, f"optimizer must be one of {OPTIMIZERS}"),
            (0 <= self.adam_beta1 < 1 and 0 <= self.adam_beta2 < 1, "adam_beta1 and adam_beta2 must be in [0, 1)"),
            (self.lr_decay >= 1, "lr_decay must be >= 1 (the learning rate is divided by it)"),
            (0 <= self.momentum_start < 1 and 0 <= self.momentum_end < 1, "momentum must be in [0, 1)"),
            (self.batch_size >= 1, "batch_size must be >= 1"),
            (self.epochs >= 1, "epochs must be >= 1"),
            (self.average_from >= 0, "average_from must be >= 0 (0: no averaging)"),
            (self.eval_every >= 0, "eval_every must be >= 0 (0: never)"),
            (self.noise_dim >= 1 and self.d_pieces >= 1, "noise_dim and d_pieces must be >= 1"),
            (0 < self.keep_input <= 1 and 0 < self.keep_hidden <= 1, "keep probabilities must be in (0, 1]"),
            (self.dataset in IMAGE_DATASETS or self.iters_per_epoch >= 1, "toy datasets need iters_per_epoch >= 1"),
            (self.dtype in ("float32", "float64"), "dtype must be 'float32' or 'float64'"),
            # the autoencoder families
            (not autoencoder or self.dataset == "mnist", f"model {self.model!r} trains on mnist"),
            (not autoencoder or self.ae_code >= 1 and all(w >= 1 for w in self.ae_hidden),
             "ae_code and every ae_hidden width must be >= 1"),
            (not autoencoder or self.ae_loss in (("bernoulli",) if self.model == "vae" else RECONSTRUCTION_LOSSES),
             f"ae_loss must be one of {RECONSTRUCTION_LOSSES} (a VAE's decoder is Bernoulli: 'bernoulli')"),
            (not autoencoder or self.ae_corruption in CORRUPTIONS
             and (self.ae_corruption != "none") == (self.model == "dae"),
             f"ae_corruption must be one of {CORRUPTIONS}: a dae needs a corruption, ae and vae take 'none'"),
            (not autoencoder or self.ae_noise >= 0 and (self.model != "dae" or self.ae_noise > 0)
             and (self.ae_corruption != "masking" or self.ae_noise < 1),
             "ae_noise must be >= 0, > 0 for a dae, and below 1 for masking (a probability)"),
            (not autoencoder or self.ae_binarize in ("none", "stochastic"),
             "ae_binarize must be 'none' or 'stochastic'"),
            # the dcgan family
            (dcgan or self.dataset not in ("fashion-mnist", "cifar10"),
             f"dataset {self.dataset!r} trains the dcgan model (model='dcgan') only"),
            (not dcgan or self.dataset in IMAGE_DATASETS, f"model 'dcgan' trains on one of {IMAGE_DATASETS}"),
            (not dcgan or self.conv_width >= 1 and self.conv_init_std > 0 and 0 <= self.leaky_slope < 1
             and 0 < self.batchnorm_momentum <= 1,
             "conv_width must be >= 1, conv_init_std > 0, leaky_slope in [0, 1) and batchnorm_momentum in (0, 1]"),
            (not dcgan or self.update == "alternating",
             "model 'dcgan' needs update='alternating' (its D step normalises real and generated batches apart)"),
            (not dcgan or self.g_output == "sigmoid" and self.g_output_bias == "zero",
             "model 'dcgan' needs g_output='sigmoid' and g_output_bias='zero' (one output bias per channel)"),
            # the inference families (npgan.inference)
            (self.model not in ("encoder", "bigan") or all(w >= 1 for w in self.e_hidden) and self.e_pieces >= 1
             and self.e_init_range > 0, "e_hidden widths and e_pieces must be >= 1, e_init_range > 0"),
            (self.e_lr_ratio > 0 and (self.e_lr_ratio == 1 or self.model == "bigan"),
             "e_lr_ratio (E's learning rate over D's and G's) must be > 0, and applies to model 'bigan'"),
            (self.model != "encoder" or bool(self.generator_file) and self.iters_per_epoch >= 1,
             "model 'encoder' needs generator_file (the generator it inverts) and iters_per_epoch >= 1"),
            (self.model == "encoder" or not self.generator_file, "generator_file applies to model 'encoder'"),
            (self.model != "bigan" or not (self.parzen_every or self.eval_every or self.average_from),
             "model 'bigan' keeps no snapshots or averages: parzen_every, eval_every and average_from must be 0 "
             "(score its checkpoint with npgan parzen or npgan evaluate)"),
            # the remedies (npgan.remedies)
            (0 <= self.label_smoothing < 0.5, "label_smoothing must be in [0, 0.5) (the real target is 1 - s)"),
            (self.instance_noise >= 0 and self.instance_noise_epochs >= 0
             and (self.instance_noise > 0) == (self.instance_noise_epochs > 0),
             "instance_noise and instance_noise_epochs (the epochs it anneals over) must be both 0 or both > 0"),
            (self.g_lr_ratio > 0, "g_lr_ratio (G's learning rate over D's) must be > 0"),
            (self.g_lr_ratio == 1 or self.model in ("gan", "dcgan"), "g_lr_ratio applies to the GAN families"),
            (self.pack >= 1, "pack (samples per packed row of D) must be >= 1"),
            (self.minibatch_std == 0 or self.minibatch_std >= 2 and self.batch_size % self.minibatch_std == 0
             and bool(self.d_hidden), "minibatch_std must be 0 (off) or a group size >= 2 that divides batch_size, "
             "with at least one hidden layer in D"),
            (self.model == "gan" or (self.label_smoothing, 0 if self.model == "bigan" else self.instance_noise,
                                     self.pack, self.minibatch_std) == (0, 0, 1, 0),
             f"label_smoothing, instance_noise, pack and minibatch_std apply to model 'gan' (instance_noise to "
             f"'bigan' too), not {self.model!r}"),
            (self.dataset != "gaussian-1d" or (self.pack, self.minibatch_std) == (1, 0),
             "pack and minibatch_std need 2-D or image data: on gaussian-1d, Figure 1 draws D of single samples"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"Config: {message}")

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text):
        values = json.loads(text)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"Config: unknown fields {sorted(unknown)}")
        return cls(**values)


def _check_type(field, value):
    """``ValueError`` unless ``value`` has the field's type (an int is a float too; a list a tuple)."""
    if field.type is tuple:
        ok = isinstance(value, (tuple, list)) and all(isinstance(w, int) and not isinstance(w, bool) for w in value)
        expected = "a list of integers"
    elif field.type is int:
        ok, expected = isinstance(value, int) and not isinstance(value, bool), "an integer"
    elif field.type is float:
        ok, expected = isinstance(value, (int, float)) and not isinstance(value, bool), "a number"
    else:
        ok, expected = isinstance(value, str), "a string"
    if not ok:
        raise ValueError(f"Config: {field.name} must be {expected}, got {value!r}")


# The paper's MNIST model, transcribed from its public code (mnist.yaml). That code
# computed D's and G's gradients from one batch and applied them together
# (update="simultaneous"); why this preset does the same rather than Algorithm 1's
# alternation is in results/mnist.md ("Why mnist-paper uses the simultaneous update").
# average_from=5 keeps the mean of G over the ends of epochs 5, 6, ... beside the trained
# G; training does not depend on it.
MNIST_PAPER = Config(epochs=300, parzen_every=10, update="simultaneous", average_from=5)

_TOY = dict(noise="gaussian", noise_scale=1.0, g_output="linear", g_output_bias="zero",
            g_init_range=0.5, d_init_range=0.5, d_bias_range=4.0, d_activation="maxout", d_pieces=2,
            keep_input=1.0, keep_hidden=1.0, lr_decay=1.0, lr_min=0.0,
            momentum_start=0.5, momentum_end=0.5, sample_every=10)

# toy-1d ends within a few per cent of the data's mean and std with D(G(z)) ~ 1/2 for all
# of seeds 0..9 (a search over the Config fields). What it needs: a D
# fine enough to show G where it is too narrow (32-32 maxout, 5 pieces, random biases:
# with 2 pieces or 16 units G settles too narrow), 4-D noise (with 1-D noise the ReLU G
# folds, V-shaped, leaving a hard edge), no momentum, and a learning rate that decays
# 20x over the run so that the end state settles instead of circling the equilibrium.
# Kept small enough that BLAS runs each product on one thread.
_TOY_1D = dict(_TOY, noise_dim=4, g_hidden=(32, 32), d_hidden=(32, 32), d_pieces=5,
               batch_size=64, lr=0.02, lr_decay=1.0015, lr_min=0.001,
               momentum_start=0.0, momentum_end=0.0, epochs=20, iters_per_epoch=100,
               sample_every=20, seed=1)

_AUTOENCODER = dict(optimizer="adam", lr=1e-3, adam_beta1=0.9, adam_beta2=0.999, lr_min=0.0, batch_size=100,
                    sample_every=10)

# DCGAN as Radford et al. trained it: Adam with lr 2e-4 and beta1 0.5, a constant rate,
# batch 128, no dropout; N(0, 1) noise; sigmoid output since the pixels are in [0, 1].
_DCGAN = dict(model="dcgan", noise="gaussian", noise_scale=1.0, g_output_bias="zero", optimizer="adam",
              lr=2e-4, adam_beta1=0.5, adam_beta2=0.999, lr_decay=1.0, lr_min=0.0, batch_size=128,
              epochs=5, sample_every=1)

PRESETS = {
    "mnist-paper": (
        "the paper's exact MNIST configuration (maxout D with dropout, 1200-1200 ReLU G; "
        "300 epochs, about 1.5-2 h on 2 cores)", MNIST_PAPER),
    "mnist": (
        "the paper's MNIST model for 25 epochs: recognisable digits in about 15 minutes on 2 cores",
        MNIST_PAPER.replace(epochs=25, parzen_every=0)),
    "toy-1d": (
        "1-D Gaussian (the paper's Figure 1 setting): G ends on the data, D at 1/2; "
        "tiny MLPs, about 5 seconds",
        Config(dataset="gaussian-1d", **_TOY_1D)),
    # ring-8, grid-25: the best configurations of benchmarks/results/mode_collapse.md, where
    # ring-8-plain and grid-25-plain (below) are the baselines. ring-8: Adam, the rate falling
    # 100x over 8,000 minibatches; grid-25: the plain preset three times as long (18,000
    # minibatches, the rate falling 20x). No remedy of npgan.remedies beat these on both
    # coverage and precision in that table.
    "ring-8": (
        "2-D ring of 8 Gaussians (mode-collapse benchmark): Adam, 8,000 minibatches; about 30 seconds",
        Config(dataset="ring-8", **dict(_TOY, noise_dim=2, g_hidden=(128, 128), d_hidden=(128, 128),
               batch_size=100, optimizer="adam", lr=0.003, lr_decay=1.000576, lr_min=3e-5, epochs=80,
               iters_per_epoch=100))),
    "grid-25": (
        "2-D 5x5 grid of 25 Gaussians (mode-collapse benchmark): momentum SGD, 18,000 minibatches; "
        "about a minute",
        Config(dataset="grid-25", **dict(_TOY, noise_dim=2, g_hidden=(128, 128), d_hidden=(128, 128),
               batch_size=100, lr=0.02, lr_decay=1.000166, lr_min=0.001, epochs=180, iters_per_epoch=100))),
    # The autoencoders: 784-200-200-50 (the IWAE paper's VAE widths, with ReLU for its tanh),
    # Adam with beta1 = 0.9 (Kingma and Ba's default, the IWAE paper's optimiser): the loss
    # sums 784 pixels, so its gradients are large and their scale shifts as training goes,
    # which Adam's per-parameter step absorbs where momentum SGD needs a rate tuned to it.
    # The learning rate falls from 1e-3 about tenfold over each preset's run.
    "mnist-ae": (
        "autoencoder 784-200-200-50-200-200-784, Bernoulli cross-entropy; Adam, 50 epochs, 2-3 minutes",
        Config(model="ae", **_AUTOENCODER, epochs=50, lr_decay=1.000092)),
    "mnist-dae": (
        "denoising autoencoder: mnist-ae with 25% of the pixels zeroed (masking noise); 3-6 minutes",
        Config(model="dae", **_AUTOENCODER, ae_corruption="masking", ae_noise=0.25, epochs=50, lr_decay=1.000092)),
    "mnist-vae": (
        "VAE with a 50-d Gaussian code, Bernoulli decoder, on grey pixels; Adam, 100 epochs, 4-11 minutes",
        Config(model="vae", **_AUTOENCODER, epochs=100, lr_decay=1.000046)),
    "mnist-vae-binary": (
        "mnist-vae on stochastically binarised pixels (redrawn every minibatch): the IWAE paper's "
        "setting, for its log-likelihood bounds; 150 epochs, 6-12 minutes",
        Config(model="vae", **_AUTOENCODER, ae_binarize="stochastic", epochs=150, lr_decay=1.0000307)),
    "mnist-dcgan": (
        "DCGAN on MNIST: conv D 64-128, transposed-conv G, batch norm, Adam; 5 epochs of about 6 minutes "
        "each on a busy 2-core machine (3 CPU-minutes)", Config(dataset="mnist", eval_every=1, **_DCGAN)),
    "fashion-dcgan": (
        "DCGAN on Fashion-MNIST (files in NPGAN_FASHION_DIR, else fashion-mnist beside MNIST's); "
        "5 epochs, as long as mnist-dcgan's", Config(dataset="fashion-mnist", **_DCGAN)),
    "cifar10-dcgan": (
        "DCGAN on CIFAR-10, 3x32x32 (needs cifar-10-binary.tar.gz in NPGAN_CIFAR10_DIR, else cifar10 "
        "beside MNIST's folder); untested here: the data is not reachable",
        Config(dataset="cifar10", **dict(_DCGAN, epochs=25))),
    # Inference (npgan.inference; results/inference.md). mnist-encoder: E for the committed
    # generator, Adam, the rate falling 10x over the run's 10,000 minibatches of (G(z), z).
    "mnist-encoder": (
        "post-hoc encoder E (maxout 240x5, 240x5) for pretrained/npgan-mnist-generator.npz, trained on "
        "pairs (G(z), z); 20 epochs of 500 minibatches, about 6 minutes",
        Config(model="encoder", generator_file="pretrained/npgan-mnist-generator.npz", optimizer="adam", lr=3e-4,
               adam_beta1=0.9, lr_decay=1.00023, lr_min=0.0, iters_per_epoch=500, epochs=20, sample_every=5)),
    # mnist-bigan: the paper's D (wider by the code) and optimisation (momentum SGD, the
    # simultaneous update of its code), a 512-512 G so that G and E fit a 5 MB file in
    # float16; E at a tenth of the rate (at the full rate its tanh saturates) and instance
    # noise while the joint distributions are far apart (results/inference.md says why).
    "mnist-bigan": (
        "BiGAN: G 100-512-512-784, E maxout 240x5, 240x5 -> 100, D maxout on (x, z); momentum SGD, "
        "simultaneous update, 20 epochs, about 15 minutes on one busy core",
        Config(model="bigan", g_hidden=(512, 512), update="simultaneous", e_lr_ratio=0.1, instance_noise=0.3,
               instance_noise_epochs=10, epochs=20, sample_every=1)),
    # The toy presets without remedies (issue 18): the baselines of
    # benchmarks/results/mode_collapse.md.
    "ring-8-plain": (
        "ring-8 without remedies: momentum SGD, the rate falling 20x; the mode-collapse baseline, about 15 seconds",
        Config(dataset="ring-8", **dict(_TOY, noise_dim=2, g_hidden=(128, 128), d_hidden=(128, 128),
               batch_size=100, lr=0.02, lr_decay=1.000576, lr_min=0.001, epochs=40, iters_per_epoch=100))),
    "grid-25-plain": (
        "grid-25 without remedies: momentum SGD, the rate falling 20x; the mode-collapse baseline, about 25 seconds",
        Config(dataset="grid-25", **dict(_TOY, noise_dim=2, g_hidden=(128, 128), d_hidden=(128, 128),
               batch_size=100, lr=0.02, lr_decay=1.0004, lr_min=0.001, epochs=60, iters_per_epoch=100))),
    # Algorithm 1 as written on the paper's MNIST model: alternating k = 1 D step and one G
    # step, each on fresh minibatches and noise. With the paper's momentum SGD D wins within
    # a few epochs from scratch; with Adam (DCGAN's 2e-4, beta1 0.5) it does not, on seeds
    # 0-2, but G leans to 1s by epochs 6-8 (results/mnist.md, "What makes Algorithm 1 train").
    "mnist-algorithm1": (
        "the paper's MNIST model trained by Algorithm 1 as written (alternating update) with Adam; "
        "300 epochs", MNIST_PAPER.replace(update="alternating", optimizer="adam", lr=2e-4, adam_beta1=0.5)),
}


def get_preset(name):
    """The ``Config`` of a preset; ``ValueError`` listing the names for an unknown one."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; expected one of {', '.join(PRESETS)}")
    return PRESETS[name][1]
