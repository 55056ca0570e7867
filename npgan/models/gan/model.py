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

Two remedies of ``npgan.nn.remedies`` live in the steps: ``label_smoothing`` (D's target for
real examples) and ``input_noise`` (instance noise on every input of D, real and
generated). The others are in D itself (packing, the minibatch feature; D then gives one
logit per pack of samples) or in the optimisers (two learning rates).

The discriminator returns logits ``l`` with ``D(x) = sigmoid(l)``; the objectives work
from logits (see ``npgan.nn.losses``). Steps return their statistics as 0-d backend arrays
so that nothing forces a host/device sync inside the loop.
"""

import math
import numbers

from npgan.backend import get_backend
from npgan.models.gan import NOISE_PRIORS
from npgan.nn import kernels, losses


class GAN:
    """Generator ``G``, discriminator ``D`` and the noise prior ``p_z``.

    noise: ``"uniform"`` on ``[-noise_scale, noise_scale]`` (the paper's MNIST model:
    ``sqrt(3)``, unit variance) or ``"gaussian"`` with standard deviation ``noise_scale``.
    rng: the ``Random`` the noise comes from (dropout masks come from the ``Random`` each
    Dropout layer was built with; ``build_gan`` passes one to all of them).
    label_smoothing: ``s``, so that D's target for real examples is ``1 - s``.
    """

    def __init__(self, generator, discriminator, rng, noise_dim, noise="uniform",
                 noise_scale=math.sqrt(3), gen_loss="nonsaturating", label_smoothing=0.0):
        if noise not in NOISE_PRIORS:
            raise ValueError(f"GAN: noise must be one of {NOISE_PRIORS}, got {noise!r}")
        if gen_loss not in losses.GENERATOR_LOSSES:
            raise ValueError(f"GAN: gen_loss must be one of {losses.GENERATOR_LOSSES}, got {gen_loss!r}")
        self.G, self.D = generator, discriminator
        self.noise_dim, self.noise, self.noise_scale = noise_dim, noise, float(noise_scale)
        self.gen_loss = gen_loss
        self.real_target = 1.0 - label_smoothing  # one-sided label smoothing (losses.discriminator_loss)
        self.rng = rng
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
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"GAN.sample: n must be an integer >= 1, got {n!r}")
        xp = get_backend()
        parts = [self.G.forward(self.sample_noise(min(batch_size, n - i), rng), training=False)
                 for i in range(0, n, batch_size)]
        return parts[0] if len(parts) == 1 else xp.concatenate(parts)

    def discriminate(self, x, batch_size=1000):
        """``D(x)`` in evaluation mode (no dropout), shape (n,); for a packed D, one per pack: (n / pack,)."""
        xp = get_backend()
        parts = [self.D.forward(x[i:i + batch_size], training=False)[:, 0] for i in range(0, len(x), batch_size)]
        return kernels.sigmoid(parts[0] if len(parts) == 1 else xp.concatenate(parts))

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
            got = getattr(real, "shape", None)
            raise ValueError(f"GAN: expected a real minibatch of shape (m, {width}), got {got}")

    def _with_input_noise(self, x, std):
        """Instance noise: ``x + e``, ``e ~ N(0, std^2)`` from the GAN's stream (``x`` itself for 0).

        Its backward is the identity (``d(x + e)/dx = I``): the gradient D passes back
        is already the gradient with respect to ``x``. With ``std = 0`` nothing is drawn,
        so the random stream is that of a run without instance noise.
        """
        return x if std == 0 else x + self.rng.normal(x.shape, x.dtype, std=std)

    def d_step(self, real, d_optimizer, input_noise=0.0):
        """Algorithm 1, lines 3-5: one discriminator update on ``real`` and fresh noise.

        D sees real and fake rows in one forward pass (one set of matrix products, one
        dropout draw). Its loss is ``-V/2`` on the minibatch (``losses.discriminator_loss``,
        with the real target ``1 - label_smoothing``); only D's parameters move.
        input_noise: the standard deviation of instance noise on D's inputs (0: none).
        Returns ``{"d_loss", "d_real", "d_fake"}`` with the mean ``D(x)`` and ``D(G(z))``.
        """
        self._check_real(real)
        m = real.shape[0]
        fake = self.G.forward(self.sample_noise(m), training=False)  # line 3: z ~ p_z
        pair = self._with_input_noise(self._joint_batch(real, fake), input_noise)
        logits = self.D.forward(pair, training=True)  # (2m, 1), or (2m / pack, 1) packed
        half = logits.shape[0] // 2
        loss, dreal, dfake = losses.discriminator_loss(logits[:half], logits[half:], self.real_target)  # line 5
        self.D.backward(get_backend().concatenate([dreal, dfake]), input_grad=False)
        d_optimizer.step()
        return {"d_loss": loss, **self._mean_outputs(logits, half)}

    def g_step(self, m, g_optimizer, input_noise=0.0):
        """Algorithm 1, lines 7-8: one generator update on ``m`` fresh noise samples.

        The gradient of the generator objective flows back through D (in training mode,
        dropout included, as the paper's code did) into G. D's weight gradients are not
        computed (``param_grads=False``) and D does not move; only G's parameters move.
        input_noise: instance noise on D's input, as in ``d_step``. Returns ``{"g_loss"}``.
        """
        fake = self.G.forward(self.sample_noise(m), training=True)  # line 7
        logits = self.D.forward(self._with_input_noise(fake, input_noise), training=True)
        loss, dlogits = losses.generator_loss(logits, self.gen_loss)  # line 8
        dfake = self.D.backward(dlogits, param_grads=False)  # (m, features): a packed D unpacks it
        self.G.backward(dfake, input_grad=False)
        g_optimizer.step()
        return {"g_loss": loss}

    def simultaneous_step(self, real, d_optimizer, g_optimizer, input_noise=0.0):
        """The update of the paper's public code: D's and G's gradients from the same
        generated samples and the same dropout masks, then both applied at once.

        One forward of D over ``[real; G(z)]``; D's loss backpropagates into D's
        parameters, and G's loss (on the same fake logits) backpropagates through the
        same D pass, with the same masks, into G. input_noise: as in ``d_step``.
        """
        self._check_real(real)
        xp = get_backend()
        m = real.shape[0]
        fake = self.G.forward(self.sample_noise(m), training=True)
        pair = self._with_input_noise(self._joint_batch(real, fake), input_noise)
        logits = self.D.forward(pair, training=True)
        half = logits.shape[0] // 2
        d_loss, dreal, dfake = losses.discriminator_loss(logits[:half], logits[half:], self.real_target)
        g_loss, g_dlogits = losses.generator_loss(logits[half:], self.gen_loss)
        self.D.backward(xp.concatenate([dreal, dfake]), input_grad=False)
        # The same D pass again, now for G's objective: only the fake rows carry gradient.
        dpair = self.D.backward(xp.concatenate([xp.zeros_like(dreal), g_dlogits]), param_grads=False)
        self.G.backward(dpair[m:], input_grad=False)
        d_optimizer.step()
        g_optimizer.step()
        return {"d_loss": d_loss, "g_loss": g_loss, **self._mean_outputs(logits, half)}

    @staticmethod
    def _mean_outputs(logits, m):
        d = kernels.sigmoid(logits)
        return {"d_real": d[:m].mean(), "d_fake": d[m:].mean()}
