"""A GAN: a generator, a discriminator, a noise prior, and the steps of Algorithm 1.

Algorithm 1 of the paper, per training iteration:

    for k steps:
        sample m noise samples z ~ p_g(z)                                 (line 3)
        sample m examples x ~ p_data(x)                                   (line 4)
        update D by ascending  1/m sum [log D(x) + log(1 - D(G(z)))]     (line 5)
    sample m noise samples z ~ p_g(z)                                     (line 7)
    update G by descending 1/m sum log(1 - D(G(z)))                      (line 8)
        (in practice: ascending 1/m sum log D(G(z)), the non-saturating objective)

``d_step`` is lines 3-5 and ``g_step`` lines 7-8; the trainer calls ``d_step`` k times
with fresh real minibatches, then ``g_step`` once. ``simultaneous_step`` is the update of
the paper's public code instead: both gradients from one batch, applied together.

The discriminator returns logits ``l`` with ``D(x) = sigmoid(l)``; the objectives work
from logits (see ``npgan.losses``). Steps return their statistics as 0-d backend arrays
so that nothing forces a host/device sync inside the loop.
"""

import math
import os

from npgan import losses
from npgan.backend import Random, get_backend

NOISE_PRIORS = ("uniform", "gaussian")


class GAN:
    """Generator ``G``, discriminator ``D`` and the noise prior ``p_z``.

    noise: ``"uniform"`` on ``[-noise_scale, noise_scale]`` (the paper's MNIST model:
    ``sqrt(3)``, unit variance) or ``"gaussian"`` with standard deviation ``noise_scale``.
    rng: the generator for noise (dropout masks come from the generator each Dropout
    layer was built with; the trainer passes one generator to all of them).
    """

    def __init__(self, generator, discriminator, noise_dim, noise="uniform",
                 noise_scale=math.sqrt(3), gen_loss="nonsaturating", rng=None):
        if noise not in NOISE_PRIORS:
            raise ValueError(f"GAN: noise must be one of {NOISE_PRIORS}, got {noise!r}")
        if gen_loss not in losses.GENERATOR_LOSSES:
            raise ValueError(f"GAN: gen_loss must be one of {losses.GENERATOR_LOSSES}, got {gen_loss!r}")
        self.G, self.D = generator, discriminator
        self.noise_dim, self.noise, self.noise_scale = noise_dim, noise, float(noise_scale)
        self.gen_loss = gen_loss
        self.rng = rng if rng is not None else Random(0)
        self.dtype = next(iter(generator.params.values())).dtype
        self._pair = None  # reused (2m, features) buffer for D's joint pass

    def sample_noise(self, n, rng=None):
        """``z ~ p_z``, shape (n, noise_dim), from ``rng`` (default: the GAN's own)."""
        rng = rng if rng is not None else self.rng
        if self.noise == "uniform":
            return rng.uniform(-self.noise_scale, self.noise_scale, (n, self.noise_dim), self.dtype)
        return rng.normal((n, self.noise_dim), self.dtype, std=self.noise_scale)

    def sample(self, n, batch_size=1000, rng=None):
        """``n`` samples ``G(z)`` in evaluation mode, shape (n, features).

        rng: where the noise comes from; pass a separate ``Random`` to sample
        without disturbing the training stream (pictures and evaluations do).
        """
        xp = get_backend()
        parts = [self.G.forward(self.sample_noise(min(batch_size, n - i), rng), training=False)
                 for i in range(0, n, batch_size)]
        return parts[0] if len(parts) == 1 else xp.concatenate(parts)

    def discriminate(self, x, batch_size=1000):
        """``D(x)`` in evaluation mode (no dropout), shape (n,)."""
        from npgan.functional import sigmoid

        xp = get_backend()
        parts = [self.D.forward(x[i:i + batch_size], training=False)[:, 0] for i in range(0, len(x), batch_size)]
        return sigmoid(parts[0] if len(parts) == 1 else xp.concatenate(parts))

    def _joint_batch(self, real, fake):
        """Real rows then fake rows in one (2m, features) buffer, reused between steps."""
        xp = get_backend()
        m = real.shape[0]
        shape = (2 * m, real.shape[1])
        if self._pair is None or self._pair.shape != shape:
            self._pair = xp.empty(shape, dtype=real.dtype)
        self._pair[:m] = real
        self._pair[m:] = fake
        return self._pair

    @property
    def features(self):
        """Width of a sample (G's output, D's input)."""
        return next(layer.n_out for layer in reversed(self.G.layers) if hasattr(layer, "n_out"))

    def _check_real(self, real):
        width = self.features
        if getattr(real, "ndim", None) != 2 or real.shape[1] != width:
            raise ValueError(f"GAN: expected a real minibatch of shape (m, {width}), got {getattr(real, 'shape', None)}")

    def d_step(self, real, d_optimizer):
        """Algorithm 1, lines 3-5: one discriminator update on ``real`` and fresh noise.

        D sees real and fake rows in one forward pass (one set of matrix products, one
        dropout draw). Its loss is ``-V/2`` on the minibatch (``losses.discriminator_loss``);
        only D's parameters move. Returns ``{"d_loss", "d_real", "d_fake"}`` with the mean
        ``D(x)`` and ``D(G(z))``.
        """
        self._check_real(real)
        m = real.shape[0]
        fake = self.G.forward(self.sample_noise(m), training=False)  # line 3: z ~ p_z
        logits = self.D.forward(self._joint_batch(real, fake), training=True)  # (2m, 1)
        loss, dreal, dfake = losses.discriminator_loss(logits[:m], logits[m:])  # line 5
        self.D.backward(get_backend().concatenate([dreal, dfake]), input_grad=False)
        d_optimizer.step()
        return {"d_loss": loss, **self._mean_outputs(logits, m)}

    def g_step(self, m, g_optimizer):
        """Algorithm 1, lines 7-8: one generator update on ``m`` fresh noise samples.

        The gradient of the generator objective flows back through D (in training mode,
        dropout included, as the paper's code did) into G. D's weight gradients are not
        computed (``param_grads=False``) and D does not move; only G's parameters move.
        Returns ``{"g_loss"}``.
        """
        fake = self.G.forward(self.sample_noise(m), training=True)  # line 7
        logits = self.D.forward(fake, training=True)
        loss, dlogits = losses.generator_loss(logits, self.gen_loss)  # line 8
        dfake = self.D.backward(dlogits, param_grads=False)
        self.G.backward(dfake, input_grad=False)
        g_optimizer.step()
        return {"g_loss": loss}

    def simultaneous_step(self, real, d_optimizer, g_optimizer):
        """The update of the paper's public code: D's and G's gradients from the same
        generated samples and the same dropout masks, then both applied at once.

        One forward of D over ``[real; G(z)]``; D's loss backpropagates into D's
        parameters, and G's loss (on the same fake logits) backpropagates through the
        same D pass, with the same masks, into G.
        """
        self._check_real(real)
        xp = get_backend()
        m = real.shape[0]
        fake = self.G.forward(self.sample_noise(m), training=True)
        logits = self.D.forward(self._joint_batch(real, fake), training=True)
        d_loss, dreal, dfake = losses.discriminator_loss(logits[:m], logits[m:])
        g_loss, g_dlogits = losses.generator_loss(logits[m:], self.gen_loss)
        self.D.backward(xp.concatenate([dreal, dfake]), input_grad=False)
        # The same D pass again, now for G's objective: only the fake rows carry gradient.
        dpair = self.D.backward(xp.concatenate([xp.zeros_like(dreal), g_dlogits]), param_grads=False)
        self.G.backward(dpair[m:], input_grad=False)
        d_optimizer.step()
        g_optimizer.step()
        return {"d_loss": d_loss, "g_loss": g_loss, **self._mean_outputs(logits, m)}

    @staticmethod
    def _mean_outputs(logits, m):
        from npgan.functional import sigmoid

        d = sigmoid(logits)
        return {"d_real": d[:m].mean(), "d_fake": d[m:].mean()}


