"""Named training configurations: the paper's, and small ones that run in seconds."""

from npgan.config import DATASETS, MODELS, UPDATES, Config
from npgan.datasets import TRAIN_SIZES

__all__ = ["DATASETS", "MODELS", "UPDATES", "Config", "PRESETS", "get_preset", "fit_schedule"]


# The paper's MNIST model, transcribed from its public code (mnist.yaml). That code
# computed D's and G's gradients from one batch and applied them together
# (update="simultaneous"); why this preset does the same rather than Algorithm 1's
# alternation is in results/mnist/mnist.md ("Why mnist-paper uses the simultaneous update").
# average_from=5 keeps the mean of G over the ends of epochs 5, 6, ... beside the trained
# G; training does not depend on it.
MNIST_PAPER = Config(epochs=300, parzen_every=10, update="simultaneous", average_from=5)

# mnist-fast (results/mnist/mnist.md, "Fast training"): mnist-paper judged on its
# last iterate after 50 epochs. The learning rate is held at 0.1 for 40 epochs (20,000
# updates: the paper's rate, which learns fastest), then falls 20x over the last 10
# (divided by 1.0006 per update, to 0.005), so that the last iterate settles instead of
# jittering around the data; Parzen every 5 epochs and the classifier's scores every
# epoch, for the milestone table (the page compares it with the 30-epoch version below).
MNIST_FAST = MNIST_PAPER.replace(epochs=50, lr_decay_start=20000, lr_decay=1.0006, parzen_every=5, eval_every=1,
                                 sample_every=5, average_from=0)
# That first version (held 20 epochs, 30 in all): what the preset `fashion` runs, as
# results/fashion_mnist/fashion_mnist.md reports it.
MNIST_FAST_30 = MNIST_FAST.replace(epochs=30, lr_decay_start=10000)

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

# mnist-dcgan-fc and fashion-dcgan-fc: _DCGAN with a fully connected layer in each net, scored every
# epoch, 40 epochs, G averaged over about its last 1,000 steps from epoch 17.
_DCGAN_FC = dict(_DCGAN, conv_fc_units=128, eval_every=1, epochs=40, average_from=17, average_rate=0.001)

# BiGAN's networks and optimisation (npgan/models/inference/bigan.py), shared by mnist-bigan and mnist-alice.
_BIGAN = dict(noise_dim=50, noise="gaussian", noise_scale=1.0, g_hidden=(256, 256), e_hidden=(128, 128), e_pieces=2,
              d_hidden=(256, 256), d_pieces=2, d_code_units=128, optimizer="adam", lr=2e-4, adam_beta1=0.5,
              epochs=15, sample_every=5)

# mnist-cgan (below), and fashion-cgan: the same recipe on Fashion-MNIST.
MNIST_CGAN = Config(model="cgan", g_hidden=(256, 512), d_hidden=(120, 120), leaky_slope=0.2, update="simultaneous",
                    epochs=60, sample_every=5, eval_every=1, average_from=10)

