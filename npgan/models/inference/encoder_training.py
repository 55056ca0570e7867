"""The post-hoc encoder as a model family ("encoder"): training, its files, and the loaded object.

``EncoderModel(config)`` is what ``train.Trainer`` trains: an encoder ``E`` for the frozen
generator in ``config.generator_file``, on pairs ``(G(z), z)`` drawn fresh for every
minibatch (``inference.code_loss``). ``PostHocEncoder`` is what ``npgan.load`` returns:
``encode``, ``refine`` and ``reconstruct``.

An encoder's files hold E alone and name the generator they invert by its file name and
the SHA-256 of its bytes (``state["generator"]``), so the 10 MB generator is not stored
twice. Loading an encoder's file finds that generator (``locate_generator``: beside the
file, else where a training checkpoint records it was trained from) and refuses one whose
SHA-256 differs, so every command refuses a mismatch in one line; the generator's
weights are read only when something needs them (``reconstruct``, ``refine``).
"""

import os

from npgan import checkpoint, plots
from npgan.backend import Random, asarray, get_backend
from npgan.checkpoint import CheckpointError, load_into, optimizer_state
from npgan.datasets import OWN
from npgan.files import REPOSITORY
from npgan.models.common import (
    blas_threads_for,
    build_optimizer,
    feature_count,
    file_config,
    image_shape,
    image_split,
    momentum_ramp,
    set_epoch_momentum,
)
from npgan.models.gan.inversion import prior_bound, refine
from npgan.models.gan.training import load_gan
from npgan.models.inference.model import code_loss, encoder_for, file_sha256
from npgan.models.record import article

HELD_OUT = 1000  # codes drawn with Random(seed + 1) (and MNIST validation images) scored after every epoch
# What E's codes must agree with the generator on (and, for your own images, the images).
PRIOR_FIELDS = ("dataset", "noise", "noise_dim", "noise_scale", "image_shape")
IMAGES = ("mnist", OWN)  # the data sets whose validation images E is also scored on


