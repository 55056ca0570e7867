"""npgan: Generative Adversarial Nets (Goodfellow et al., 2014) from scratch in NumPy.

Every layer has a hand-written forward and backward pass with its derivation in the
docstring, and ``npgan.gradcheck`` proves each one in float64. Set
``NPGAN_BACKEND=cupy`` (or call ``npgan.set_backend("cupy")``) to run on a GPU.
"""

from npgan.backend import Random, backend_name, get_backend, set_backend, to_numpy
from npgan.families import load
from npgan.gan import GAN

__version__ = "0.1.0"

__all__ = ["GAN", "load", "Random", "backend_name", "get_backend", "set_backend", "to_numpy", "__version__"]
