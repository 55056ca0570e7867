"""The ``Config`` of a run: everything it needs, saved inside every checkpoint as JSON.

A ``Config`` is validated on construction, so a bad value fails before anything is
written: its fields' types, then what every run needs (``_core_checks``), then what the
chosen family declares in its ``Family`` record (``npgan.models``): the data sets it
trains on, its own rules, and that no other family's options are set. A field that
belongs to some families is declared in their records' ``options``; nothing here names a
family. The named configurations are in ``presets``.
"""

import dataclasses
import json
import math

from npgan import models
from npgan.datasets import IMAGE_DATASETS, OWN
from npgan.models.gan import NOISE_PRIORS
from npgan.nn.losses import GENERATOR_LOSSES
from npgan.nn.mlp import HIDDEN, OUTPUTS

DATASETS = ("mnist", "gaussian-1d", "ring-8", "grid-25", "fashion-mnist", "cifar10", OWN)
UPDATES = ("alternating", "simultaneous")
MODELS = models.NAMES  # the model families, one record each (npgan.models)
OPTIMIZERS = ("momentum", "adam")


@dataclasses.dataclass(frozen=True)
class Config:
    model: str = "gan"
    dataset: str = "mnist"
    # dataset "own" (npgan train --data PATH; npgan/datasets/own.py): data is the folder of
    # images or the array file, image_shape the (channels, side, side) its images are resized
    # to, classes how many labels they carry (subfolders, or an .npz's labels; 0: none).
    # Every other data set leaves them empty.
    data: str = ""
    image_shape: tuple = ()
    classes: int = 0
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
    # (metrics.csv; see npgan.evaluation.scores.training_scores); 0: never.
    eval_every: int = 0
    # Keep the mean of G's parameters at the end of every epoch from this one on (0: off).
    # Training is unchanged; the average is a second generator, saved in checkpoints
    # (``npgan export --averaged``, ``npgan.load(path, averaged=True)``).
    average_from: int = 0
    # 0: that average is the plain mean of the end-of-epoch generators. r in (0, 1): an
    # exponential moving average instead, updated after every generator step from epoch
    # average_from on: avg <- avg + r (p - avg), so it spans the
    # last ~1/r steps. Batch norm's running statistics of the average are measured afresh
    # on its own samples whenever it is used (npgan.models.gan.training.measure_batch_norm).
    average_rate: float = 0.0
    # autoencoders (model "ae", "dae", "vae"; npgan/models/autoencoders/model.py): the encoder's ReLU
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
    # DCGAN (model "dcgan", npgan/models/dcgan/model.py): D convolves to conv_width then 2 * conv_width
    # channels, G's transposed convolutions go from 2 * conv_width to conv_width; weights
    # N(0, conv_init_std^2); leaky_slope is D's LeakyReLU; batchnorm_momentum the rate of the
    # running averages that batch norm evaluates with. noise, gen_loss, k, the optimiser
    # and the run-length fields apply as for a GAN; the MLP and dropout fields do not.
    conv_width: int = 64
    conv_init_std: float = 0.02
    leaky_slope: float = 0.2
    batchnorm_momentum: float = 0.1
    # 1: D's second convolution is followed by batch norm (DCGAN's); 0: by nothing (the
    # convolution keeps its bias), so that D judges each image alone, not through the
    # statistics of the batch it came in.
    conv_d_batchnorm: int = 1
    # G's own width: its transposed convolutions go from 2 * conv_g_width to conv_g_width
    # channels, D's stay conv_width's; 0: conv_width, the same for both.
    conv_g_width: int = 0
    # A fully connected hidden layer of this many units in both nets, as InfoGAN's MNIST
    # networks have: in D between the last convolution and the logit, in G between z and the
    # projection to S/4 x S/4 (each with batch norm and D's LeakyReLU or G's ReLU); 0: none.
    conv_fc_units: int = 0
    # Inference (models "encoder" and "bigan", npgan/models/inference/model.py): the encoder E, x -> z:
    # maxout layers of e_hidden units x e_pieces, a Linear to noise_dim, and for a uniform
    # prior noise_scale * tanh. "encoder" trains E post hoc for the frozen G in
    # generator_file (a path, or one under the repository) on pairs (G(z), z),
    # iters_per_epoch minibatches an epoch; "bigan" trains E with G against a D of pairs (x, z),
    # E's learning rate and its floor e_lr_ratio times D's and G's. BiGAN only: d_code_units > 0
    # gives D separate first layers on x (d_hidden[0] maxout units) and on z (d_code_units),
    # joined by d_hidden[1:] (ALI's paths; npgan/models/inference/layers.py); bigan_recon > 0 adds ALICE's
    # reconstruction term, bigan_recon * mean squared pixel error of G(E(x)), to E's and G's loss.
    e_hidden: tuple = (240, 240)
    e_pieces: int = 5
    e_init_range: float = 0.05
    e_lr_ratio: float = 1.0
    generator_file: str = ""
    d_code_units: int = 0
    bigan_recon: float = 0.0
    # Remedies for unstable training (npgan/nn/remedies.py), all off by default.
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
    # Inpainting (model "inpaint", npgan/models/inpainting/model.py): G(z, x_S, S) fills the missing pixels
    # (G: g_hidden ReLU layers on [z, x_S with missing pixels at -1]), D (d_hidden, d_pieces,
    # dropout as a GAN's) judges [completed image, mask]. inpaint_l2: weight of the squared
    # error on the missing pixels in G's loss (0: adversarial only); inpaint_diversity: weight
    # of the diversity-sensitive term (Yang et al. 2019) pulling two completions of one input
    # apart (0: none); iters_per_epoch, when > 0, cuts an epoch to that many minibatches (0:
    # one pass over the training images). inpaint_skip 1: the observed pixels are fed to every
    # layer of G, not only the first (npgan/models/inpainting/network.py). inpaint_start: an
    # inpainter's model file or checkpoint whose G starts this run's (same noise and depth; a
    # plain or narrower G is widened into a skip G with zero weights on the new rows, so it
    # starts as the file's G); D and the optimisers start afresh ("": from scratch).
    # inpaint_conv c > 0: G is convolutional instead (network.ConvGenerator: c and 2c channels,
    # a bottleneck of g_hidden's one width); 0: an MLP G.
    inpaint_l2: float = 0.0
    inpaint_diversity: float = 0.0
    inpaint_skip: int = 0
    inpaint_start: str = ""
    inpaint_conv: int = 0
    # Semi-supervised learning (model "semisup", npgan/models/semisup/model.py): D has one logit per
    # digit and the fake class's logit fixed at 0; labels: how many training images keep their
    # label (as many of each digit), drawn from label_seed; D's ReLU widths are d_hidden, with
    # Gaussian noise of std semisup_input_noise on its input and semisup_hidden_noise on every
    # later layer's; semisup_weight_norm 1: D's layers weight-normalised (started from the data),
    # semisup_train_scales 0: then the hidden layers' lengths g stay at that start (Improved
    # GAN's); G's widths g_hidden, each Linear, batch norm, then semisup_g_activation ("relu",
    # or "softplus" with Glorot-uniform starts, Improved GAN's), semisup_g_weight_norm 1: G's
    # output layer weight-normalised, semisup_g_bn_scale 0: G's batch norm without a learned
    # scale (Improved GAN's); semisup_average > 0: D is evaluated (and exported) as the
    # exponential average of its parameters at that rate per update; semisup_unlabelled: the
    # unlabelled images, "train" (50,000) or "train+valid" (60,000, as Improved GAN);
    # semisup_adam_eps > 0: Adam divides by sqrt(v_hat + semisup_adam_eps), Improved GAN's form
    # (0: npgan's Adam, sqrt(v_hat) + 1e-8).
    labels: int = 0
    label_seed: int = 0
    semisup_input_noise: float = 0.3
    semisup_hidden_noise: float = 0.5
    semisup_weight_norm: int = 0
    semisup_train_scales: int = 1
    semisup_g_activation: str = "relu"
    semisup_g_weight_norm: int = 0
    semisup_g_bn_scale: int = 1
    semisup_average: float = 0.0
    semisup_unlabelled: str = "train"
    semisup_adam_eps: float = 0.0
    # Bad GAN's (Dai et al. 2017) terms, by weight (0: off): semisup_entropy adds the mean
    # entropy of D's K-class distribution on the unlabelled images to D's loss;
    # semisup_pull_away adds the pull-away term on the generated batch's features (D's last
    # hidden layer) to G's feature matching (npgan.models.semisup.model).
    semisup_entropy: float = 0.0
    semisup_pull_away: float = 0.0
    # Class-conditional GAN (model "cgan", npgan/models/cgan/model.py): G(z, c) and D(x, c) with the
    # one-hot label c concatenated to their inputs; G has g_hidden layers of leaky ReLUs of slope
    # leaky_slope (0: ReLU), D d_hidden layers of them (d_activation "relu") or of maxout units
    # (d_pieces), dropout keeping keep_input of the pixels (never the label) and keep_hidden of
    # each layer. The label's weights in G's and D's first layer start uniform in +-g_label_init_range
    # and +-d_label_init_range (the others' in +-g_init_range, +-d_init_range).
    g_label_init_range: float = 1.0
    d_label_init_range: float = 0.5
    # Fast training (presets mnist-fast, mnist, fashion): the learning rate
    # is held at lr for the first lr_decay_start updates, then divided by lr_decay per update
    # (0: decays from the first update). Models "gan" and "dcgan".
    lr_decay_start: int = 0
    dtype: str = "float32"

    def __post_init__(self):
        for field in dataclasses.fields(self):
            _check_type(field, getattr(self, field.name))
        for name in (field.name for field in dataclasses.fields(self) if field.type is tuple):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        for checks in (_core_checks, _family_checks):  # the family's once its name is known to be one
            for ok, message in checks(self):
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


