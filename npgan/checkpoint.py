"""Checkpoints: ``.npz`` files with no pickle, written atomically.

A training checkpoint holds every parameter of G and D (``G/<key>``, ``D/<key>``), both
optimiser states (``opt_G/...``, ``opt_D/...``), and two JSON strings: ``config`` (the
run's ``Config``) and ``state`` (counters, the random generator's state, the position
inside an interrupted epoch; for a run on your own images, ``data``: their fingerprint,
``npgan.datasets.own.Fingerprint.record()``, which a resume must match). Another family's
networks and optimisers go by their own names (an autoencoder's ``E`` and ``G``), which
its state lists under ``"optimizers"``. A
*generator file* (``kind = "generator"``) holds only the parameters and the config, no
optimiser state: what ``pretrained/`` ships (G; and E for a family with an encoder).

Files are written to a temporary file in the target directory, flushed to disk, then
renamed over the target (``os.replace`` is atomic on POSIX), so a crash at any moment
leaves either the old file or the new one, never half of one. The zip entries carry a
fixed date, so the same state always gives the same bytes. Loading uses
``allow_pickle=False``: a checkpoint cannot execute code.

The format is versioned (``FORMAT``, the string ``npgan-checkpoint-N``): this code reads
version 1, and refuses a file of a later version naming both. ``tests/test_formats.py``
keeps files written by earlier code loading, sampling and resuming.
"""

import json
import os
import re
import zipfile

import numpy

from npgan.backend import asarray, to_numpy
from npgan.files import atomic_write

FORMAT_VERSION = 1
FORMAT = f"npgan-checkpoint-{FORMAT_VERSION}"
KINDS = ("training", "generator")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry


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
        "config": numpy.asarray(_config_json(config)),
        "state": numpy.asarray(json.dumps(state)),
    }
    for prefix, net in networks.items():
        for key, value in net.params.items():
            host = to_numpy(value)
            arrays[f"{prefix}/{key}"] = host.astype(dtype) if dtype else host
    for prefix, opt in (optimizers or {}).items():
        for key, value in opt.state_dict().items():
            arrays[f"opt_{prefix}/{key}"] = value
    atomic_write(path, lambda f: write_npz(f, arrays), size=npz_size(arrays))


def npz_size(arrays):
    """About the bytes ``write_npz`` writes for ``arrays`` (their data, headers and zip records)."""
    return sum(numpy.asarray(value).nbytes + 400 + 2 * len(name) for name, value in arrays.items()) + 100


def _config_json(config):
    """A ``Config`` (``to_json``) or a dict of its fields, as the sorted JSON a checkpoint stores."""
    return json.dumps(config, sort_keys=True) if isinstance(config, dict) else config.to_json()


def write_npz(f, arrays):
    """``numpy.savez(f, **arrays)`` with every entry dated ``_ZIP_DATE`` (reproducible bytes)."""
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, value in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
            with archive.open(info, "w", force_zip64=True) as entry:
                numpy.lib.format.write_array(entry, numpy.asanyarray(value), allow_pickle=False)


def save_weights(path, config, state, networks, dtype="float16"):
    """Write ``networks`` alone (kind "generator": weights only, not resumable), cast to ``dtype``.

    For files that are only run forward (sampling, encoding, completing): float16 halves
    them, and the loader computes in the config's dtype again. ``state["stored_dtype"]``
    records the storage type, so the file says what precision its weights lost.
    """
    save(path, config, dict(state, stored_dtype=dtype), networks, kind="generator", dtype=dtype)


def read(path):
    """Open a checkpoint and return ``(config, state, arrays)`` with host arrays.

    ``config`` is the stored configuration as a dict of its fields; ``loading.read`` makes
    it a ``Config`` (this module, the file format, knows no ``Config``). Raises
    ``CheckpointError`` naming the file and what is wrong with it.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise CheckpointError(f"{path} is a folder; expected a checkpoint file (.npz), such as {path}/checkpoint.npz")
    if not os.path.isfile(path):
        raise CheckpointError(f"{path}: no such checkpoint file")
    if not zipfile.is_zipfile(path):
        raise CheckpointError(f"{path}: not an npgan checkpoint (not an .npz archive)")
    try:
        with numpy.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        reason = "it holds Python objects" if "allow_pickle" in str(exc) else exc
        raise CheckpointError(f"{path}: not a readable npgan checkpoint ({reason})") from None
    _check_format(path, arrays.get("format"))
    try:
        config = json.loads(str(arrays.pop("config")))
        if not isinstance(config, dict):
            raise ValueError("the configuration is not a JSON object")
        config.setdefault("momentum_ramp", "late")  # files from before the field trained so
        state = json.loads(str(arrays.pop("state")))
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{path}: damaged configuration or state ({exc})") from None
    state["kind"] = str(arrays.pop("kind", ""))
    arrays.pop("format")
    _check_contents(path, state, arrays)
    return config, state, arrays


class NamedArrays:
    """A dict of arrays in the shape ``save`` and ``load_into`` expect of a network
    (``.params``), e.g. the running mean of G's parameters that the trainer keeps."""

    def __init__(self, params):
        self.params = params


