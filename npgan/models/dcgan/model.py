"""DCGAN (Radford, Metz and Chintala, 2016) for small images: the "dcgan" model family.

The paper's last experiment pits a convolutional D against a "deconvolutional" G on
CIFAR-10; DCGAN made that work with strided (transposed) convolutions, batch norm,
LeakyReLU in D and Adam. Here, for images of ``C x S x S`` with ``S`` divisible by 4
(MNIST and Fashion-MNIST: 1 x 28 x 28; CIFAR-10: 3 x 32 x 32), ``w = config.conv_width``:

    G: z (noise_dim) -> ConvTranspose 1x1 -> S/4 x S/4 x 2w (kernel S/4, no bias), batch norm, ReLU
                     -> ConvTranspose 4x4 stride 2 -> S/2 x S/2 x w, batch norm, ReLU
                     -> ConvTranspose 4x4 stride 2 -> S x S x C, sigmoid (pixels in [0, 1])
    D: x -> Conv 4x4 stride 2 -> S/2 x S/2 x w, LeakyReLU
         -> Conv 4x4 stride 2 -> S/4 x S/4 x 2w (no bias), batch norm, LeakyReLU
         -> Linear -> one logit
       (``conv_d_batchnorm`` 0: the second convolution with its bias and no batch norm)

G's width may differ from D's: ``config.conv_g_width`` (0: ``w``) replaces ``w`` in G.
``config.conv_fc_units`` = F > 0 adds a fully connected hidden layer to each net, as
InfoGAN's MNIST networks have: G maps z to F units (batch norm, ReLU) before the
projection, which then reads those F numbers in place of z; D maps its S/4 x S/4 x 2w
features to F units (batch norm, LeakyReLU) before the logit. Both are convolutions whose
kernel covers the whole input map (1 x 1 in G, S/4 x S/4 in D), which is what a fully
connected layer is, and like every layer before a batch norm they have no bias.

G's first layer is DCGAN's "project and reshape": a transposed convolution of a 1 x 1
image with an S/4 x S/4 kernel is a linear map from z to S/4 x S/4 x 2w. Layers followed
by a batch norm have no bias (the norm would subtract it). Weights are N(0, 0.02^2).
G and D take and give rows (n, C*S*S), like every npgan model (a ``Reshape`` first in
D, a ``Flatten`` last in G), so the trainer, the evaluator and Parzen see (n, 784) arrays.

The family reuses the GAN's machinery: ``DCGAN`` is a ``GAN`` whose discriminator step
suits batch norm; ``training.DCGANModel`` is a ``GANModel`` with these networks and data sets.
"""

import math

from npgan.models.common import image_shape
from npgan.models.gan.model import GAN
from npgan.nn import losses
from npgan.nn.image_layers import BatchNorm, Conv2d, ConvTranspose2d, Flatten, LeakyReLU, Reshape
from npgan.nn.kernels import sigmoid
from npgan.nn.layers import Linear, Sequential, Sigmoid


def _fully_connected(channels, side, units, rng, init_std, momentum, dtype, slope):
    """(N, channels, side, side) -> (N, units, 1, 1): a convolution with a side x side kernel (every
    input to every unit, no bias), batch norm per unit, LeakyReLU(slope) (0: ReLU)."""
    return [Conv2d(channels, units, side, rng, init_std=init_std, dtype=dtype, bias=False),
            BatchNorm(units, momentum, dtype=dtype), LeakyReLU(slope)]


