"""An exponential moving average of G's parameters, for trying it in the toy benchmark.

The trainer keeps a plain mean of G over epoch ends (``Config.average_from``); this keeps,
beside it, ``ema = decay * ema + (1 - decay) * G`` after every generator update (Yazici et
al. 2019, "The unusual effectiveness of averaging in GAN training"), whose weight on the
update t steps back is ``(1 - decay) decay^t``: it forgets with a horizon of about
``1 / (1 - decay)`` updates. Starting from G's initial parameters, after n updates that
start holds ``decay^n`` of the mean (at decay 0.999 and 20,000 updates, 2e-9).

Benchmark-only: the EMA is not saved in checkpoints, so a run with it cannot be resumed.
"""

import copy

from npgan.models.gan.training import GANModel
from npgan.train import Trainer


class EMAGANModel(GANModel):
    """``GANModel`` that also keeps the exponential moving average of G (float64)."""

    def __init__(self, config, decay):
        super().__init__(config)
        self.decay = decay
        self.g_ema = {key: p.astype("float64") for key, p in self.gan.G.params.items()}

    def step(self, i):
        out = super().step(i)
        for key, p in self.gan.G.params.items():
            ema = self.g_ema[key]
            ema *= self.decay
            ema += (1.0 - self.decay) * p
        return out

    def ema_gan(self):
        """A copy of the GAN whose G holds the moving average."""
        gan = copy.copy(self.gan)
        gan.G = copy.deepcopy(self.gan.G)
        for key, value in gan.G.params.items():
            value[...] = self.g_ema[key].astype(value.dtype)
        return gan


def train_with_ema(config, out_dir, decay):
    """Train ``config`` (a GAN on toy data) into ``out_dir``: ``(last, ema)``, two GANs."""
    model = Trainer(EMAGANModel(config, decay), out_dir, quiet=True).run()
    return model.gan, model.ema_gan()
