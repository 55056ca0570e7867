"""npgan: Generative Adversarial Nets (Goodfellow et al., 2014) from scratch in NumPy.

Every layer has a hand-written forward and backward pass with its derivation in the
docstring, and ``npgan.nn.gradcheck`` proves each one in float64. Set
``NPGAN_BACKEND=cupy`` (or call ``npgan.set_backend("cupy")``) to run on a GPU.
"""

from npgan.backend import Random, backend_name, get_backend, set_backend, to_numpy
from npgan.models.gan.model import GAN
from npgan.models.registry import load

__version__ = "0.1.0"

__all__ = ["GAN", "load", "Random", "backend_name", "get_backend", "set_backend", "to_numpy", "__version__"]
