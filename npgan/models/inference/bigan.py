"""BiGAN (Donahue et al., 2017) / ALI (Dumoulin et al., 2017): inference learned adversarially.

Beside the generator ``G: z -> x`` an encoder ``E: x -> z`` (``inference.build_encoder``),
and a discriminator that judges *pairs*: ``D(x, z)`` sees an image and a code side by
side (one row of ``features + noise_dim`` numbers). The value function is the paper's,
on pairs:

    V(D, E, G) = E_x[log D(x, E(x))] + E_z[log(1 - D(G(z), z))].

D ascends V; E and G, together, descend it. At the optimum the joint distributions of
``(x, E(x))`` with ``x ~ p_data`` and of ``(G(z), z)`` with ``z ~ p_z`` are equal, and then
E inverts G (Donahue et al., Theorems 1-2): the encoder is learned from real images,
not only from G's samples as the post-hoc encoder is.

The steps are Algorithm 1's with pairs in place of images:

    for k steps:
        x ~ p_data, z ~ p_z                                                   (lines 3-4)
        update D by ascending 1/m sum [log D(x, E(x)) + log(1 - D(G(z), z))]  (line 5)
    z ~ p_z (and the real minibatch of the last D step)                       (line 7)
    update E and G by descending the same sum, or by the non-saturating form  (line 8)

``d_step`` is lines 3-5 and ``eg_step`` lines 7-8; ``simultaneous_step`` computes both
from one batch and applies them together, as ``GAN.simultaneous_step`` does.

Two options beside the plain game: D can read x and z apart before joining them
(``pair_discriminator``, ALI's separate paths), and ``recon_weight = lambda > 0`` adds
ALICE's reconstruction term (Li et al., 2017) to E's and G's loss,
``lambda mean_n mean_d (G(E(x_n))_d - x_nd)^2`` (``reconstruction_term``): a variant of
BiGAN, not BiGAN, which asks ``G(E(x))`` to redraw ``x``.
"""

from npgan.backend import get_backend
from npgan.models.common import feature_count
from npgan.models.gan.inversion import reconstruction_loss
from npgan.models.gan.model import GAN
from npgan.models.inference.layers import PairMaxout
from npgan.models.inference.model import encoder_for
from npgan.nn import losses, mlp
from npgan.nn.kernels import sigmoid
from npgan.nn.layers import Dropout, Linear, Maxout, Sequential