PRESETS = {
    "mnist-paper": (
        "the paper's exact MNIST configuration (maxout D with dropout, 1200-1200 ReLU G; "
        "300 epochs, about 1.5-2 h on 2 cores)", MNIST_PAPER),
    # The default: mnist-fast's recipe without its scores every epoch, and G also averaged over
    # the epochs of the falling rate (41-50), where averaging helps (results/mnist/mnist.md, "Fast
    # training": the average and the last iterate of this run, and of the 30-epoch version).
    "mnist": (
        "the paper's MNIST model, 50 epochs, the rate annealed over the last 10 and G averaged over them "
        "(mnist-fast's recipe): about 17 minutes on a quiet 2-core machine",
        MNIST_FAST.replace(parzen_every=0, eval_every=0, average_from=41)),
    "toy-1d": (
        "1-D Gaussian (the paper's Figure 1 setting): G ends on the data, D at 1/2; "
        "tiny MLPs, about 5 seconds",
        Config(dataset="gaussian-1d", **_TOY_1D)),
    # ring-8, grid-25: the best configurations of benchmarks/results/mode_collapse.md, where
    # ring-8-plain and grid-25-plain (below) are the baselines. Both: G with three ReLU layers
    # of 128 (a deeper G leaves thinner trails between the modes), Adam, the rate held at 3e-3
    # for 15,000 minibatches, then falling 100x over the last 5,000, and G averaged over the
    # ends of epochs 151-200, i.e. over that fall (average_from: the benchmark judges the
    # averaged G, which places the modes closer to their centres than the last iterate; `npgan
    # export --averaged` writes it). grid-25's D also has 5 maxout pieces and the minibatch
    # standard-deviation feature over groups of 4 (minibatch_std), which balance its modes at
    # about twice the time (the results page gives the trials that chose them).
    "ring-8": (
        "2-D ring of 8 Gaussians (mode-collapse benchmark): Adam, 20,000 minibatches, G averaged over the "
        "last 5,000; about 30-50 seconds",
        Config(dataset="ring-8", **dict(_TOY, noise_dim=2, g_hidden=(128, 128, 128), d_hidden=(128, 128),
               batch_size=100, optimizer="adam", lr=0.003, lr_decay_start=15000, lr_decay=1.000921,
               lr_min=3e-5, epochs=200, iters_per_epoch=100, average_from=151))),
    "grid-25": (
        "2-D 5x5 grid of 25 Gaussians (mode-collapse benchmark): Adam, 20,000 minibatches, G averaged over "
        "the last 5,000, D with 5 pieces and a minibatch-std feature; about 70-80 seconds",
        Config(dataset="grid-25", **dict(_TOY, noise_dim=2, g_hidden=(128, 128, 128), d_hidden=(128, 128),
               d_pieces=5, minibatch_std=4, batch_size=100, optimizer="adam", lr=0.003, lr_decay_start=15000,
               lr_decay=1.000921, lr_min=3e-5, epochs=200, iters_per_epoch=100, average_from=151))),
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
    # The long run of results/dcgan/dcgan.md: DCGAN's recipe unchanged, 100 epochs, and beside G an
    # exponential average of it over about the last 1,000 steps (2.6 epochs), from epoch 17 on,
    # which `npgan export --averaged` writes (its batch norms measured on its own samples).
    "mnist-dcgan-long": (
        "mnist-dcgan for 100 epochs (about 4 CPU-hours), G also averaged over its last ~1,000 steps "
        "from epoch 17 (resume across sittings)",
        Config(dataset="mnist", eval_every=1, **dict(_DCGAN, epochs=100, average_from=17, average_rate=0.001))),
    # DCGAN's recipe with a fully connected hidden layer of 128 units in each net (InfoGAN's MNIST
    # networks have one of 1024): G maps z to 128 units, then to the 7x7 maps; D reads its last maps
    # into 128 units before the logit. Its samples pass the plain recipe's best within a tenth of
    # the CPU time (results/dcgan/dcgan.md, "What each change bought"). G is averaged as in mnist-dcgan-long.
    "mnist-dcgan-fc": (
        "mnist-dcgan with a fully connected hidden layer of 128 units in each net, 40 epochs (about "
        "100 CPU-minutes), G also averaged from epoch 17 (resume across sittings)",
        Config(dataset="mnist", **_DCGAN_FC)),
    "fashion-dcgan": (
        "DCGAN on Fashion-MNIST (its files in fashion-mnist/ under the data root, NPGAN_DATA_DIR); "
        "5 epochs, as long as mnist-dcgan's", Config(dataset="fashion-mnist", **_DCGAN)),
    "fashion-dcgan-fc": (
        "mnist-dcgan-fc's networks and recipe on Fashion-MNIST, 40 epochs (about 100 CPU-minutes)",
        Config(dataset="fashion-mnist", **_DCGAN_FC)),
    "cifar10-dcgan": (
        "DCGAN on CIFAR-10, 3x32x32 (needs cifar-10-binary.tar.gz in NPGAN_CIFAR10_DIR, else in cifar10/ "
        "under the data root); untested here: the data is not reachable",
        Config(dataset="cifar10", **dict(_DCGAN, epochs=25))),
    # Inference (npgan.models.inference.model; results/inference/inference.md). mnist-encoder: E for the committed
    # generator, Adam, the rate falling 10x over the run's 10,000 minibatches of (G(z), z).
    "mnist-encoder": (
        "post-hoc encoder E (maxout 240x5, 240x5) for pretrained/npgan-mnist-generator.npz, trained on "
        "pairs (G(z), z); 20 epochs of 500 minibatches, about 6 minutes",
        Config(model="encoder", generator_file="pretrained/npgan-mnist-generator.npz", optimizer="adam", lr=3e-4,
               adam_beta1=0.9, lr_decay=1.00023, lr_min=0.0, iters_per_epoch=500, epochs=20, sample_every=5)),
    # mnist-bigan: plain BiGAN, small enough for a 1.2 MB file of G and E in float16: z 50-d
    # Gaussian (a linear E: a tanh E saturates at the box's corners under D's gradient), D
    # reading x and z apart before joining them (ALI's paths), Adam 2e-4, beta1 0.5.
    # mnist-alice: the same with ALICE's reconstruction term (lambda 1000 on the mean squared
    # pixel error), the variant behind pretrained/npgan-mnist-bigan.npz. results/inference/inference.md.
    "mnist-bigan": (
        "BiGAN: G 50-256-256-784, E maxout 128x2, 128x2 -> 50 (linear), D maxout 256x2 on x and 128x2 on z, "
        "then 256x2; Gaussian z, Adam 2e-4, 15 epochs, about 8 minutes on one busy core",
        Config(model="bigan", **_BIGAN)),
    "mnist-alice": (
        "ALICE (BiGAN + lambda ||G(E(x)) - x||^2 in E's and G's loss, lambda 1000 per pixel): mnist-bigan's "
        "networks, 15 epochs, about 8 minutes on one busy core; pretrained/npgan-mnist-bigan.npz",
        Config(model="bigan", bigan_recon=1000.0, **_BIGAN)),
    # The toy presets without remedies: the baselines of
    # benchmarks/results/mode_collapse.md.
    "ring-8-plain": (
        "ring-8 without remedies: momentum SGD, the rate falling tenfold; the mode-collapse baseline, about 15 seconds",
        Config(dataset="ring-8", **dict(_TOY, noise_dim=2, g_hidden=(128, 128), d_hidden=(128, 128),
               batch_size=100, lr=0.02, lr_decay=1.000576, lr_min=0.001, epochs=40, iters_per_epoch=100))),
    "grid-25-plain": (
        "grid-25 without remedies: momentum SGD, the rate falling elevenfold; the mode-collapse baseline, "
        "about 25 seconds",
        Config(dataset="grid-25", **dict(_TOY, noise_dim=2, g_hidden=(128, 128), d_hidden=(128, 128),
               batch_size=100, lr=0.02, lr_decay=1.0004, lr_min=0.001, epochs=60, iters_per_epoch=100))),
    # Algorithm 1 as written on the paper's MNIST model: alternating k = 1 D step and one G
    # step, each on fresh minibatches and noise. Two changes make it train from scratch on
    # seeds 0-2 (results/mnist/mnist.md, "What makes Algorithm 1 train"): Adam (DCGAN's 2e-4,
    # beta1 0.5), without which D wins within a few epochs, and PacGAN's packing of two
    # samples per row of D (50 packs: still 100 images a minibatch), without which G leans
    # to 1s by epochs 6-8.
    "mnist-algorithm1": (
        "the paper's MNIST model trained by Algorithm 1 as written (alternating update) with Adam and D "
        "judging pairs of samples (PacGAN2); 300 epochs",
        MNIST_PAPER.replace(update="alternating", optimizer="adam", lr=2e-4, adam_beta1=0.5, pack=2, batch_size=50)),
    # Semi-supervised learning (npgan/models/semisup/model.py, results/semisupervised/semisupervised.md):
    # Salimans et al.'s (K+1)-class D with feature matching, narrower (784-500-250-250-10, no
    # weight norm) so that 100 labels reach their error in minutes; --labels N --label-seed S.
    # Their Adam rate 0.003, here falling 10x every 20 epochs (10,000 updates): at a constant
    # 0.003 the test error stopped near 7% by epoch 10 (results/semisupervised/semisupervised.md).
    "mnist-semisup": (
        "(K+1)-class GAN on MNIST with 100 labels (--labels N --label-seed S): D ReLU 500-250-250 with "
        "Gaussian input noise, G 100-500-500-784 with batch norm, feature matching, Adam; 30 epochs, about 25 minutes",
        Config(model="semisup", labels=100, d_hidden=(500, 250, 250), g_hidden=(500, 500), g_output_bias="zero",
               optimizer="adam", lr=0.003, adam_beta1=0.5, lr_decay=1.00023, lr_min=0.0, epochs=30,
               sample_every=5)),
    # Improved GAN's recipe for permutation-invariant MNIST (Salimans et al. 2016, their code's
    # train_mnist_feature_matching.py; results/semisupervised/semisupervised.md): D 1000-500-250-250-250,
    # weight-normalised from a data-dependent start with the hidden lengths then held, Gaussian
    # noise 0.3 on the input and 0.5 on every later layer's; G 500-500 softplus with batch norm (no scale),
    # its sigmoid output weight-normalised; feature matching; Adam at a constant 0.003, beta1 0.5,
    # its eps inside the square root as their code has it;
    # the 60,000 training and validation images unlabelled; D scored as the exponential
    # average of its parameters (rate 1e-4 per update); 300 epochs.
    "mnist-semisup-improved": (
        "Improved GAN's (K+1)-class GAN with 100 labels (--labels N --label-seed S): D 1000-500-250-250-250 "
        "weight-normalised with Gaussian noise, G 500-500 softplus + batch norm, feature matching, Adam 0.003; "
        "D averaged; 300 epochs of 60,000 images, hours (resume across sittings)",
        Config(model="semisup", labels=100, d_hidden=(1000, 500, 250, 250, 250), g_hidden=(500, 500),
               g_output_bias="zero", optimizer="adam", lr=0.003, adam_beta1=0.5, lr_decay=1.0, lr_min=0.0,
               epochs=300, sample_every=10, semisup_weight_norm=1, semisup_train_scales=0,
               semisup_g_activation="softplus", semisup_g_weight_norm=1, semisup_g_bn_scale=0, semisup_average=1e-4,
               semisup_unlabelled="train+valid", semisup_adam_eps=1e-8)),
    # Inpainting (npgan.models.inpainting.model; results/inpainting/inpainting.md): one conditional G for seven kinds
    # of mask, G small enough for a 1.2 MB float16 file, D the paper's maxout on [image, mask]
    # with 3 pieces; Adam (DCGAN's 2e-4, beta1 0.5). G's loss: the adversarial one, the squared
    # error on the missing pixels (weight 50) and Yang et al.'s diversity term (weight 50), the
    # weights chosen by 2-epoch trials (results/inpainting/inpainting.md, "Choosing G's loss").
    "mnist-inpaint": (
        "inpainting: G(z, x_S, S) 32 + 784 -> 256 -> 256 -> 784, D maxout 240x3, 240x3 on (image, mask); "
        "masks top/bottom/left/right half, centre 14x14, random 50%/90%; Adam; adversarial + squared error "
        "+ diversity; 25 epochs, about 20 minutes on one busy core",
        Config(model="inpaint", noise_dim=32, g_hidden=(256, 256), d_hidden=(240, 240), d_pieces=3,
               optimizer="adam", lr=2e-4, adam_beta1=0.5, lr_decay=1.0, lr_min=0.0, inpaint_l2=50.0,
               inpaint_diversity=50.0, epochs=25, sample_every=5)),
    # Class-conditional GAN (npgan/models/cgan/model.py, results/conditional/conditional.md): the label
    # one-hot at the input of G and D, trained as Mirza and Osindero trained theirs, by the
    # paper's code (maxout D with dropout, momentum SGD, the simultaneous update). G 256-512
    # (leaky ReLU) fits 1.2 MB in float16; D maxout 120x5, 120x5 to match it; the label's
    # first-layer weights start large (results/conditional/conditional.md says why). G averaged from epoch 10.
    "mnist-cgan": (
        "class-conditional GAN: G [z, onehot(y)] 110-256-512-784 leaky ReLU, D [x, onehot(y)] maxout 120x5, "
        "120x5 with dropout; the paper's optimisation and update, 60 epochs of 15-95 s on one busy core (23 min)",
        MNIST_CGAN),
    # The paper's model trained fast (MNIST_FAST above), and the same recipe, unchanged,
    # on Fashion-MNIST (results/fashion_mnist/fashion_mnist.md: does it hold on a harder data set?).
    "mnist-fast": (
        "mnist-paper's model and update, 50 epochs: the learning rate held for 40 epochs, then falling 20x; "
        "the last iterate is the result", MNIST_FAST),
    "fashion": (
        "mnist-fast's 30-epoch version on Fashion-MNIST, not retuned (files in fashion-mnist/ under the data root)",
        MNIST_FAST_30.replace(dataset="fashion-mnist")),
    # The mnist-cgan recipe, unchanged, on Fashion-MNIST's ten classes (results/fashion_mnist/fashion_mnist.md).
    "fashion-cgan": (
        "mnist-cgan on Fashion-MNIST, not retuned: one class of clothes per label (files in fashion-mnist/ "
        "under the data root)", MNIST_CGAN.replace(dataset="fashion-mnist")),
    # Small runs that a tutorial (or a test) trains in seconds; their samples are rough.
    "tiny-cgan": (
        "mnist-cgan with one hidden layer of 128 units in G and 64 maxout units in D, 2 epochs, no pictures or "
        "averaging: about 16 s an epoch on a busy 2-core machine (tutorial 11)",
        MNIST_CGAN.replace(g_hidden=(128,), d_hidden=(64,), epochs=2, sample_every=0, eval_every=0, parzen_every=0,
                           average_from=0)),
    "tiny-inpaint": (
        "a small inpainter: G 16 + 784 -> 64 -> 784, D maxout 32 x 2, mnist-inpaint's loss and Adam, one epoch "
        "of 300 minibatches of 50 (--epochs, or iters_per_epoch in Python); seconds on one core (tutorial 11)",
        Config(model="inpaint", noise_dim=16, g_hidden=(64,), d_hidden=(32,), d_pieces=2, optimizer="adam", lr=2e-4,
               adam_beta1=0.5, lr_decay=1.0, batch_size=50, epochs=1, iters_per_epoch=300, inpaint_l2=50.0,
               inpaint_diversity=50.0, sample_every=0)),
    # The wider inpainter (results/inpainting/inpainting.md, "Third round"): G 512-512 with the observed
    # pixels fed to every layer (npgan/models/inpainting/network.py), squared error 100, diversity 70.
    # The page's model was not trained from scratch: a chain of warm starts (inpaint_start) from
    # mnist-inpaint's committed G, the last stage this preset's 6 epochs (3 at diversity 50, 3 at 70).
    "mnist-inpaint-wide": (
        "inpainting, G 32 + 784 -> 512 -> 512 -> 784 with the observed pixels fed to every layer, D as "
        "mnist-inpaint's; squared error 100, diversity 70; start it from a trained inpainter with "
        "inpaint_start (results/inpainting/inpainting_trials.py --warm; the results page's chain of runs)",
        Config(model="inpaint", noise_dim=32, g_hidden=(512, 512), d_hidden=(240, 240), d_pieces=3,
               optimizer="adam", lr=2e-4, adam_beta1=0.5, lr_decay=1.0, lr_min=0.0, inpaint_l2=100.0,
               inpaint_diversity=70.0, inpaint_skip=1, epochs=6, sample_every=1)),
    # The convolutional inpainter (npgan/models/inpainting/network.py, ConvGenerator): G encodes the
    # observed image to 32 and 64 maps, a 256-unit bottleneck with z, decodes with the encoder's 14 x 14
    # maps beside its own; D and the loss weights as mnist-inpaint-wide's; trained from scratch. The
    # committed model is this preset's 20 epochs continued under other loss weights (10 epochs at 100:40,
    # 10 at 100:55, 5 at 100:70, 5 at 100:78: results/inpainting/inpainting.md, "Fourth round").
    "mnist-inpaint-conv": (
        "inpainting with a convolutional G (28 -> 14 -> 7 encoder, bottleneck 256 with z, decoder with a skip at "
        "14 x 14), D as mnist-inpaint's; squared error 100, diversity 70; about a CPU-minute an epoch",
        Config(model="inpaint", noise_dim=32, g_hidden=(256,), inpaint_conv=32, g_output_bias="zero",
               d_hidden=(240, 240), d_pieces=3, optimizer="adam", lr=2e-4, adam_beta1=0.5, lr_decay=1.0, lr_min=0.0,
               inpaint_l2=100.0, inpaint_diversity=70.0, epochs=20, sample_every=5)),
    # tiny-inpaint with G fed the observed pixels in every layer (npgan/models/inpainting/network.py).
    "tiny-inpaint-skip": (
        "tiny-inpaint with the observed pixels fed to every layer of G (inpaint_skip 1): G 16 + 784 -> 64, "
        "[64, pixels] -> 784; seconds on one core",
        Config(model="inpaint", noise_dim=16, g_hidden=(64,), d_hidden=(32,), d_pieces=2, optimizer="adam", lr=2e-4,
               adam_beta1=0.5, lr_decay=1.0, batch_size=50, epochs=1, iters_per_epoch=300, inpaint_l2=50.0,
               inpaint_diversity=50.0, inpaint_skip=1, sample_every=0)),
}


