"""Momentum SGD and the schedules of the paper's code (pylearn2); Adam.

The update, per parameter ``p`` with gradient ``g``:

    v <- momentum * v - lr * g
    p <- p + v

The learning rate decays after every update, ``lr_t = max(lr_0 / decay**t, lr_min)``
(pylearn2's ``ExponentialDecay``), and the momentum ramps linearly once per epoch from
``start`` to ``end`` between ``start_epoch`` and ``saturate_epoch`` (its
``MomentumAdjustor``). D and G each get their own optimiser, so their states never mix.
"""

import numpy

from npgan.backend import get_backend, to_numpy
from npgan.nn import kernels


class ExponentialDecay:
    """``lr(t) = max(lr0 / decay**max(t - start, 0), lr_min)`` after ``t`` updates.

    ``decay=1``: constant; ``start``: the rate is held at ``lr0`` for the first ``start``
    updates and decays from there (0: from the first update, pylearn2's schedule).
    """

    def __init__(self, lr0, decay=1.0, lr_min=0.0, start=0):
        if lr0 <= 0:
            raise ValueError(f"ExponentialDecay: learning rate must be > 0, got {lr0}")
        if decay < 1.0:
            raise ValueError(f"ExponentialDecay: decay must be >= 1 (lr is divided by it), got {decay}")
        if start < 0:
            raise ValueError(f"ExponentialDecay: start must be >= 0 updates, got {start}")
        self.lr0, self.decay, self.lr_min, self.start = float(lr0), float(decay), float(lr_min), int(start)

    def __call__(self, t):
        return max(self.lr0 / self.decay**max(t - self.start, 0), self.lr_min)


class LinearRamp:
    """A value that moves linearly from ``start`` to ``end`` between two epochs.

    ``value(e) = start`` for ``e <= start_epoch``, ``end`` for ``e >= saturate_epoch``,
    and linear in between (pylearn2's ``MomentumAdjustor``, epochs counted from 0).
    """

    def __init__(self, start, end, start_epoch=1, saturate_epoch=250):
        if saturate_epoch < start_epoch:
            raise ValueError(f"LinearRamp: saturate_epoch ({saturate_epoch}) < start_epoch ({start_epoch})")
        self.start, self.end = float(start), float(end)
        self.start_epoch, self.saturate_epoch = start_epoch, saturate_epoch

    def __call__(self, epoch):
        if epoch <= self.start_epoch:
            return self.start
        if epoch >= self.saturate_epoch:
            return self.end
        alpha = (epoch - self.start_epoch) / (self.saturate_epoch - self.start_epoch)
        return self.start + alpha * (self.end - self.start)


def momentum_update(p, v, g, lr, momentum):
    """``v <- momentum * v - lr * g;  p <- p + v``, in place (any backend).

    ``kernels.momentum_update_blocked`` does the same, bit for bit, cache-blocked.
    """
    v *= momentum
    v -= lr * g  # lr * g is a new array; v and p are updated in place
    p += v


