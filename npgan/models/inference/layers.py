"""A first layer for BiGAN's discriminator that reads the image and the code apart.

D of a BiGAN sees one row ``[x, z]`` per pair. A plain first layer mixes every pixel and
every code dimension in each unit, and the code's ``K`` columns are a small minority of
the ``F + K`` inputs. ALI (Dumoulin et al., 2017) gives x and z separate paths and joins
them higher up; ``PairMaxout`` is that with one layer per path: ``x_units`` maxout units
on the image columns, ``z_units`` on the code columns, their outputs side by side for the
next (joint) layer.
"""

from npgan.backend import get_backend
from npgan.nn import kernels
from npgan.nn.layers import Layer, _uniform_init


class PairMaxout(Layer):
    """Maxout on ``x = pairs[:, :features]`` and, apart, on ``z = pairs[:, features:]``.

    ``y = [maxout(x; Wx, bx), maxout(z; Wz, bz)]``: (N, x_units + z_units). No unit sees
    both halves, so the backward pass is two maxout backward passes
    (``functional.maxout_backward``) on the two column blocks of ``dy``:

        dy = [dy_x, dy_z],   dpairs = [dy_x-part's dx, dy_z-part's dx],

    and ``dWx, dbx`` come from ``dy_x`` alone, ``dWz, dbz`` from ``dy_z`` alone.
    """

    def __init__(self, features, code_dim, x_units, z_units, n_pieces, rng, init_range=0.005, dtype="float32"):
        super().__init__()
        if min(features, code_dim, x_units, z_units, n_pieces) < 1:
            raise ValueError(f"PairMaxout: features, code_dim, x_units, z_units and n_pieces must be >= 1, "
                             f"got {features}, {code_dim}, {x_units}, {z_units}, {n_pieces}")
        xp = get_backend()
        self.features, self.code_dim, self.n_pieces = features, code_dim, n_pieces
        self.x_units, self.z_units = x_units, z_units
        self.params = {
            "Wx": _uniform_init(rng, (features, x_units * n_pieces), init_range, dtype),
            "bx": xp.zeros(x_units * n_pieces, dtype=dtype),
            "Wz": _uniform_init(rng, (code_dim, z_units * n_pieces), init_range, dtype),
            "bz": xp.zeros(z_units * n_pieces, dtype=dtype),
        }

    def __repr__(self):
        return (f"PairMaxout(x {self.features} -> {self.x_units}, z {self.code_dim} -> {self.z_units}, "
                f"x {self.n_pieces} pieces)")

    def forward(self, x, training=True):
        xp = get_backend()
        x = self._check_input(x, self.features + self.code_dim)
        f, p = self.features, self.params
        yx, cache_x = kernels.maxout_forward(xp.ascontiguousarray(x[:, :f]), p["Wx"], p["bx"], self.n_pieces)
        yz, cache_z = kernels.maxout_forward(xp.ascontiguousarray(x[:, f:]), p["Wz"], p["bz"], self.n_pieces)
        self._cache = (cache_x, cache_z)
        return xp.concatenate([yx, yz], axis=1)

    def kinks(self):
        cache_x, cache_z = self._take_cache()
        return get_backend().concatenate([cache_x[2], cache_z[2]], axis=1)

    def backward(self, dy, input_grad=True, param_grads=True):
        xp = get_backend()
        cache_x, cache_z = self._take_cache()
        self._check_grad(dy, (cache_x[0].shape[0], self.x_units + self.z_units))
        u = self.x_units
        dx, dWx, dbx = kernels.maxout_backward(xp.ascontiguousarray(dy[:, :u]), cache_x, input_grad, param_grads)
        dz, dWz, dbz = kernels.maxout_backward(xp.ascontiguousarray(dy[:, u:]), cache_z, input_grad, param_grads)
        if param_grads:
            self.grads.update(Wx=dWx, bx=dbx, Wz=dWz, bz=dbz)
        return xp.concatenate([dx, dz], axis=1) if input_grad else None