def _check_format(path, value):
    match = re.fullmatch(r"npgan-checkpoint-(\d+)", str(value)) if value is not None and value.ndim == 0 else None
    if match is None:
        raise CheckpointError(f"{path}: not an npgan checkpoint (no format {FORMAT!r} inside)")
    if int(match.group(1)) > FORMAT_VERSION:
        raise CheckpointError(f"{path}: written in checkpoint format {match.group(1)} by a newer npgan; "
                              f"this npgan reads format {FORMAT_VERSION}: upgrade npgan")


def _check_contents(path, state, arrays):
    """What every file of its kind must hold, so that a hand-made or damaged one fails here."""
    if state["kind"] not in KINDS:
        raise CheckpointError(f"{path}: unknown checkpoint kind {state['kind']!r}; expected one of {KINDS}")
    if state["kind"] == "training":
        missing = [key for key in ("rng", "epoch", "iteration") if key not in state]
        # the optimisers the state names (a GAN's, which name none: G's and D's)
        optimizers = state.get("optimizers", ["G", "D"])
        missing += [f"opt_{name}/{key}" for name in optimizers for key in ("updates", "momentum")
                    if f"opt_{name}/{key}" not in arrays]
        if missing:
            raise CheckpointError(f"{path}: a training checkpoint without {', '.join(missing)}; "
                                  "it cannot be resumed (it may still be loaded if it holds G)")
        if state["iteration"] and not state.get("stats"):
            raise CheckpointError(f"{path}: stopped inside an epoch but holds no statistics for it")


def load_into(path, arrays, prefix, network):
    """Copy ``prefix/<key>`` arrays into a network's parameters, checking every name, shape and value.

    A ``prefix/<key>`` in the file that the network does not have is refused too: the
    file was made for another network, or changed by hand.
    """
    head = f"{prefix}/"
    unknown = sorted(name for name in arrays if name.startswith(head) and name[len(head):] not in network.params)
    if unknown:
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        raise CheckpointError(f"{path}: holds parameter {unknown[0]}{more}, which the network its config builds "
                              "does not have; the file was made for another network or changed")
    for key, value in network.params.items():
        name = f"{prefix}/{key}"
        if name not in arrays:
            raise CheckpointError(f"{path}: missing parameter {name}")
        if arrays[name].shape != tuple(value.shape):
            raise CheckpointError(
                f"{path}: parameter {name} has shape {arrays[name].shape}, the config builds {tuple(value.shape)}")
        if arrays[name].dtype.kind != "f" or not numpy.isfinite(arrays[name]).all():
            raise CheckpointError(f"{path}: parameter {name} holds NaN, Inf or non-float values")
        value[...] = asarray(arrays[name], dtype=value.dtype)


def optimizer_state(arrays, prefix):
    """The ``opt_<prefix>/...`` entries, with the prefix stripped."""
    head = f"opt_{prefix}/"
    return {name[len(head):]: value for name, value in arrays.items() if name.startswith(head)}


def training_parts(networks, optimizers, rng, data, mid_epoch):
    """``(state, networks, optimizers)`` for ``save``, for a model whose every network has an
    optimiser of the same name (``state["optimizers"]`` lists them), one ``Random`` and a
    data stream whose order is kept inside an epoch."""
    state = {"rng": rng.get_state(), "optimizers": list(optimizers)}
    if mid_epoch:
        state["order"] = data.state()
    return state, dict(networks), dict(optimizers)


def restore_training_parts(path, state, arrays, networks, optimizers, rng, data):
    """The inverse of ``training_parts``, from a checkpoint read from ``path``."""
    for name, network in networks.items():
        load_into(path, arrays, name, network)
        optimizers[name].load_state_dict(optimizer_state(arrays, name))
    rng.set_state(state["rng"])
    data.restore(state.get("order"))