def _batched(fn, x, batch_size=1000):
    xp = get_backend()
    parts = [fn(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
    return parts[0] if len(parts) == 1 else xp.concatenate(parts)


class PostHocEncoder:
    """An encoder ``E`` trained for a frozen generator, with that generator (read on first use).

    ``config`` is the encoder's ``Config`` (model "encoder"), ``state`` its file's state;
    ``gan`` the generator's ``GAN``, or ``None`` to read it from ``generator_path`` (checked
    by ``locate_generator``) when it is first needed.
    """

    def __init__(self, E, config, state, generator_path=None, gan=None):
        self.E, self.config, self.state = E, config, state
        self.generator_path, self._gan = generator_path, gan

    @property
    def gan(self):
        """The generator's ``GAN`` (its ``G`` in evaluation mode is what E inverts)."""
        if self._gan is None:
            self._gan = read_generator(self.generator_path, self.config)
        return self._gan

    @property
    def bound(self):
        """The half-width of the prior's box, the projection of ``refine`` (``None``: Gaussian)."""
        return prior_bound(self.config.noise, self.config.noise_scale)

    def encode(self, x, batch_size=1000):
        """``E(x)`` in evaluation mode: codes (N, noise_dim)."""
        return _batched(lambda b: self.E.forward(b, training=False), x, batch_size)

    def refine(self, x, steps=200, lr=0.02, z0=None):
        """``(z, r)``: codes refined from ``z0`` (default ``E(x)``) by ``inference.refine``, and their
        per-image squared errors."""
        z0 = self.encode(x) if z0 is None else z0
        return refine(self.gan.G, x, z0, steps, lr, self.bound)

    def reconstruct(self, x, steps=0, lr=0.02):
        """``G(E(x))``, or ``G(z)`` for the codes after ``steps`` of refinement: (N, features)."""
        z = self.encode(x) if steps == 0 else self.refine(x, steps, lr)[0]
        return _batched(lambda b: self.gan.G.forward(b, training=False), z)


# ---- the generator a file inverts -------------------------------------------------------------

def resolve_generator_file(name):
    """The path of ``config.generator_file``: as given, else under the repository (the presets'
    ``pretrained/...`` from any directory). ``ValueError`` if neither exists."""
    if os.path.isfile(name):
        return os.path.abspath(name)
    inside = os.path.join(REPOSITORY, name)
    if not os.path.isabs(name) and os.path.isfile(inside):
        return inside
    raise ValueError(f"generator_file {name}: no such file; expected a generator file or GAN checkpoint "
                     "(e.g. pretrained/npgan-mnist-generator.npz)")


def read_generator(path, like):
    """The ``GAN`` of a generator file or GAN checkpoint (its ``G`` is what an encoder inverts);
    like: a ``Config`` (the encoder's), whose class the generator's configuration is read as."""
    values, state, arrays = checkpoint.read(path)
    config = file_config(path, values, type(like))
    if config.model != "gan":
        raise CheckpointError(f"{path}: holds {article(config.model)} model; a post-hoc encoder inverts the G of a "
                              "'gan' model (a generator file or a GAN checkpoint)")
    return load_gan(path, config, state, arrays)


def generator_record(path, keep_path=True):
    """``{"file", "sha256"[, "path"]}``: how an encoder's file names its generator."""
    record = {"file": os.path.basename(path), "sha256": file_sha256(path)}
    if keep_path:
        record["path"] = os.path.abspath(path)
    return record


def locate_generator(path, record):
    """The generator file an encoder at ``path`` inverts: ``record["file"]`` beside it, else the
    ``record["path"]`` a training checkpoint keeps; ``CheckpointError`` if the first one there
    has another SHA-256, or if there is none."""
    beside = os.path.join(os.path.dirname(os.path.abspath(path)), record["file"])
    for candidate in [beside] + ([record["path"]] if record.get("path") else []):
        if os.path.isfile(candidate):
            digest = file_sha256(candidate)
            if digest != record["sha256"]:
                raise CheckpointError(f"{candidate} is not the generator {path} was trained to invert: its SHA-256 "
                                      f"is {digest[:16]}..., expected {record['sha256'][:16]}...")
            return candidate
    raise CheckpointError(f"{path} inverts the generator {record['file']} (SHA-256 {record['sha256'][:16]}...), "
                          f"which is not beside it; put that file in {os.path.dirname(beside)}")


# ---- training ---------------------------------------------------------------------------------

class EncoderModel:
    """The sleep phase as a training step: ``z ~ p_z``, ``x = G(z)``, one update of E on ``code_loss(E(x), z)``.

    G is frozen (evaluation mode, no gradients of its own). The run's randomness (E's
    initial weights, every z) comes from one ``Random(config.seed)``, saved in every
    checkpoint, so a resumed run on NumPy ends bit-identical to an uninterrupted one.
    """

    stat_names = ("code_loss",)

    def __init__(self, config):
        self.config = config
        path = resolve_generator_file(config.generator_file)
        gan = read_generator(path, config)
        differ = [f"{name} {getattr(gan.config, name)!r} (this config: {getattr(config, name)!r})"
                  for name in PRIOR_FIELDS if getattr(gan.config, name) != getattr(config, name)]
        if differ:
            raise ValueError(f"generator_file {config.generator_file} has {', '.join(differ)}; "
                             "an encoder's prior must be its generator's")
        self.generator = generator_record(path)
        self.rng = Random(config.seed)
        self.net = PostHocEncoder(encoder_for(config, gan.features, self.rng), config, {"generator": self.generator},
                                  gan=gan)
        self.optimizer = build_optimizer(config, self.net.E)
        self.momentum = momentum_ramp(config)
        self.iterations_per_epoch = config.iters_per_epoch
        self.log_fields = self.stat_names + ("held_out_code_mse", "held_out_pixel_mse") + (
            ("valid_pixel_mse",) if config.dataset in IMAGES else ()) + ("lr",)
        self._valid = None

    @property
    def trained(self):
        """The trained object, as ``npgan.load`` gives it from this run's checkpoint."""
        return self.net
    @property
    def blas_threads(self):
        """1 when the largest product of a step is too small to share between BLAS threads, else ``None``."""
        return blas_threads_for((self.net.gan.G, self.net.E), self.config.batch_size)

    def begin_epoch(self, epoch, fresh):
        set_epoch_momentum(self.config, self.momentum, (self.optimizer,), epoch)

    def step(self, i):
        """One minibatch of the generator's own labelled data, and one update of E."""
        gan = self.net.gan
        z = gan.sample_noise(self.config.batch_size, self.rng)
        x = gan.G.forward(z, training=False)
        loss, dcodes = code_loss(self.net.E.forward(x, training=True), z)
        self.net.E.backward(dcodes, input_grad=False)
        self.optimizer.step()
        return {"code_loss": loss}

    def end_epoch(self, epoch):
        """The log's extra fields: E on held-out pairs (``E(G(z))`` against ``z``, ``G(E(G(z)))`` against
        ``G(z)``), on MNIST validation images (``G(E(x))`` against ``x``), and the learning rate."""
        xp, gan = get_backend(), self.net.gan
        z = gan.sample_noise(HELD_OUT, Random(self.config.seed + 1))
        x = gan.G.forward(z, training=False)
        codes = self.net.encode(x)
        row = {"held_out_code_mse": float(((codes - z) ** 2).mean()),
               "held_out_pixel_mse": float(((self.net.reconstruct(x) - x) ** 2).mean())}
        if self.config.dataset in IMAGES:
            if self._valid is None:
                self._valid = asarray(image_split(self.config).valid_x[:HELD_OUT], dtype=self.config.dtype)
            row["valid_pixel_mse"] = float(xp.mean((self.net.reconstruct(self._valid) - self._valid) ** 2))
        row["lr"] = self.optimizer.lr_schedule(self.optimizer.updates - 1)
        return row

    def checkpoint_parts(self, mid_epoch):
        state = {"rng": self.rng.get_state(), "optimizers": ["E"], "generator": self.generator}
        return state, {"E": self.net.E}, {"E": self.optimizer}

    def restore(self, path, state, arrays):
        """E, its optimiser and the random state from a checkpoint trained against this same generator."""
        saved = state.get("generator", {}).get("sha256")
        if saved != self.generator["sha256"]:
            raise CheckpointError(f"{path} was trained against a generator with SHA-256 {str(saved)[:16]}..., "
                                  f"but {self.config.generator_file} has {self.generator['sha256'][:16]}...")
        load_into(path, arrays, "E", self.net.E)
        self.optimizer.load_state_dict(optimizer_state(arrays, "E"))
        self.rng.set_state(state["rng"])


def encoder_outputs(model, epoch, out_dir, say):
    """Images (MNIST, your own), every ``sample_every`` epochs and at the last:
    ``reconstructions/epoch-NNNN.png``, the first 50 test images above ``G(E(x))``."""
    config = model.config
    if config.dataset not in IMAGES or epoch == 0 or not config.sample_every or (
            epoch % config.sample_every and epoch != config.epochs):
        return
    originals = asarray(image_split(config).test_x[:50], dtype=config.dtype)
    path = os.path.join(out_dir, "reconstructions", f"epoch-{epoch:04d}.png")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shape = image_shape(config) if config.dataset == OWN else None
    plots.originals_and_reconstructions(originals, model.net.reconstruct(originals), path, shape=shape)


# ---- files --------------------------------------------------------------------------------------

def load_encoder(path, config, state, arrays, averaged=False):
    """The ``PostHocEncoder`` of a training checkpoint or an encoder file (``save_encoder_file``).

    ``CheckpointError`` unless the generator it names is found with its SHA-256 (``locate_generator``).
    """
    if not isinstance(state.get("generator"), dict) or {"file", "sha256"} - set(state["generator"]):
        raise CheckpointError(f"{os.fspath(path)}: an encoder file that does not name its generator")
    E = encoder_for(config, feature_count(config), Random(config.seed))  # the draws are overwritten
    load_into(path, arrays, "E", E)
    return PostHocEncoder(E, config, state, generator_path=locate_generator(os.fspath(path), state["generator"]))


def save_encoder_file(path, net, epoch=None):
    """Write E alone (float32, no optimiser state: checkpoint kind "generator", not resumable),
    naming its generator by file name and SHA-256 only: it is looked for beside ``path``."""
    record = {key: net.state["generator"][key] for key in ("file", "sha256")}
    checkpoint.save(path, net.config, {"epoch": epoch, "generator": record}, {"E": net.E},
                    kind="generator", dtype="float32")