class MomentumSGD:
    """Momentum SGD over every parameter of a network (anything with ``parameters()``).

    ``step()`` reads ``layer.grads[name]`` as the network's last ``backward`` left it and
    updates ``layer.params[name]`` in place. ``lr`` follows ``lr_schedule`` (a function of
    the number of updates so far) and ``momentum`` is set by the trainer each epoch.
    """

    def __init__(self, network, lr=0.1, momentum=0.5, lr_schedule=None):
        if lr <= 0:
            raise ValueError(f"MomentumSGD: learning rate must be > 0, got {lr}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"MomentumSGD: momentum must be in [0, 1), got {momentum}")
        self.network = network
        self.lr_schedule = lr_schedule or ExponentialDecay(lr)
        self.momentum = float(momentum)
        self.updates = 0
        self._scratch = None  # one block of lr * g, reused
        xp = get_backend()
        self.velocity = {
            key: xp.zeros_like(layer.params[name]) for key, layer, name in network.parameters()
        }

    @property
    def lr(self):
        """The learning rate the next update will use."""
        return self.lr_schedule(self.updates)

    def step(self):
        """One update of every parameter from the gradients the last ``backward`` left."""
        lr, momentum = self.lr, self.momentum
        large = []  # updated together, cache-blocked (kernels.momentum_update_blocked)
        for key, layer, name in self.network.parameters():
            v, p, g = self.velocity[key], layer.params[name], layer.grads[name]
            if g.shape != p.shape:
                raise ValueError(f"MomentumSGD: gradient of {key} has shape {g.shape}, parameter {p.shape}")
            if kernels.blockable(p, v, g):
                large.append((p, v, g))
            else:
                momentum_update(p, v, g, lr, momentum)
        if large:
            if self._scratch is None or self._scratch.dtype != large[0][0].dtype:
                self._scratch = numpy.empty(kernels.BLOCK, dtype=large[0][0].dtype)
            kernels.momentum_update_blocked(large, lr, momentum, self._scratch)
        self.updates += 1

    def state_dict(self):
        """Host arrays and numbers that restore this optimiser exactly."""
        state = {f"velocity/{key}": to_numpy(v) for key, v in self.velocity.items()}
        state["updates"] = numpy.asarray(self.updates, dtype=numpy.int64)
        state["momentum"] = numpy.asarray(self.momentum, dtype=numpy.float64)
        return state

    def load_state_dict(self, state):
        xp = get_backend()
        for key, v in self.velocity.items():
            saved = state[f"velocity/{key}"]
            if tuple(saved.shape) != tuple(v.shape):
                raise ValueError(f"MomentumSGD: saved velocity {key} has shape {saved.shape}, expected {v.shape}")
            v[...] = xp.asarray(saved, dtype=v.dtype)
        self.updates = int(state["updates"])
        self.momentum = float(state["momentum"])


class Adam:
    """Adam (Kingma and Ba, 2015) over every parameter of a network, with bias correction.

    Per parameter ``p`` with gradient ``g``, at update ``t = 1, 2, ...``:

        m <- beta1 m + (1 - beta1) g               first moment: a running mean of g
        v <- beta2 v + (1 - beta2) g^2             second moment: a running mean of g^2
        m_hat = m / (1 - beta1^t)                  both start at 0, so early means are too
        v_hat = v / (1 - beta2^t)                  small by exactly these factors: undo it
        p <- p - lr m_hat / (sqrt(v_hat) + eps)

    Unrolled, ``m_t = (1 - beta1) sum_{s<=t} beta1^(t-s) g_s``, whose weights sum to
    ``1 - beta1^t``; dividing by that makes ``m_hat`` an average of past gradients (and
    ``v_hat`` of their squares), so the step is about ``lr`` in size whatever the scale of
    ``g``. ``momentum`` is ``beta1`` (read by the logs; the trainer's momentum ramp does
    not apply to Adam). The same interface as ``MomentumSGD``.
    """

    def __init__(self, network, lr=2e-4, beta1=0.5, beta2=0.999, eps=1e-8, lr_schedule=None):
        if lr <= 0:
            raise ValueError(f"Adam: learning rate must be > 0, got {lr}")
        if not (0.0 <= beta1 < 1.0 and 0.0 <= beta2 < 1.0):
            raise ValueError(f"Adam: beta1 and beta2 must be in [0, 1), got {beta1}, {beta2}")
        if eps <= 0:
            raise ValueError(f"Adam: eps must be > 0, got {eps}")
        self.network = network
        self.lr_schedule = lr_schedule or ExponentialDecay(lr)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.updates = 0
        xp = get_backend()
        self.first = {key: xp.zeros_like(layer.params[name]) for key, layer, name in network.parameters()}
        self.second = {key: xp.zeros_like(layer.params[name]) for key, layer, name in network.parameters()}

    @property
    def momentum(self):
        return self.beta1

    @property
    def lr(self):
        """The learning rate the next update will use."""
        return self.lr_schedule(self.updates)

    def step(self):
        """One update of every parameter from the gradients the last ``backward`` left."""
        lr, t = self.lr, self.updates + 1
        correction1, correction2 = 1.0 - self.beta1**t, 1.0 - self.beta2**t
        for key, layer, name in self.network.parameters():
            p, g = layer.params[name], layer.grads[name]
            if g.shape != p.shape:
                raise ValueError(f"Adam: gradient of {key} has shape {g.shape}, parameter {p.shape}")
            m, v = self.first[key], self.second[key]
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            v += (1.0 - self.beta2) * (g * g)
            p -= (lr / correction1) * m / self.denominator(v / correction2)
        self.updates = t

    def denominator(self, v_hat):
        """What the step divides ``m_hat`` by: ``sqrt(v_hat) + eps`` (Kingma and Ba's form)."""
        denominator = get_backend().sqrt(v_hat)
        denominator += self.eps
        return denominator

    def state_dict(self):
        """Host arrays and numbers that restore this optimiser exactly."""
        state = {f"first/{key}": to_numpy(m) for key, m in self.first.items()}
        state.update({f"second/{key}": to_numpy(v) for key, v in self.second.items()})
        state["updates"] = numpy.asarray(self.updates, dtype=numpy.int64)
        state["momentum"] = numpy.asarray(self.beta1, dtype=numpy.float64)
        return state

    def load_state_dict(self, state):
        xp = get_backend()
        for prefix, moments in (("first", self.first), ("second", self.second)):
            for key, value in moments.items():
                saved = state[f"{prefix}/{key}"]
                if tuple(saved.shape) != tuple(value.shape):
                    raise ValueError(f"Adam: saved {prefix} moment {key} has shape {saved.shape}, "
                                     f"expected {value.shape}")
                value[...] = xp.asarray(saved, dtype=value.dtype)
        self.updates = int(state["updates"])