class BiGAN(GAN):
    """A ``GAN`` whose D judges pairs ``(x, z)``, with an encoder ``E`` trained beside ``G``.

    Sampling (``sample``, ``sample_noise``) is the GAN's; ``encode(x) = E(x)`` and
    ``reconstruct(x) = G(E(x))`` are new; the steps are those of the module docstring.
    """

    def __init__(self, generator, encoder, discriminator, rng, noise_dim, noise="uniform", noise_scale=3 ** 0.5,
                 gen_loss="nonsaturating", recon_weight=0.0):
        super().__init__(generator, discriminator, rng, noise_dim, noise, noise_scale, gen_loss)
        self.E = encoder
        self.recon_weight = recon_weight  # ALICE's lambda (0: plain BiGAN)
        self._codes = self._x_hat = None  # E(x) and G(E(x)) of the last forward_pairs

    def encode(self, x, batch_size=1000):
        """``E(x)`` in evaluation mode: codes (N, noise_dim)."""
        xp = get_backend()
        parts = [self.E.forward(x[i:i + batch_size], training=False) for i in range(0, len(x), batch_size)]
        return parts[0] if len(parts) == 1 else xp.concatenate(parts)

    def reconstruct(self, x, batch_size=1000):
        """``G(E(x))`` in evaluation mode: (N, features)."""
        xp = get_backend()
        parts = [self.G.forward(self.E.forward(x[i:i + batch_size], training=False), training=False)
                 for i in range(0, len(x), batch_size)]
        return parts[0] if len(parts) == 1 else xp.concatenate(parts)

    def discriminate(self, x, z=None, batch_size=1000):
        """``D(x, z)`` in evaluation mode, shape (n,); ``z`` defaults to ``E(x)``."""
        xp = get_backend()
        z = self.encode(x) if z is None else z
        parts = [self.D.forward(xp.concatenate([x[i:i + batch_size], z[i:i + batch_size]], axis=1),
                                training=False)[:, 0] for i in range(0, len(x), batch_size)]
        return sigmoid(parts[0] if len(parts) == 1 else xp.concatenate(parts))

    def _pairs(self, real, codes, fake, z):
        """Rows ``[x, E(x)]`` then rows ``[G(z), z]``: (2m, features + noise_dim)."""
        xp = get_backend()
        return xp.concatenate([xp.concatenate([real, codes], axis=1), xp.concatenate([fake, z], axis=1)])

    def forward_pairs(self, real, z, training, input_noise=0.0, reconstruct=False):
        """E on ``real``, G on ``z``, D (in training mode) on both pairs; returns D's logits (2m, 1).

        input_noise: the standard deviation of Gaussian instance noise added to every number
        of every pair D sees (``remedies``; Sonderby et al., 2017). Being added, it leaves D's
        input gradient as it is: ``d(pairs + n)/d pairs = I``.
        reconstruct: G also draws ``G(E(x))`` (kept for ``reconstruction_term``), in the same
        pass as ``G(z)``: G runs once on the rows ``[z; E(x)]`` (its layers are row-wise).
        """
        xp = get_backend()
        m = z.shape[0]
        codes = self.E.forward(real, training=training)
        drawn = self.G.forward(xp.concatenate([z, codes]) if reconstruct else z, training=training)
        fake = drawn[:m]
        self._codes, self._x_hat = codes, (drawn[m:] if reconstruct else None)
        pairs = self._pairs(real, codes, fake, z)
        if input_noise:
            pairs = pairs + self.rng.normal(tuple(pairs.shape), pairs.dtype.name, std=input_noise)
        return self.D.forward(pairs, training=True)

    def eg_loss(self, logits, m):
        """E's and G's loss on D's logits of ``m`` real pairs then ``m`` generated pairs: ``(loss, dreal, dfake)``.

        ``"minimax"``: ``-L_D``, descending V itself. ``"nonsaturating"``: D's own loss with
        the labels swapped, ``0.5 (BCE(D(x, E(x)), 0) + BCE(D(G(z), z), 1))``: E is pushed to
        make real pairs look generated and G to make generated pairs look real, with a
        gradient that does not vanish when D wins (the paper's remedy, applied to both).
        """
        if self.gen_loss == "nonsaturating":
            loss, dfake, dreal = losses.discriminator_loss(logits[m:], logits[:m])
            return loss, dreal, dfake
        loss, dreal, dfake = losses.discriminator_loss(logits[:m], logits[m:])
        return -loss, -dreal, -dfake

    def reconstruction_term(self, real):
        """ALICE's conditional-entropy term (Li et al., 2017), in the form of an explicit cycle:
        ``(loss, dx_hat)`` for ``lambda * R`` with ``x_hat = G(E(x))`` of the last
        ``forward_pairs(..., reconstruct=True)``,

            R = 1/m sum_n 1/F sum_d (x_hat[n, d] - x[n, d])^2,
            d(lambda R)/dx_hat[n, d] = 2 lambda (x_hat[n, d] - x[n, d]) / (m F),

        ``inference.reconstruction_loss``'s per-image error averaged over the batch. The
        gradient goes back through G (its rows ``E(x)``) to E's output and on into E: both
        are pushed to make ``G(E(x))`` redraw ``x``, which D of pairs alone does not ask for.
        """
        r, dx_hat = reconstruction_loss(self._x_hat, real)
        m = real.shape[0]
        return self.recon_weight * r.mean(), (self.recon_weight / m) * dx_hat

    def _backward_eg(self, dreal, dfake, real):
        """D's input gradient, split: the code columns of the real rows go to E, the image
        columns of the generated rows to G (the other halves are data and noise: no parameters).

        With ``recon_weight``, G's backward runs on its rows ``[z; E(x)]`` with
        ``[dL/dG(z), d(lambda R)/dx_hat]``: G's gradient is the sum of both terms', and the
        rows ``E(x)`` give ``d(lambda R)/dE(x)``, added to D's code gradient before E's backward
        (E's output feeds both D and G). Returns the reconstruction term's loss (0 without it).
        """
        xp = get_backend()
        m = real.shape[0]
        dpairs = self.D.backward(xp.concatenate([dreal, dfake]), param_grads=False)  # (2m, features + noise_dim)
        f = self.features
        dcodes = xp.ascontiguousarray(dpairs[:m, f:])
        dfake_x = xp.ascontiguousarray(dpairs[m:, :f])
        if not self.recon_weight:
            self.E.backward(dcodes, input_grad=False)
            self.G.backward(dfake_x, input_grad=False)
            return 0.0
        loss, dx_hat = self.reconstruction_term(real)
        drows = self.G.backward(xp.concatenate([dfake_x, dx_hat]))  # (2m, noise_dim): [dz; dE(x)]
        self.E.backward(dcodes + drows[m:], input_grad=False)
        return loss

    def d_step(self, real, d_optimizer, input_noise=0.0):
        """Lines 3-5: one update of D on real pairs ``(x, E(x))`` against ``(G(z), z)``; only D moves.

        Returns ``{"d_loss", "d_real", "d_fake"}`` with the mean ``D`` of each kind of pair.
        """
        self._check_real(real)
        m = real.shape[0]
        logits = self.forward_pairs(real, self.sample_noise(m), False, input_noise)  # lines 3-4
        loss, dreal, dfake = losses.discriminator_loss(logits[:m], logits[m:])  # line 5
        self.D.backward(get_backend().concatenate([dreal, dfake]), input_grad=False)
        d_optimizer.step()
        return {"d_loss": loss, **self._mean_outputs(logits, m)}

    def eg_step(self, real, e_optimizer, g_optimizer, input_noise=0.0):
        """Lines 7-8: one update of E and of G through D's backward (D's parameters untouched).

        The gradient reaches E through the code columns of the real pairs and G through the
        image columns of the generated pairs. Returns ``{"eg_loss"}``.
        """
        self._check_real(real)
        loss = self.eg_backward(real, self.sample_noise(real.shape[0]), input_noise)  # line 7
        e_optimizer.step()  # line 8, for both of D's opponents
        g_optimizer.step()
        return {"eg_loss": loss}

    def eg_backward(self, real, z, input_noise=0.0):
        """E's and G's loss on real images and noise ``z``, its gradients left in ``E.grads`` and
        ``G.grads`` (no update: ``eg_step`` applies them; the gradient checks compare them)."""
        m = real.shape[0]
        loss, dreal, dfake = self.eg_loss(self.forward_pairs(real, z, True, input_noise, self.recon_weight > 0), m)
        return loss + self._backward_eg(dreal, dfake, real)

    def g_step(self, m, g_optimizer):
        raise TypeError("BiGAN: G is trained together with E by eg_step(real, e_optimizer, g_optimizer)")

    def simultaneous_step(self, real, d_optimizer, e_optimizer, g_optimizer, input_noise=0.0):
        """D's, E's and G's gradients from one pass over one batch (and one dropout draw), applied together."""
        self._check_real(real)
        m = real.shape[0]
        logits = self.forward_pairs(real, self.sample_noise(m), True, input_noise, self.recon_weight > 0)
        d_loss, dreal, dfake = losses.discriminator_loss(logits[:m], logits[m:])
        eg_loss, eg_dreal, eg_dfake = self.eg_loss(logits, m)
        self.D.backward(get_backend().concatenate([dreal, dfake]), input_grad=False)
        eg_loss = eg_loss + self._backward_eg(eg_dreal, eg_dfake, real)  # the same D pass again, for E and G
        for optimizer in (d_optimizer, e_optimizer, g_optimizer):
            optimizer.step()
        return {"d_loss": d_loss, "eg_loss": eg_loss, **self._mean_outputs(logits, m)}


