"""From a file to a model: ``load`` (``npgan.load``), and averaging the generators of several files.

``checkpoint`` is the file format; this module is what to do with one. ``load`` reads a
file, finds the family its ``Config`` names (``npgan.models``) and lets that family build
the object; ``require`` turns "this model cannot do that" into one line for the commands.
``average_generators`` is Polyak averaging over a run's saved generators.
"""

import os

from npgan import checkpoint, models
from npgan.backend import get_backend
from npgan.checkpoint import CheckpointError, NamedArrays, load_into
from npgan.config import Config
from npgan.errors import UsageError
from npgan.models.common import file_config
from npgan.models.record import ABILITIES, ABILITY_VERBS, article


def read(path):
    """``checkpoint.read(path)`` with the configuration as a ``Config``: ``(config, state, arrays)``.

    Raises ``CheckpointError`` naming the file for one that cannot be read, or whose
    configuration is not a valid ``Config``.
    """
    values, state, arrays = checkpoint.read(path)
    return file_config(os.fspath(path), values, Config), state, arrays


def load(path, averaged=False):
    """The model stored in a checkpoint (``.npz``): for a GAN, a ``GAN`` ready to sample from.

    ``averaged=True``: the running mean of G that a run with ``average_from`` keeps.
    Raises ``CheckpointError`` for a file that cannot be read or used.
    """
    config, state, arrays = read(path)
    chosen = models.family(config.model)
    if averaged and not chosen.averages:
        raise CheckpointError(f"{os.fspath(path)}: {article(chosen.name)} model keeps no averaged generator "
                              f"(averaging is for the GAN families whose runs set average_from)")
    return chosen.load(path, config, state, arrays, averaged)


def require(loaded, ability, path):
    """``UsageError`` in one line unless the object loaded from ``path`` can do ``ability``."""
    if ability not in ABILITIES:
        raise ValueError(f"require: unknown ability {ability!r}; expected one of {ABILITIES}")
    chosen = models.family(loaded.config.model)
    if ability not in chosen.can:
        can = ", ".join(sorted(chosen.can)) or "nothing"
        raise UsageError(f"{path} holds {article(chosen.name)} model ({chosen.description}), "
                         f"which cannot {ABILITY_VERBS[ability]}; it can: {can}")


# What a generator's samples depend on besides its weights: averaged files must agree on it.
_SAMPLING_FIELDS = ("dataset", "noise", "noise_dim", "noise_scale", "g_hidden", "g_output")


def average_generators(paths):
    """The GAN whose generator weights are the mean of those in ``paths`` (Polyak averaging).

    paths: checkpoints or generator files of one training run, e.g. the snapshots
    ``snapshots/generator-epoch-NNNN.npz`` that ``npgan train`` writes every
    ``parzen_every`` epochs. Training is untouched; only the generator that is
    evaluated or sampled from is the average of its iterates, which cancels the
    step-to-step jitter that SGD with a constant-ish learning rate leaves in the last
    one (Polyak and Juditsky, 1992; for GANs, Yazici et al., 2019). The mean is
    accumulated in float64. Raises ``CheckpointError`` when a file is unreadable or
    does not describe the same generator as the first one.
    """
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise ValueError("average_generators: give at least one checkpoint or generator file")
    config, state, arrays = read(paths[0])
    first = models.family(config.model).load(paths[0], config, state, arrays, False)
    xp = get_backend()
    sums = {key: value.astype("float64") for key, value in first.G.params.items()}
    part = NamedArrays({key: xp.empty_like(total) for key, total in sums.items()})
    epochs = [first.state.get("epoch")]
    for path in paths[1:]:
        config, state, arrays = read(path)
        for field in _SAMPLING_FIELDS:
            if getattr(config, field) != getattr(first.config, field):
                raise CheckpointError(
                    f"{path}: {field} is {getattr(config, field)!r}, but {paths[0]} has "
                    f"{getattr(first.config, field)!r}; only generators of one run can be averaged")
        load_into(path, arrays, "G", part)  # checks every name and shape
        for key, total in sums.items():
            total += part.params[key]
        epochs.append(state.get("epoch"))
    for key, value in first.G.params.items():
        value[...] = (sums[key] / len(paths)).astype(value.dtype)
    first.D = None
    first.state = {"kind": "generator", "epoch": epochs[-1], "averaged_epochs": epochs,
                   "averaged_files": [os.path.basename(p) for p in paths]}
    return first