def data_features(config):
    """Features per example of ``config.dataset``: 784 pixels for MNIST, else the toy's dim."""
    from npgan.toy import make_toy

    return 784 if config.dataset == "mnist" else make_toy(config.dataset).dim


def build_gan(config, rng, output_bias=None):
    """The ``GAN`` a ``Config`` describes, its parameters drawn from ``rng``.

    output_bias: the generator's initial output bias (the logit of the per-pixel data
    mean, for ``g_output_bias = "data_logit_mean"``), or ``None`` for zeros.
    """
    from npgan import models

    features = data_features(config)
    G = models.generator(config.noise_dim, config.g_hidden, features, config.g_output,
                         config.g_init_range, output_bias, rng, config.dtype)
    D = models.discriminator(features, config.d_hidden, config.d_pieces, config.keep_input,
                             config.keep_hidden, config.d_init_range, config.d_activation,
                             rng, config.dtype, config.d_bias_range)
    return GAN(G, D, config.noise_dim, config.noise, config.noise_scale, config.gen_loss, rng)


def load(path, averaged=False):
    """The GAN stored in a checkpoint (``.npz``), ready to sample from.

    A training checkpoint gives G and D; a generator file (``pretrained/``) gives G,
    and ``gan.D`` is ``None``. ``averaged=True`` takes G's parameters from the running
    mean that a run with ``average_from`` keeps (training checkpoints only). The GAN's
    noise comes from ``Random(config.seed)``; pass your own generator to
    ``gan.sample(n, rng=...)`` for other draws.
    """
    from npgan import checkpoint

    config, state, arrays = checkpoint.read(path)
    rng = Random(config.seed)
    gan = build_gan(config, rng)
    if averaged and not state.get("n_averaged"):
        raise checkpoint.CheckpointError(
            f"{os.fspath(path)}: holds no averaged generator (a training checkpoint of a run with "
            f"average_from > 0, from epoch average_from on, has one)")
    checkpoint.load_into(path, arrays, "Gavg" if averaged else "G", gan.G)
    if state["kind"] == "training":
        checkpoint.load_into(path, arrays, "D", gan.D)
    else:
        gan.D = None
    gan.config, gan.state = config, state
    return gan


