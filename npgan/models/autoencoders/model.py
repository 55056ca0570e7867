"""The models before GANs: the autoencoder, the denoising autoencoder and the VAE.

All three are two of npgan's multilayer perceptrons: an encoder ``E`` from pixels to a
code and a decoder ``G`` from the code to one *logit* per pixel (the pixels are
``sigmoid`` of them; losses work from the logits, ``npgan.models.autoencoders.losses``).

- ``Autoencoder`` (Hinton and Salakhutdinov, 2006): code ``h = E(x)``, reconstruction
  ``sigmoid(G(h))``, trained to reproduce ``x`` (Bernoulli cross-entropy or squared
  error). With ``corruption`` it is the **denoising** autoencoder (Vincent et al., 2008):
  ``E`` sees a corrupted ``x~`` and the loss still compares with the clean ``x``.
- ``VAE`` (Kingma and Welling, 2014): ``E(x) = (mu, logvar)``, the mean and log-variance
  of ``q(z | x) = N(mu, diag exp(logvar))``; ``z = mu + sigma * eps`` (the
  reparameterisation); ``p(x | z)`` independent Bernoullis with means ``sigmoid(G(z))``;
  prior ``p(z) = N(0, I)``. Trained on the negative ELBO
  ``-E_q[log p(x | z)] + KL(q(z | x) || p(z))``, its equation (3) and (10).

``encode``, ``reconstruct`` (and the VAE's ``sample``) work in evaluation mode and are
what ``npgan encode``, ``npgan reconstruct`` and ``npgan sample`` call. ``loss`` is one
forward and backward pass on a batch; the trainer's step (``autoencoder_model``) then
applies the optimisers. Every random draw (weights, corruption, ``eps``) comes from the
``Random`` passed in.
"""

import math
import numbers

from npgan.backend import get_backend
from npgan.models.autoencoders import CORRUPTIONS, RECONSTRUCTION_LOSSES
from npgan.models.autoencoders import losses as ae_losses
from npgan.models.common import feature_count
from npgan.nn import functional
from npgan.nn.layers import Linear, ReLU, Sequential


def mlp(widths, rng, dtype="float32"):
    """Linear, ReLU, ..., Linear through ``widths`` (e.g. ``(784, 200, 200, 100)``); no output activation.

    Each weight matrix uniform in ``+-sqrt(6 / (n_in + n_out))`` (Glorot and Bengio,
    2010), so the signal keeps its scale through the layers; biases zero.
    """
    layers = []
    for i, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
        if i:
            layers.append(ReLU())
        layers.append(Linear(n_in, n_out, rng, math.sqrt(6.0 / (n_in + n_out)), dtype))
    return Sequential(*layers)


def binarize(x, rng):
    """Pixels drawn as Bernoullis with the grey values as their means: ``1[u < x]``, ``u`` uniform.

    The stochastic binarisation of MNIST (Salakhutdinov and Murray, 2008); drawn afresh
    for every training minibatch it is the "dynamic" binarisation of the IWAE paper.
    """
    return (rng.random(x.shape, dtype=x.dtype) < x).astype(x.dtype)


def _check_n(n, what):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"{what}: n must be an integer >= 1, got {n!r}")


