"""npgan: Generative Adversarial Nets (Goodfellow et al., 2014) from scratch in NumPy.

Every layer has a hand-written forward and backward pass with its derivation in the
docstring, and ``npgan gradcheck`` proves each one in float64. Set
``NPGAN_BACKEND=cupy`` (or call ``npgan.set_backend("cupy")``) to run on a GPU.

The names below are resolved on first use, so ``import npgan`` loads only the backend:

    load(path)         the model a file holds, of any family (npgan.loading)
    get_preset(name)   a named Config (npgan.presets)
    GAN                the paper's GAN (npgan.models.gan.model)
    gradcheck          the gradient-checking engine (npgan.nn.gradcheck)

Training is ``npgan.train.train(config, out_dir)``. The folders: ``nn`` (layers, losses,
optimisers and their gradient checks), ``datasets``, ``evaluation``, ``models`` (one folder
per family), ``cli`` (the ``npgan`` command).
"""

import importlib

from npgan.backend import Random, backend_name, get_backend, set_backend, to_numpy

__version__ = "0.1.0"

# name -> (module, attribute); attribute None: the module itself
_LAZY = {
    "load": ("npgan.loading", "load"),
    "get_preset": ("npgan.presets", "get_preset"),
    "Config": ("npgan.config", "Config"),
    "GAN": ("npgan.models.gan.model", "GAN"),
    "gradcheck": ("npgan.nn.gradcheck", None),
}

__all__ = ["GAN", "Config", "load", "get_preset", "gradcheck", "Random", "backend_name", "get_backend",
           "set_backend", "to_numpy", "__version__"]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'npgan' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = importlib.import_module(module)
    return value if attribute is None else getattr(value, attribute)


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