def _core_checks(config):
    """What every run needs: the data, the networks, the objectives and the optimisation."""
    reals = [f.name for f in dataclasses.fields(config) if f.type is float]
    infinite = [name for name in reals if not math.isfinite(getattr(config, name))]
    return [
        (all(w >= 1 for w in config.g_hidden + config.d_hidden), "every hidden layer needs width >= 1"),
        (config.seed >= 0, "seed must be >= 0"),
        (not infinite, f"{', '.join(infinite)} must be finite"),
        (config.sample_every >= 0 and config.parzen_every >= 0 and config.iters_per_epoch >= 0,
         "sample_every, parzen_every and iters_per_epoch must be >= 0"),
        (config.lr_min >= 0 and config.noise_scale > 0 and config.g_init_range > 0 and config.d_init_range > 0
         and config.d_bias_range >= 0, "lr_min and d_bias_range must be >= 0, noise_scale and init ranges > 0"),
        (config.model in MODELS, f"model must be one of {MODELS}"),
        (config.dataset in DATASETS, f"dataset must be one of {DATASETS}"),
        (config.noise in NOISE_PRIORS, f"noise must be one of {NOISE_PRIORS}"),
        (config.gen_loss in GENERATOR_LOSSES, f"gen_loss must be one of {GENERATOR_LOSSES}"),
        (config.update in UPDATES, f"update must be one of {UPDATES}"),
        (config.momentum_ramp in ("pylearn2", "late"), "momentum_ramp must be 'pylearn2' or 'late'"),
        (config.g_output in OUTPUTS, f"g_output must be one of {OUTPUTS}"),
        (config.g_output_bias in ("data_logit_mean", "zero"), "g_output_bias must be 'data_logit_mean' or 'zero'"),
        (config.d_activation in HIDDEN, f"d_activation must be one of {HIDDEN}"),
        (config.k >= 1, "k (discriminator steps per generator step) must be >= 1"),
        (config.k == 1 or config.update == "alternating",
         f"k = {config.k} discriminator steps need update='alternating' (the simultaneous update has one)"),
        (config.lr > 0, "learning rate must be > 0"),
        (config.optimizer in OPTIMIZERS, f"optimizer must be one of {OPTIMIZERS}"),
        (0 <= config.adam_beta1 < 1 and 0 <= config.adam_beta2 < 1, "adam_beta1 and adam_beta2 must be in [0, 1)"),
        (config.lr_decay >= 1, "lr_decay must be >= 1 (the learning rate is divided by it)"),
        (0 <= config.momentum_start < 1 and 0 <= config.momentum_end < 1, "momentum must be in [0, 1)"),
        (config.batch_size >= 1, "batch_size must be >= 1"),
        (config.epochs >= 1, "epochs must be >= 1"),
        (config.average_from >= 0, "average_from must be >= 0 (0: no averaging)"),
        (0.0 <= config.average_rate < 1.0, "average_rate must be in [0, 1) (0: the plain mean of epochs)"),
        (not config.average_rate or config.average_from, "average_rate needs average_from >= 1 (the first epoch "
                                                          "averaged)"),
        (config.eval_every >= 0, "eval_every must be >= 0 (0: never)"),
        (config.noise_dim >= 1 and config.d_pieces >= 1, "noise_dim and d_pieces must be >= 1"),
        (0 < config.keep_input <= 1 and 0 < config.keep_hidden <= 1, "keep probabilities must be in (0, 1]"),
        (config.dataset in IMAGE_DATASETS or config.iters_per_epoch >= 1, "toy datasets need iters_per_epoch >= 1"),
        *_own_data_checks(config),
        (config.dtype in ("float32", "float64"), "dtype must be 'float32' or 'float64'"),
    ]


