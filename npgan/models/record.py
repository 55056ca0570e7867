"""The record that makes a model family known to the rest of npgan, and what it may declare.

A family's folder ``__init__`` holds its ``Family`` records (the autoencoder folder has
three: "ae", "dae", "vae"). A record is cheap to import: the code that trains, loads and
checks a family is named by ``lazy(module, name)`` and imported on first call, so the
registry, ``Config``'s checks and ``npgan --help`` read the records without loading a
family's networks.
"""

import dataclasses
import importlib

# What a family's files can be used for: the commands that take a model file.
ABILITIES = ("sample", "parzen", "evaluate", "encode", "reconstruct", "classify", "inpaint", "elbo")
# What each ability lets a model do, for the refusals ("... which cannot bound its log-likelihood").
ABILITY_VERBS = {"sample": "sample", "parzen": "be scored by Parzen windows", "evaluate": "be evaluated",
                 "encode": "encode", "reconstruct": "reconstruct", "classify": "classify", "inpaint": "inpaint",
                 "elbo": "bound its log-likelihood"}


def article(name):
    """A family's name with its article, for the refusals: "a gan", "an encoder", "an inpaint"."""
    return f"{'an' if name[:1] in tuple('aeiou') else 'a'} {name}"


def lazy(module, name):
    """A function that imports ``module`` on its first call and calls ``module.name`` with its arguments."""
    def call(*args, **kwargs):
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__qualname__ = call.__name__ = f"{module}.{name}"
    return call


@dataclasses.dataclass(frozen=True)
class Family:
    """One model family.

    name         the ``Config.model`` value that selects it
    description  one line, used in the commands' refusals ("holds a vae model (...)")
    can          the abilities (``ABILITIES``) its files have
    options      the ``Config`` fields that belong to it; any other family's must keep
                 their defaults (``Config`` checks this for every family)
    rules        ``rules(config) -> [(ok, message)]``: its own checks of a ``Config``
    datasets     the data sets (``Config.dataset``) it trains on
    build        ``build(config)``: the model ``train.Trainer`` trains (train.py says its interface)
    outputs      ``outputs(model, epoch, out_dir, say)``: pictures and scores in the run folder
    load         ``load(path, config, state, arrays, averaged)``: the trained object a file holds
    averages     whether its runs keep an averaged generator (``Config.average_from``)
    """

    name: str
    description: str
    can: frozenset
    options: tuple
    rules: object
    datasets: tuple
    build: object
    outputs: object
    load: object
    averages: bool = False

    def __post_init__(self):
        unknown = set(self.can) - set(ABILITIES)
        if unknown:
            raise ValueError(f"family {self.name!r}: unknown abilities {sorted(unknown)}; expected some of {ABILITIES}")
        object.__setattr__(self, "can", frozenset(self.can))
        object.__setattr__(self, "options", tuple(self.options))
        object.__setattr__(self, "datasets", tuple(self.datasets))