def build_bigan(config, rng, output_bias=None):
    """The ``BiGAN`` a ``Config`` describes: G and D as for a GAN (D one input wider, for the
    code; with ``d_code_units``, ``pair_discriminator``), E from ``e_hidden``, ``e_pieces``,
    ``e_init_range``; ALICE's ``lambda`` from ``bigan_recon``; every draw from ``rng``."""
    features = feature_count(config)
    G = mlp.generator(config.noise_dim, config.g_hidden, features, rng, config.g_output,
                         config.g_init_range, output_bias, config.dtype)
    E = encoder_for(config, features, rng)
    if config.d_code_units:
        D = pair_discriminator(config, features, rng)
    else:
        D = mlp.discriminator(features + config.noise_dim, config.d_hidden, rng, config.d_pieces,
                                 config.keep_input, config.keep_hidden, config.d_init_range, config.d_activation,
                                 config.dtype, config.d_bias_range)
    return BiGAN(G, E, D, rng, config.noise_dim, config.noise, config.noise_scale, config.gen_loss,
                 config.bigan_recon)


def pair_discriminator(config, features, rng):
    """D with separate paths (``PairMaxout``): ``d_hidden[0]`` maxout units on x and
    ``d_code_units`` on z, then the joint maxout layers ``d_hidden[1:]`` and a Linear to one
    logit; dropout as in ``mlp.discriminator`` (``keep_input`` on the pair, ``keep_hidden``
    before every later layer)."""
    c = config
    layers = [Dropout(c.keep_input, rng)] if c.keep_input < 1 else []
    layers.append(PairMaxout(features, c.noise_dim, c.d_hidden[0], c.d_code_units, c.d_pieces, rng,
                             c.d_init_range, c.dtype))
    width = c.d_hidden[0] + c.d_code_units
    for units in c.d_hidden[1:]:
        layers += [Dropout(c.keep_hidden, rng)] if c.keep_hidden < 1 else []
        layers.append(Maxout(width, units, c.d_pieces, rng, c.d_init_range, c.dtype))
        width = units
    layers += [Dropout(c.keep_hidden, rng)] if c.keep_hidden < 1 else []
    layers.append(Linear(width, 1, rng, c.d_init_range, c.dtype))
    return Sequential(*layers)