# What a generator's samples depend on besides its weights: averaged files must agree on it.
_SAMPLING_FIELDS = ("dataset", "noise", "noise_dim", "noise_scale", "g_hidden", "g_output")


def average_generators(paths):
    """The GAN whose generator weights are the mean of those in ``paths`` (Polyak averaging).

    paths: checkpoints or generator files of one training run, e.g. the snapshots
    ``snapshots/generator-epoch-NNNN.npz`` that ``npgan train`` writes every
    ``parzen_every`` epochs. Training is untouched; only the generator that is
    evaluated or sampled from is the average of its iterates, which cancels the
    step-to-step jitter that SGD with a constant-ish learning rate leaves in the last
    one (Polyak and Juditsky, 1992; for GANs, Yazici et al., 2019). The mean is
    accumulated in float64. Raises ``CheckpointError`` when a file is unreadable or
    does not describe the same generator as the first one.
    """
    from npgan import checkpoint

    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise ValueError("average_generators: give at least one checkpoint or generator file")
    first = load(paths[0])
    xp = get_backend()
    sums = {key: value.astype("float64") for key, value in first.G.params.items()}
    part = checkpoint.Parameters({key: xp.empty_like(total) for key, total in sums.items()})
    epochs = [first.state.get("epoch")]
    for path in paths[1:]:
        config, state, arrays = checkpoint.read(path)
        for field in _SAMPLING_FIELDS:
            if getattr(config, field) != getattr(first.config, field):
                raise checkpoint.CheckpointError(
                    f"{path}: {field} is {getattr(config, field)!r}, but {paths[0]} has "
                    f"{getattr(first.config, field)!r}; only generators of one run can be averaged")
        checkpoint.load_into(path, arrays, "G", part)  # checks every name and shape
        for key, total in sums.items():
            total += part.params[key]
        epochs.append(state.get("epoch"))
    for key, value in first.G.params.items():
        value[...] = (sums[key] / len(paths)).astype(value.dtype)
    first.D = None
    first.state = {"kind": "generator", "epoch": epochs[-1], "averaged_epochs": epochs,
                   "averaged_files": [os.path.basename(p) for p in paths]}
    return first