def generator(noise_dim, image_shape, width, rng, init_std=0.02, momentum=0.1, dtype="float32", fc_units=0):
    """Noise (N, noise_dim) -> images as rows (N, C*S*S) in [0, 1]; ``momentum``: batch norm's rate;
    ``fc_units`` > 0: a fully connected hidden layer of that many units first."""
    c, side, _ = image_shape
    first, projected = [Reshape((noise_dim, 1, 1))], noise_dim
    if fc_units:
        first += _fully_connected(noise_dim, 1, fc_units, rng, init_std, momentum, dtype, 0.0)
        projected = fc_units
    return Sequential(
        *first,  # (N, noise_dim or F, 1, 1)
        ConvTranspose2d(projected, 2 * width, side // 4, rng, init_std=init_std, dtype=dtype, bias=False),
        BatchNorm(2 * width, momentum, dtype=dtype), LeakyReLU(0.0),  # (N, 2w, S/4, S/4)
        ConvTranspose2d(2 * width, width, 4, rng, 2, 1, init_std, dtype, bias=False),
        BatchNorm(width, momentum, dtype=dtype), LeakyReLU(0.0),  # (N, w, S/2, S/2)
        ConvTranspose2d(width, c, 4, rng, 2, 1, init_std, dtype),  # (N, C, S, S)
        Flatten(image_shape), Sigmoid())


def discriminator(image_shape, width, rng, slope=0.2, init_std=0.02, momentum=0.1, dtype="float32",
                  batch_norm=True, fc_units=0):
    """Images as rows (N, C*S*S) -> logits (N, 1); ``batch_norm=False``: no batch norm after the
    second convolution, which keeps its bias instead; ``fc_units`` > 0: a fully connected
    hidden layer of that many units before the logit."""
    c, side, _ = image_shape
    quarter = (2 * width, side // 4, side // 4)
    second = [Conv2d(width, 2 * width, 4, rng, 2, 1, init_std, dtype, bias=not batch_norm)]
    if batch_norm:
        second.append(BatchNorm(2 * width, momentum, dtype=dtype))
    hidden = _fully_connected(2 * width, side // 4, fc_units, rng, init_std, momentum, dtype, slope) if fc_units else []
    last = (fc_units, 1, 1) if fc_units else quarter  # what the logit reads
    return Sequential(
        Reshape(image_shape),
        Conv2d(c, width, 4, rng, 2, 1, init_std, dtype), LeakyReLU(slope),  # (N, w, S/2, S/2)
        *second, LeakyReLU(slope),  # (N, 2w, S/4, S/4)
        *hidden,  # (N, F, 1, 1) when fc_units > 0
        Flatten(last),
        # uniform on [-a, a] has standard deviation a / sqrt(3): the same spread as the convolutions
        Linear(math.prod(last), 1, rng, init_std * math.sqrt(3), dtype))


class DCGAN(GAN):
    """A GAN whose discriminator step suits networks with batch norm (``GAN``'s otherwise)."""

    def d_step(self, real, d_optimizer):
        """Algorithm 1, lines 3-5, as DCGAN trains a discriminator with batch norm.

        Two differences from ``GAN.d_step``, both for batch norm. G runs in training mode,
        normalised by its batch statistics as in the generator step, so D learns against
        the samples that G's step moves. And D sees the real and the generated minibatch
        in two passes, each normalised by its own statistics, as DCGAN did: in one joint
        pass the statistics would mix the two, while D's pass in the generator step sees
        generated rows alone. The loss is ``GAN.d_step``'s,
        ``L_D = 0.5 (BCE(D(x), 1) + BCE(D(G(z)), 0))``, and its gradient the sum of the
        two passes' gradients (each pass's backward overwrites ``grads``, so the first
        pass's are kept and added). Returns ``{"d_loss", "d_real", "d_fake"}``.
        """
        self._check_real(real)
        m = real.shape[0]
        fake = self.G.forward(self.sample_noise(m), training=True)  # line 3: z ~ p_z
        real_logits = self.D.forward(real, training=True)
        real_loss, dreal = losses.sigmoid_cross_entropy(real_logits, 1.0)
        self.D.backward(0.5 * dreal, input_grad=False)
        real_grads = {key: g.copy() for key, g in self.D.grads.items()}
        fake_logits = self.D.forward(fake, training=True)
        fake_loss, dfake = losses.sigmoid_cross_entropy(fake_logits, 0.0)
        self.D.backward(0.5 * dfake, input_grad=False)
        for key, layer, name in self.D.parameters():  # line 5: both halves of the loss
            layer.grads[name] += real_grads[key]
        d_optimizer.step()
        return {"d_loss": 0.5 * (real_loss + fake_loss), "d_real": sigmoid(real_logits).mean(),
                "d_fake": sigmoid(fake_logits).mean()}


def build_dcgan(config, rng, output_bias=None):
    """The ``DCGAN`` a ``Config`` of the "dcgan" family describes, its parameters drawn from ``rng``.

    ``output_bias`` is accepted for ``load_gan``'s signature and must be ``None``: G's
    last layer has one bias per channel, not per pixel.
    """
    if output_bias is not None:
        raise ValueError("build_dcgan: DCGAN's generator takes no per-pixel output bias (g_output_bias='zero')")
    shape = image_shape(config)
    G = generator(config.noise_dim, shape, config.conv_g_width or config.conv_width, rng, config.conv_init_std,
                  config.batchnorm_momentum, config.dtype, config.conv_fc_units)
    D = discriminator(shape, config.conv_width, rng, config.leaky_slope, config.conv_init_std,
                      config.batchnorm_momentum, config.dtype, bool(config.conv_d_batchnorm), config.conv_fc_units)
    return DCGAN(G, D, rng, config.noise_dim, config.noise, config.noise_scale, config.gen_loss)