def _own_data_checks(config):
    """Dataset "own" names its data and the shape it is read at; the named data sets leave both empty."""
    if config.dataset != OWN:
        return [(not config.data and not config.image_shape and not config.classes,
                 f"data, image_shape and classes describe dataset 'own' (--data), not {config.dataset!r}")]
    shape = config.image_shape
    return [
        (bool(config.data), "dataset 'own' needs data: the folder of images or the .npy/.npz array (--data PATH)"),
        (len(shape) == 3 and shape[0] in (1, 3) and shape[1] == shape[2] >= 1,
         f"image_shape must be (channels 1 or 3, side, side), got {shape}"),
        (config.classes == 0 or config.classes >= 2, f"classes must be 0 (no labels) or >= 2, got {config.classes}"),
    ]


_DEFAULTS = {field.name: field.default for field in dataclasses.fields(Config)}


def _family_checks(config):
    """The chosen family's: its data sets, its rules, and every other family's options at their defaults."""
    chosen = models.family(config.model)
    owners = models.option_owners()
    foreign = [option for option in owners
               if option not in chosen.options and getattr(config, option) != _DEFAULTS[option]]
    return [
        (config.dataset in chosen.datasets,
         f"model {config.model!r} trains on {_either(chosen.datasets)}, not {config.dataset!r}"),
        *[(False, f"{option} applies to {_models(owners[option])}, not {config.model!r}") for option in foreign[:1]],
        *chosen.rules(config),
    ]


def _either(names):
    quoted = [repr(name) for name in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _models(names):
    quoted = [repr(name) for name in names]
    if len(quoted) == 1:
        return f"model {quoted[0]}"
    return f"models {', '.join(quoted[:-1])} and {quoted[-1]}"
