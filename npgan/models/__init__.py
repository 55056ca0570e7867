"""The model families, one folder each, and the registry that finds them by name.

Each folder holds the same files: ``model.py`` (the math, built from ``npgan.nn``),
``training.py`` (what ``train.Trainer`` trains, built from a ``Config``: the step, its
batches, its state, its run-folder outputs and its files), ``checks.py`` (its rows of
``npgan gradcheck``) and ``__init__.py`` (its ``Family`` records, ``record.py``).
``common.py`` is what the families share.

A family imports ``npgan.nn``, ``npgan.datasets``, ``npgan.evaluation``, ``models.common``
and ``models.record``, and ``models.gan`` (the GAN and its training step, which the other
adversarial families extend); never another family, nor anything above (config, presets,
train, loading, cli). The import-linter contracts in setup.cfg enforce this.

Adding a family: its folder, one line in ``FOLDERS`` below, its ``Config`` fields, its presets.
"""

import functools
import importlib

# Every family's name (Config.model), and the folder that holds its record.
FOLDERS = {
    "gan": "gan",
    "dcgan": "dcgan",
    "ae": "autoencoders",
    "dae": "autoencoders",
    "vae": "autoencoders",
    "encoder": "inference",
    "bigan": "inference",
    "cgan": "cgan",
    "inpaint": "inpainting",
    "semisup": "semisup",
}
NAMES = tuple(FOLDERS)


def folder(name):
    """The imported package ``npgan.models.<folder>`` of family ``name``."""
    return importlib.import_module(f"npgan.models.{FOLDERS[name]}")


def family(name):
    """The ``Family`` record called ``name``; ``ValueError`` listing the names for an unknown one."""
    if name not in FOLDERS:
        raise ValueError(f"no model family {name!r}; expected one of {', '.join(NAMES)}")
    return folder(name).FAMILIES[name]


def families():
    """Every ``Family`` record, in ``NAMES`` order."""
    return [family(name) for name in NAMES]


@functools.cache
def option_owners():
    """``{Config field: [family names]}`` for every field some family declares as its own option."""
    owners = {}
    for record in families():
        for option in record.options:
            owners.setdefault(option, []).append(record.name)
    return owners


def gradcheck_rows(seed=0):
    """The ``npgan gradcheck`` rows of every family folder, each folder's once."""
    rows = []
    for name in dict.fromkeys(FOLDERS.values()):
        rows += importlib.import_module(f"npgan.models.{name}").gradcheck_rows(seed)
    return rows
