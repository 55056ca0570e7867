"""Loading a trained model from a file, and averaging the generators of several files.

``load_gan`` builds the networks a GAN checkpoint's ``Config`` describes and fills them
from the file (``checkpoint`` is the file format; this module is what to do with one);
``families.load`` calls it for the "gan" family. ``average_generators`` is Polyak
averaging over a run's saved generators.
"""

import os

from npgan.backend import Random, get_backend
from npgan.checkpoint import CheckpointError, NamedArrays, load_into, read
from npgan.models.gan.training import build_gan


def load_gan(path, config, state, arrays, averaged=False, build=build_gan):
    """The GAN of a checkpoint already read (``checkpoint.read``), its networks made by ``build``.

    A training checkpoint gives G and D; a generator file (``pretrained/``) gives G,
    and ``gan.D`` is ``None``. ``averaged=True`` takes G's parameters from the running
    mean that a run with ``average_from`` keeps (training checkpoints only). The GAN's
    noise comes from ``Random(config.seed)``; pass your own ``Random`` to
    ``gan.sample(n, rng=...)`` for other draws.
    """
    rng = Random(config.seed)
    gan = build(config, rng)
    if averaged and not state.get("n_averaged"):
        raise CheckpointError(
            f"{os.fspath(path)}: holds no averaged generator (a training checkpoint of a run with "
            f"average_from > 0, from epoch average_from on, has one)")
    load_into(path, arrays, "Gavg" if averaged else "G", gan.G)
    load_discriminator(path, arrays, state, gan)
    if averaged:  # the mean runs over the ends of the last n_averaged epochs
        last = int(state["epoch"])
        state["averaged_epochs"] = list(range(last - int(state["n_averaged"]) + 1, last + 1))
    gan.config, gan.state = config, state
    return gan


def load_discriminator(path, arrays, state, model):
    """``model.D`` from a training checkpoint; a model file (``pretrained/``) holds no D, and
    ``model.D`` becomes ``None`` (what every family's loader does with its D)."""
    if state["kind"] == "training":
        load_into(path, arrays, "D", model.D)
    else:
        model.D = None


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
    from npgan.models.registry import family  # the family's loader (families imports this module)

    config, state, arrays = read(paths[0])
    first = family(config).load(paths[0], config, state, arrays, False)
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