def _in_batches(fn, x, batch_size=1000):
    xp = get_backend()
    parts = [fn(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
    return parts[0] if len(parts) == 1 else xp.concatenate(parts)


class _EncoderDecoder:
    """What the autoencoder and the VAE share: the two networks, their sizes, and decoding."""

    @property
    def features(self):
        """Pixels per image (E's input, G's output)."""
        return self.E.layers[0].n_in

    @property
    def code_dim(self):
        """Width of the code (the VAE's: of ``z``), G's input."""
        return self.G.layers[0].n_in

    @property
    def dtype(self):
        return self.E.layers[0].params["W"].dtype

    def decode(self, h):
        """Pixels ``sigmoid(G(h))``, (n, code_dim) -> (n, D)."""
        return _in_batches(lambda b: functional.sigmoid(self.G.forward(b, training=False)), h)


class Autoencoder(_EncoderDecoder):
    """Encoder ``E`` (pixels -> code), decoder ``G`` (code -> logits), and what the input suffers.

    loss: ``"bernoulli"`` (cross-entropy from logits) or ``"squared"`` (error of
    ``sigmoid(G(h))``). corruption (denoising): ``"masking"``, each pixel set to 0 with
    probability ``noise`` (Vincent et al. 2008 zero a fixed fraction ``noise`` of each
    image; here each pixel independently, the same fraction on average), or
    ``"gaussian"``, ``x + noise * N(0, 1)``; ``"none"``: a plain autoencoder.
    rng: the ``Random`` of the corruption.
    """

    def __init__(self, encoder, decoder, rng, loss="bernoulli", corruption="none", noise=0.0):
        if loss not in RECONSTRUCTION_LOSSES:
            raise ValueError(f"Autoencoder: loss must be one of {RECONSTRUCTION_LOSSES}, got {loss!r}")
        if corruption not in CORRUPTIONS:
            raise ValueError(f"Autoencoder: corruption must be one of {CORRUPTIONS}, got {corruption!r}")
        self.E, self.G, self.rng = encoder, decoder, rng
        self.loss_kind, self.corruption, self.noise = loss, corruption, float(noise)
        self.stat_names = ("loss",)

    def corrupt(self, x, rng=None):
        """``x~``: ``x`` with the corruption applied (``x`` itself for a plain autoencoder)."""
        rng = rng or self.rng
        if self.corruption == "masking":
            return x * rng.bernoulli(1.0 - self.noise, x.shape, dtype=x.dtype)
        if self.corruption == "gaussian":
            return x + rng.normal(x.shape, dtype=x.dtype, std=self.noise)
        return x

    def encode(self, x):
        """The code ``h = E(x)`` of clean images ``x`` (n, D) -> (n, code_dim)."""
        return _in_batches(lambda b: self.E.forward(b, training=False), x)

    def reconstruct(self, x):
        """``sigmoid(G(E(x)))`` of clean images (no corruption), (n, D) -> (n, D)."""
        return self.decode(self.encode(x))

    def loss(self, x_in, x, input_grad=False, param_grads=True, backward=True):
        """Reconstruct ``x`` from ``x_in`` (``x`` itself, or its corruption): forward and backward.

        Leaves every gradient of ``E`` and ``G`` in their ``grads``; returns
        ``({"loss": L}, dx_in)`` (``dx_in`` only with ``input_grad``: the gradient with
        respect to the encoder's input, the target ``x`` held fixed).
        ``backward=False``: the loss alone, ``({"loss": L}, None)``.
        """
        h = self.E.forward(x_in)  # (N, code)
        logits = self.G.forward(h)  # (N, D)
        if self.loss_kind == "bernoulli":
            loss, dlogits = ae_losses.bernoulli_cross_entropy(logits, x)
        else:
            y, cache = functional.sigmoid_forward(logits)
            loss, dy = ae_losses.squared_error(y, x)
            dlogits = functional.sigmoid_backward(dy, cache)
        if not backward:
            return {"loss": loss}, None
        dh = self.G.backward(dlogits, param_grads=param_grads)
        dx_in = self.E.backward(dh, input_grad=input_grad, param_grads=param_grads)
        return {"loss": loss}, dx_in


class VAE(_EncoderDecoder):
    """Encoder ``E`` (pixels -> ``[mu, logvar]``, 2L wide), decoder ``G`` (z -> logits), prior N(0, I).

    rng: where ``eps`` comes from in training (``sample`` and the bounds take their own).
    """

    def __init__(self, encoder, decoder, rng):
        self.E, self.G, self.rng = encoder, decoder, rng
        if encoder.layers[-1].n_out != 2 * decoder.layers[0].n_in:
            raise ValueError(f"VAE: the encoder must output 2 x {decoder.layers[0].n_in} numbers (mu and logvar), "
                             f"got {encoder.layers[-1].n_out}")
        self.stat_names = ("loss", "reconstruction", "kl")

    def posterior(self, x, training=False):
        """``(mu, logvar)`` of ``q(z | x)``, each (n, L)."""
        out = self.E.forward(x, training=training)  # (n, 2L)
        return out[:, :self.code_dim], out[:, self.code_dim:]

    def encode(self, x):
        """The posterior mean ``mu`` of each image (not a sampled ``z``), (n, D) -> (n, L)."""
        return _in_batches(lambda b: self.posterior(b)[0], x)

    def reconstruct(self, x):
        """``sigmoid(G(mu))``: the decoding of the posterior mean, (n, D) -> (n, D)."""
        return self.decode(self.encode(x))

    def sample(self, n, batch_size=1000, rng=None):
        """``n`` images from the model: ``z ~ N(0, I)``, then the Bernoulli means ``sigmoid(G(z))``.

        The means, not 0/1 draws from them: the grey picture every VAE paper shows.
        rng: where ``z`` comes from (default the VAE's own ``Random``).
        """
        _check_n(n, "VAE.sample")
        rng = rng if rng is not None else self.rng
        xp = get_backend()
        parts = [self.decode(rng.normal((min(batch_size, n - i), self.code_dim), dtype=self.dtype.name))
                 for i in range(0, n, batch_size)]
        return parts[0] if len(parts) == 1 else xp.concatenate(parts)

    def loss(self, x, eps=None, target=None, input_grad=False, param_grads=True, backward=True):
        """The negative ELBO of a batch, its forward and backward pass (Kingma and Welling, eq. 10).

        x: (N, D) the encoder's input; target: what ``p(x | z)`` scores (default ``x``;
        given separately, it is held fixed for ``dx``); eps: (N, L) the noise of the
        reparameterisation (drawn from ``rng`` if ``None``; held fixed for checks).

            (mu, logvar) = E(x);  z = mu + sigma * eps;  logits = G(z)
            loss = BCE(logits, target) + KL(N(mu, sigma^2) || N(0, I))

        Backward, term by term: ``dlogits`` from the cross-entropy, ``dz = G.backward``,
        ``(dmu, dlogvar)`` through the reparameterisation, plus the KL's own ``dmu`` and
        ``dlogvar``; side by side they are ``d[mu, logvar]``, which ``E.backward`` takes.
        Returns ``({"loss", "reconstruction", "kl"}, dx)`` (``dx`` only with ``input_grad``;
        ``backward=False``: the statistics alone, and ``None``).
        """
        xp = get_backend()
        target = x if target is None else target
        mu, logvar = self.posterior(x, training=True)  # (N, L) each
        if eps is None:
            eps = self.rng.normal(mu.shape, dtype=mu.dtype.name)
        z, cache = ae_losses.reparameterize_forward(mu, logvar, eps)
        logits = self.G.forward(z)  # (N, D)
        reconstruction, dlogits = ae_losses.bernoulli_cross_entropy(logits, target)
        kl, dmu_kl, dlogvar_kl = ae_losses.gaussian_kl(mu, logvar)
        stats = {"loss": reconstruction + kl, "reconstruction": reconstruction, "kl": kl}
        if not backward:
            return stats, None
        dz = self.G.backward(dlogits, param_grads=param_grads)
        dmu, dlogvar = ae_losses.reparameterize_backward(dz, cache)
        dout = xp.concatenate([dmu + dmu_kl, dlogvar + dlogvar_kl], axis=1)  # (N, 2L)
        dx = self.E.backward(dout, input_grad=input_grad, param_grads=param_grads)
        return stats, dx


def build(config, rng):
    """The ``Autoencoder`` or ``VAE`` a ``Config`` describes (``model`` "ae", "dae" or "vae"), drawn from ``rng``.

    The encoder runs through ``ae_hidden`` to the code (the VAE's: ``mu`` and ``logvar``,
    ``2 x ae_code`` wide), the decoder back through the same widths reversed.
    """
    features = feature_count(config)  # 784 for MNIST
    hidden = tuple(config.ae_hidden)
    decoder_widths = (config.ae_code, *reversed(hidden), features)
    if config.model == "vae":
        encoder = mlp((features, *hidden, 2 * config.ae_code), rng, config.dtype)
        return VAE(encoder, mlp(decoder_widths, rng, config.dtype), rng)
    encoder = mlp((features, *hidden, config.ae_code), rng, config.dtype)
    return Autoencoder(encoder, mlp(decoder_widths, rng, config.dtype), rng, config.ae_loss,
                       config.ae_corruption, config.ae_noise)
