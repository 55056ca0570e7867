"""Checkpoints: ``.npz`` files with no pickle, written atomically.

A training checkpoint holds every parameter of G and D (``G/<key>``, ``D/<key>``), both
optimiser states (``opt_G/...``, ``opt_D/...``), and two JSON strings: ``config`` (the
run's ``Config``) and ``state`` (counters, the random generator's state, the position
inside an interrupted epoch). A *generator file* (``kind = "generator"``) holds only G's
parameters and the config: what ``pretrained/`` ships.

Files are written to a temporary file in the target directory, flushed to disk, then
renamed over the target (``os.replace`` is atomic on POSIX), so a crash at any moment
leaves either the old file or the new one, never half of one. Loading uses
``allow_pickle=False``: a checkpoint cannot execute code.
"""

import json
import os
import zipfile

import numpy

from npgan.backend import asarray, to_numpy
from npgan.files import atomic_write
from npgan.presets import Config

FORMAT = "npgan-checkpoint-1"
KINDS = ("training", "generator")


class CheckpointError(ValueError):
    """An unreadable, foreign or inconsistent checkpoint file."""


def save(path, config, state, networks, optimizers=None, kind="training", dtype=None):
    """Write a checkpoint.

    networks: ``{"G": net, "D": net}`` (any subset); optimizers: ``{"G": opt, ...}``;
    dtype: cast parameters on the way out (``"float32"`` for a small generator file).
    """
    if kind not in KINDS:
        raise ValueError(f"checkpoint kind must be one of {KINDS}, got {kind!r}")
    arrays = {
        "format": numpy.asarray(FORMAT),
        "kind": numpy.asarray(kind),
        "config": numpy.asarray(config.to_json()),
        "state": numpy.asarray(json.dumps(state)),
    }
    for prefix, net in networks.items():
        for key, value in net.params.items():
            host = to_numpy(value)
            arrays[f"{prefix}/{key}"] = host.astype(dtype) if dtype else host
    for prefix, opt in (optimizers or {}).items():
        for key, value in opt.state_dict().items():
            arrays[f"opt_{prefix}/{key}"] = value
    atomic_write(path, lambda f: numpy.savez(f, **arrays))


def read(path):
    """Open a checkpoint and return ``(config, state, arrays)`` with host arrays.

    Raises ``CheckpointError`` naming the file and what is wrong with it.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        with numpy.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise CheckpointError(f"{path}: not a readable .npz checkpoint ({exc})") from None
    if str(arrays.get("format", "")) != FORMAT:
        raise CheckpointError(f"{path}: not an npgan checkpoint (expected format {FORMAT!r})")
    try:
        values = json.loads(str(arrays.pop("config")))
        values.setdefault("momentum_ramp", "late")  # files from before the field trained so
        config = Config.from_json(json.dumps(values))
        state = json.loads(str(arrays.pop("state")))
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{path}: damaged configuration or state ({exc})") from None
    state["kind"] = str(arrays.pop("kind"))
    arrays.pop("format")
    return config, state, arrays


class NamedArrays:
    """A dict of arrays in the shape ``save`` and ``load_into`` expect of a network
    (``.params``), e.g. the running mean of G's parameters that the trainer keeps."""

    def __init__(self, params):
        self.params = params


def load_into(path, arrays, prefix, network):
    """Copy ``prefix/<key>`` arrays into a network's parameters, checking every shape."""
    for key, value in network.params.items():
        name = f"{prefix}/{key}"
        if name not in arrays:
            raise CheckpointError(f"{path}: missing parameter {name}")
        if arrays[name].shape != tuple(value.shape):
            raise CheckpointError(
                f"{path}: parameter {name} has shape {arrays[name].shape}, the config builds {tuple(value.shape)}")
        value[...] = asarray(arrays[name], dtype=value.dtype)


def optimizer_state(arrays, prefix):
    """The ``opt_<prefix>/...`` entries, with the prefix stripped."""
    head = f"opt_{prefix}/"
    return {name[len(head):]: value for name, value in arrays.items() if name.startswith(head)}