def get_preset(name):
    """The ``Config`` of a preset; ``ValueError`` listing the names for an unknown one."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; expected one of {', '.join(PRESETS)}")
    return PRESETS[name][1]


# ---- a preset fitted to another length of run, batch size or data set ---------------------------

def updates_per_epoch(config, train_size=None):
    """G's updates in one epoch of ``config`` with ``train_size`` training images (default: its named
    data set's); toy data and the encoder count ``iters_per_epoch``."""
    train_size = train_size or TRAIN_SIZES.get(config.dataset)
    if not train_size or config.model == "encoder":
        return max(1, config.iters_per_epoch)
    per = max(1, train_size // (config.batch_size * config.pack))
    if config.update == "alternating" and config.model in ("gan", "dcgan", "cgan", "bigan"):
        per = max(1, per // config.k)  # k minibatches for D's steps, one update of G
    return min(per, config.iters_per_epoch) if config.iters_per_epoch else per


def fit_schedule(config, epochs=None, batch_size=None, train_size=None, preset_train_size=None):
    """``(config, note)``: ``config`` (a preset's) with ``epochs`` and ``batch_size`` and trained on
    ``train_size`` images, its schedule scaled to keep the preset's shape over the new run.

    A preset's schedule is a share of its run: G averaged over its last fifth, the rate held
    for four fifths then annealed. Fields counted in epochs (``average_from``, the momentum
    ramp's epochs, ``instance_noise_epochs``) scale with the number of epochs; the learning
    rate's hold (``lr_decay_start``, in updates) with the number of updates, and its decay per
    update so that it falls as far over the run as the preset's did. ``note`` is one line
    saying what changed, or what was kept; ``""`` when the run's length is the preset's.
    """
    changes = {name: value for name, value in (("epochs", epochs), ("batch_size", batch_size)) if value is not None}
    new = config.replace(**changes)
    old_updates = config.epochs * updates_per_epoch(config, preset_train_size)
    new_updates = new.epochs * updates_per_epoch(new, train_size)
    if (new.epochs, new_updates) == (config.epochs, old_updates):
        return new, ""
    ratio, scaled = new.epochs / config.epochs, {}
    if config.average_from:
        tail = max(1, round((config.epochs - config.average_from + 1) * ratio))
        scaled["average_from"] = max(1, new.epochs - tail + 1)
    if config.optimizer == "momentum" and config.momentum_start != config.momentum_end:
        start = round(config.momentum_start_epoch * ratio)
        scaled["momentum_start_epoch"] = start
        scaled["momentum_saturate_epoch"] = max(start, round(config.momentum_saturate_epoch * ratio))
    if config.instance_noise_epochs:
        scaled["instance_noise_epochs"] = max(1, round(config.instance_noise_epochs * ratio))
    if config.lr_decay_start:
        scaled["lr_decay_start"] = round(config.lr_decay_start * new_updates / old_updates)
    if config.lr_decay != 1:
        scaled["lr_decay"] = float(f"{config.lr_decay ** (old_updates / new_updates):.7g}")
    scaled = {name: value for name, value in scaled.items() if value != getattr(config, name)}
    new = new.replace(**scaled)
    run = (f"{config.epochs} epochs of {old_updates // config.epochs} updates -> {new.epochs} of "
           f"{new_updates // new.epochs}")
    if not scaled:
        return new, f"the preset's schedule ({run}) has nothing counted in epochs or updates to scale; kept as it is"
    what = ", ".join(f"{name} {getattr(config, name):.7g} -> {value:.7g}" for name, value in scaled.items())
    return new, f"the preset's schedule scaled to the run ({run}): {what}"
