"""An exponential moving average of a network's parameters (Polyak averaging), for evaluation.

Improved GAN's MNIST code scores its classifier with such an average of D's parameters
(rate 1e-4 per update); ``ExponentialAverage`` keeps one beside the network it follows.
"""

from npgan.backend import get_backend


class ExponentialAverage:
    """``a <- a + rate (p - a)`` for every parameter ``p`` of ``source``, after every update.

    ``raw``: a network of the same architecture (the caller builds it) that holds the
    averages ``a``, which start at 0; ``updates`` counts the calls of ``update``. After
    ``t`` updates the raw average of a parameter that never moved is
    ``(1 - (1 - rate)^t) p``, not ``p``: ``corrected(into)`` writes ``a / (1 - (1 -
    rate)^t)`` into another network of the architecture (Adam's bias correction), the
    estimate that weighs only the ``t`` iterates seen, the recent ones most.
    """

    def __init__(self, source, raw, rate):
        if not 0.0 < rate <= 1.0:
            raise ValueError(f"ExponentialAverage: rate must be in (0, 1], got {rate}")
        if [key for key, _, _ in source.parameters()] != [key for key, _, _ in raw.parameters()]:
            raise ValueError("ExponentialAverage: the average's network must have the source's parameters")
        self.source, self.raw, self.rate, self.updates = source, raw, float(rate), 0
        for _, layer, name in raw.parameters():
            layer.params[name][...] = 0

    def update(self):
        """One step of the average towards ``source``'s parameters as they are now."""
        for (_, layer, name), (_, raw_layer, _) in zip(self.source.parameters(), self.raw.parameters()):
            a = raw_layer.params[name]
            a += self.rate * (layer.params[name] - a)
        self.updates += 1

    def correction(self):
        """``1 - (1 - rate)^updates``: the weight the raw average has given to the iterates so far."""
        return 1.0 - (1.0 - self.rate) ** self.updates

    def corrected(self, into):
        """Write the bias-corrected average into ``into`` (a network of the architecture) and return it."""
        if self.updates == 0:
            raise ValueError("ExponentialAverage: no update yet, nothing averaged")
        scale = 1.0 / self.correction()
        xp = get_backend()
        for (_, layer, name), (_, raw_layer, _) in zip(into.parameters(), self.raw.parameters()):
            layer.params[name][...] = xp.asarray(raw_layer.params[name]) * scale
        return into
