"""Where a training step's real examples come from: a data set in shuffled epochs, or a distribution.

Both streams have the same small interface, so a model's step does not care which:

    stream.batches_per_epoch      minibatches in one epoch
    stream.new_epoch()            draw the epoch's order of examples (a data set)
    stream.batch(i)               the i-th minibatch of the epoch, (batch_size, features)
    stream.order / .restore(order)  the epoch's order, saved in a checkpoint mid-epoch
"""

from npgan.backend import asarray, to_numpy


class ShuffledBatches:
    """Minibatches of a fixed data set ``x`` (n, features), in a new random order every epoch.

    The order is a permutation of all n examples drawn from ``rng`` at ``new_epoch``;
    batch ``i`` is examples ``order[i*m : (i+1)*m]``; the last ``n mod m`` of the order
    are not used that epoch.
    """

    def __init__(self, x, batch_size, rng):
        self.x, self.batch_size, self.rng = x, batch_size, rng
        self.batches_per_epoch = x.shape[0] // batch_size
        self.order = None

    def new_epoch(self):
        self.order = self.rng.permutation(self.x.shape[0])

    def batch(self, i):
        m = self.batch_size
        return self.x[self.order[i * m:(i + 1) * m]]

    def state(self):
        """The epoch's order as a JSON-ready list (``None`` before the first epoch)."""
        return None if self.order is None else to_numpy(self.order).tolist()

    def restore(self, order):
        self.order = None if order is None else asarray(order)


class DistributionBatches:
    """Fresh draws from a toy distribution (``toy.sample(n, rng, dtype)``) for every minibatch.

    An "epoch" is just ``batches_per_epoch`` minibatches; there is no order to keep.
    """

    def __init__(self, distribution, batch_size, batches_per_epoch, rng, dtype):
        self.distribution, self.batch_size, self.rng, self.dtype = distribution, batch_size, rng, dtype
        self.batches_per_epoch = batches_per_epoch

    def new_epoch(self):
        pass

    def batch(self, i):
        return self.distribution.sample(self.batch_size, self.rng, self.dtype)

    def state(self):
        return None

    def restore(self, order):
        pass
