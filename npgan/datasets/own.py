"""Your own images: a folder of PNG or JPEG files, or an array file, as a data set npgan trains on.

Two sources (``npgan train --data PATH``):

    a folder     PNG and JPEG files (``IMAGE_SUFFIXES``), read through Pillow, grey or colour,
                 any size. Subfolders are classes, in sorted order (torchvision's ImageFolder
                 convention): ``PATH/cats/*.png``, ``PATH/dogs/*.png`` are classes 0 and 1.
                 Without subfolders the images have no labels. Files of other kinds are
                 skipped; names starting with "." are ignored.
    an array     ``.npy`` of shape (N, H, W) or (N, H, W, C) with C = 1 or 3, uint8 (0..255)
                 or floats in [0, 1]; or ``.npz`` with the images under ``x`` or ``images``
                 (or as its only array) and, optionally, integer labels 0..K-1 under ``y``
                 or ``labels``.

Every image is cropped to a centred square and resized to ``side`` x ``side`` (Pillow's
Lanczos filter); the data is grey (one channel) unless some image is in colour, then
every image is RGB. ``HELD_OUT`` of the images (at least 2) are held out of training,
drawn by a fixed seed so that the same data always splits the same way: half of them
validate (Parzen's window width, a classifier's best epoch), half test (what ``npgan
evaluate`` scores against). The result is an ``npgan.datasets.idx.Split`` like MNIST's:
float32 rows (n, C*side*side) in [0, 1], channels first, and integer labels or ``None``.

The data's *fingerprint* (``Fingerprint``: how many images, their shape as trained, and
the SHA-256 of the decoded pixels and labels, before any resizing) goes into every
checkpoint, so that a run is never resumed on other data. Every problem is one line
naming the file or what is wrong (``DataError``): a missing path, an empty folder, no
image among the files, an unreadable image, an array of the wrong shape or range, and
more data than memory holds, estimated from the images' headers before any is decoded.
"""

import dataclasses
import functools
import hashlib
import os

import numpy

from npgan.datasets.idx import DataError, Split
from npgan.files import available_memory

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
ARRAY_SUFFIXES = (".npy", ".npz")
HELD_OUT = 0.1  # share of the images held out of training (at least MIN_HELD_OUT)
MIN_HELD_OUT = 2
SPLIT_SEED = 0  # the draw of the held-out images: fixed, so a data set always splits the same way
IMAGE_KEYS, LABEL_KEYS = ("x", "images"), ("y", "labels")
COLOUR_MODES = ("RGB", "RGBA", "CMYK", "YCbCr", "LAB", "HSV", "P", "PA", "RGBX", "RGBa")


@dataclasses.dataclass(frozen=True)
class Survey:
    """What a data path holds, from the files' headers (nothing decoded yet).

    kind "folder" or "array"; count: images; channels: 1 (grey) or 3 (colour); sizes: the
    distinct (width, height) found; classes: class names (subfolders, or "0".."K-1" of an
    array's labels), () without labels; files: ``(path, class index)`` of a folder's images.
    """

    path: str
    kind: str
    count: int
    channels: int
    sizes: tuple
    classes: tuple
    files: tuple = ()
    array_key: str = ""
    label_key: str = ""

    def memory(self, side):
        """Bytes the images take once decoded and resized to ``side`` (float32, on the host and as
        the trainer's copy), plus an array file's own bytes while it is converted."""
        pixels = self.count * self.channels * side * side
        return 2 * 4 * pixels + (self.count * max(w * h for w, h in self.sizes) * self.channels * 4
                                 if self.kind == "array" else 0)


@dataclasses.dataclass(frozen=True)
class Fingerprint:
    """What a checkpoint records of the data it was trained on."""

    count: int
    shape: tuple  # (channels, side, side) as trained
    sha256: str  # of the decoded pixels and labels, before resizing

    def record(self):
        return {"count": self.count, "shape": list(self.shape), "sha256": self.sha256}

    def differs(self, recorded):
        """A phrase saying how ``recorded`` (a checkpoint's ``record()``) differs, or ``""``."""
        if not isinstance(recorded, dict):
            return "was trained on no data of your own"
        if recorded.get("sha256") == self.sha256 and list(recorded.get("shape", ())) == list(self.shape):
            return ""
        return (f"was trained on {recorded.get('count')} images of shape {tuple(recorded.get('shape', ()))} "
                f"(SHA-256 {str(recorded.get('sha256'))[:12]}...), this data is {self.count} images of shape "
                f"{self.shape} (SHA-256 {self.sha256[:12]}...)")


@dataclasses.dataclass(frozen=True)
class OwnData:
    """Your images, decoded: ``split`` (train/valid/test), their shape (C, side, side), class
    names (() without labels), the fingerprint, and ``notes``: lines worth telling the user."""

    path: str
    split: Split
    shape: tuple
    classes: tuple
    fingerprint: Fingerprint
    notes: tuple

    def describe(self):
        c, side, _ = self.shape
        s = self.split
        labels = f", {len(self.classes)} classes" if self.classes else ", no labels"
        return (f"{self.path}: {self.fingerprint.count} {'grey' if c == 1 else 'colour'} images, {side}x{side}"
                f"{labels}; {len(s.train_x)} train, {len(s.valid_x)} validate, {len(s.test_x)} test (held out)")


def _pillow():
    from PIL import Image, ImageOps

    return Image, ImageOps


# ---- what a path holds -------------------------------------------------------------------------

def survey(path):
    """The ``Survey`` of a folder of images or an array file; ``DataError`` in one line if unusable."""
    path = os.path.abspath(os.path.expanduser(os.fspath(path)))
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file or folder; expected a folder of images or a .npy/.npz array")
    if os.path.isdir(path):
        return _survey_folder(path)
    if path.endswith(ARRAY_SUFFIXES):
        return _survey_array(path)
    raise DataError(f"{path}: not a folder, .npy or .npz; expected a folder of PNG/JPEG images or an array file")


def _visible(names):
    return sorted(name for name in names if not name.startswith("."))


def _image_files(folder):
    """``(images, others)``: the image files under ``folder`` (recursively) and how many other files."""
    images, others = [], 0
    for root, dirs, names in os.walk(folder):
        dirs[:] = _visible(dirs)
        for name in _visible(names):
            if name.lower().endswith(IMAGE_SUFFIXES):
                images.append(os.path.join(root, name))
            else:
                others += 1
    return sorted(images), others


def _survey_folder(path):
    entries = _visible(os.listdir(path))
    if not entries:
        raise DataError(f"{path}: empty folder; expected PNG or JPEG images (or subfolders of them, one per class)")
    subfolders = [name for name in entries if os.path.isdir(os.path.join(path, name))]
    loose = [name for name in entries if name.lower().endswith(IMAGE_SUFFIXES)
             and os.path.isfile(os.path.join(path, name))]
    if subfolders and loose:
        raise DataError(f"{path}: holds both images ({loose[0]}, ...) and subfolders ({subfolders[0]}, ...); "
                        "put every image in a subfolder of its class, or use no subfolders")
    files, classes = [], ()
    if subfolders:
        classes = tuple(subfolders)
        for index, name in enumerate(subfolders):
            found, _ = _image_files(os.path.join(path, name))
            if not found:
                raise DataError(f"{os.path.join(path, name)}: a class folder without PNG or JPEG images")
            files += [(file, index) for file in found]
        if len(classes) == 1:
            classes = ()  # one subfolder: images without labels
    else:
        found, others = _image_files(path)
        if not found:
            raise DataError(f"{path}: no image among its {others} files; expected PNG or JPEG files "
                            f"({', '.join(IMAGE_SUFFIXES)})")
        files = [(file, 0) for file in found]
    Image, _ = _pillow()
    sizes, colour = set(), False
    for file, _ in files:
        try:
            with Image.open(file) as image:
                sizes.add(image.size)
                colour = colour or image.mode in COLOUR_MODES
        except Exception as exc:  # Pillow raises several kinds for a file it cannot identify
            raise DataError(f"{file}: not a readable image ({_reason(exc)})") from None
    return Survey(path, "folder", len(files), 3 if colour else 1, tuple(sorted(sizes)), classes, tuple(files))


def _reason(exc):
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text.replace(" '" + str(getattr(exc, "filename", "")) + "'", "")


def _array_header(path):
    """``(shape, dtype, key, label_key)`` of an array file, from its headers (nothing loaded)."""
    try:
        if path.endswith(".npy"):
            array = numpy.load(path, mmap_mode="r", allow_pickle=False)
            return array.shape, array.dtype, "", ""
        with numpy.load(path, allow_pickle=False) as npz:
            keys = list(npz.files)
            key = next((k for k in IMAGE_KEYS if k in keys), keys[0] if len(keys) == 1 else None)
            if key is None:
                raise DataError(f"{path}: holds arrays {', '.join(keys) or 'none'}; expected the images under "
                                f"{' or '.join(IMAGE_KEYS)} (labels, if any, under {' or '.join(LABEL_KEYS)})")
            label_key = next((k for k in LABEL_KEYS if k in keys), "")
            with npz.zip.open(key + ".npy") as member:
                version = numpy.lib.format.read_magic(member)
                read = numpy.lib.format.read_array_header_1_0 if version == (1, 0) else \
                    numpy.lib.format.read_array_header_2_0
                shape, _, dtype = read(member)
            return shape, dtype, key, label_key
    except DataError:
        raise
    except Exception as exc:  # a damaged file: numpy and zipfile raise several kinds
        raise DataError(f"{path}: not a readable {os.path.splitext(path)[1]} array ({_reason(exc)})") from None


def _survey_array(path):
    shape, dtype, key, label_key = _array_header(path)
    what = f"{path}{f' [{key}]' if key else ''}"
    if len(shape) not in (3, 4) or (len(shape) == 4 and shape[3] not in (1, 3)):
        raise DataError(f"{what}: an array of shape {tuple(shape)}; expected (N, H, W) or (N, H, W, C) with C 1 or 3")
    if shape[0] == 0:
        raise DataError(f"{what}: holds no images (shape {tuple(shape)})")
    if dtype != numpy.uint8 and dtype.kind != "f":
        raise DataError(f"{what}: dtype {dtype}; expected uint8 (0..255) or floats in [0, 1]")
    channels = 1 if len(shape) == 3 else shape[3]
    classes = ()
    if label_key:
        with numpy.load(path, allow_pickle=False) as npz:
            labels = npz[label_key]
        _check_labels(path, label_key, labels, shape[0])
        classes = tuple(str(k) for k in range(int(labels.max()) + 1))
    return Survey(path, "array", int(shape[0]), int(channels), ((int(shape[2]), int(shape[1])),), classes,
                  array_key=key, label_key=label_key)


def _check_labels(path, key, labels, n):
    if labels.shape != (n,) or labels.dtype.kind not in "iu":
        raise DataError(f"{path} [{key}]: labels of shape {labels.shape} and dtype {labels.dtype}; expected {n} "
                        "integers, one per image")
    if n and int(labels.min()) < 0:
        raise DataError(f"{path} [{key}]: a label is {int(labels.min())}; expected class indices 0..K-1")


# ---- decoding --------------------------------------------------------------------------------------

def check_memory(found, side, available=None):
    """``DataError`` if decoding ``found`` (a ``Survey``) at ``side`` would need more memory than is available."""
    available = available_memory() if available is None else available
    need = found.memory(side)
    if available is not None and need > available:
        raise DataError(f"{found.path}: {found.count:,} images of {found.channels}x{side}x{side} need about "
                        f"{need / 2**30:.1f} GiB of memory, but {available / 2**30:.1f} GiB are available; "
                        "use a smaller --image-size or fewer images")


def load(path, side, channels=None):
    """Your images at ``path``, resized to ``side`` x ``side`` with ``channels`` (default: the data's own),
    split and fingerprinted: an ``OwnData``. Decoded once per process while the files stay as they
    are (their names, sizes and modification times)."""
    path = os.path.abspath(os.path.expanduser(os.fspath(path)))
    return _load_cached(path, int(side), channels and int(channels), _signature(path))


def _signature(path):
    """What changes when the data at ``path`` does: every visible file's name, size and modification time."""
    if not os.path.isdir(path):
        return (os.stat(path).st_mtime_ns, os.stat(path).st_size) if os.path.exists(path) else None
    files = []
    for root, dirs, names in os.walk(path):
        dirs[:] = _visible(dirs)
        for name in _visible(names):
            stat = os.stat(os.path.join(root, name))
            files.append((os.path.join(root, name), stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(files))


@functools.lru_cache(maxsize=2)
def _load_cached(path, side, channels, signature):
    found = survey(path)
    channels = channels or found.channels
    if side < 1:
        raise DataError(f"image size {side}: expected at least 1 pixel")
    check_memory(found, side)
    digest = hashlib.sha256()
    if found.kind == "folder":
        pixels, labels = _decode_folder(found, side, channels, digest)
    else:
        pixels, labels = _decode_array(found, side, channels, digest)
    notes = []
    if len(found.sizes) > 1:
        (w0, h0), (w1, h1) = min(found.sizes), max(found.sizes)
        notes.append(f"{found.path}: images of {len(found.sizes)} different sizes ({w0}x{h0} to {w1}x{h1}), "
                     f"all resized to {side}x{side}")
    elif found.sizes[0] != (side, side):
        w, h = found.sizes[0]
        notes.append(f"{found.path}: {w}x{h} images resized to {side}x{side}")
    if channels != found.channels:
        notes.append(f"{found.path}: {'colour' if found.channels == 3 else 'grey'} images read as "
                     f"{'grey' if channels == 1 else 'colour'}")
    x = pixels.reshape(len(pixels), -1)
    split = _split(x, labels, found.path)
    fingerprint = Fingerprint(found.count, (channels, side, side), digest.hexdigest())
    return OwnData(found.path, split, (channels, side, side), found.classes, fingerprint, tuple(notes))


def _fit(image, side):
    """A Pillow image cropped to its centred square and resized to ``side`` x ``side``."""
    Image, ImageOps = _pillow()
    if image.size == (side, side):
        return image
    return ImageOps.fit(image, (side, side), method=Image.Resampling.LANCZOS)


def _decode_folder(found, side, channels, digest):
    Image, _ = _pillow()
    pixels = numpy.empty((found.count, channels, side, side), dtype=numpy.float32)
    labels = numpy.empty(found.count, dtype=numpy.int64)
    for i, (file, label) in enumerate(found.files):
        try:
            with Image.open(file) as image:
                image.load()
                decoded = image.convert("RGB" if found.channels == 3 else "L")
        except Exception as exc:
            raise DataError(f"{file}: not a readable image ({_reason(exc)})") from None
        raw = numpy.asarray(decoded)
        digest.update(f"{raw.shape}:{label};".encode())
        digest.update(numpy.ascontiguousarray(raw).tobytes())
        fitted = numpy.asarray(_fit(decoded.convert("RGB" if channels == 3 else "L"), side), dtype=numpy.float32)
        pixels[i] = (fitted.transpose(2, 0, 1) if channels == 3 else fitted[None]) / numpy.float32(255)
        labels[i] = label
    return pixels, (labels if found.classes else None)


def _decode_array(found, side, channels, digest):
    labels = None
    try:
        if found.path.endswith(".npy"):
            array = numpy.load(found.path, allow_pickle=False)
        else:
            with numpy.load(found.path, allow_pickle=False) as npz:
                array = npz[found.array_key]
                labels = npz[found.label_key] if found.label_key else None
    except Exception as exc:  # a truncated or damaged file
        raise DataError(f"{found.path}: not a readable array ({_reason(exc)})") from None
    what = f"{found.path}{f' [{found.array_key}]' if found.array_key else ''}"
    if array.ndim == 3:
        array = array[..., None]
    digest.update(f"{array.shape}:{array.dtype.str};".encode())
    digest.update(numpy.ascontiguousarray(array).tobytes())
    if labels is not None:
        digest.update(numpy.ascontiguousarray(labels, dtype=numpy.int64).tobytes())
    if array.dtype == numpy.uint8:
        x = array.astype(numpy.float32) / numpy.float32(255)
    else:
        x = array.astype(numpy.float32)
        if not numpy.isfinite(x).all():
            raise DataError(f"{what}: holds NaN or infinite values; expected uint8 or floats in [0, 1]")
        low, high = float(x.min()), float(x.max())
        if low < 0 or high > 1:
            raise DataError(f"{what}: values run from {low:.4g} to {high:.4g}; expected uint8 (0..255) or floats "
                            "in [0, 1]")
    if x.shape[3] != channels:  # grey to colour: repeat; colour to grey: ITU-R 601 luma, Pillow's "L"
        x = (numpy.repeat(x, 3, axis=3) if channels == 3
             else (x @ numpy.array([0.299, 0.587, 0.114], dtype=numpy.float32))[..., None])
    if x.shape[1:3] != (side, side):
        Image, _ = _pillow()
        x = numpy.stack([numpy.stack([numpy.asarray(_fit(Image.fromarray(numpy.ascontiguousarray(image[..., c])),
                                                         side)) for c in range(channels)], axis=-1)
                         for image in x])
        x = numpy.clip(x, 0, 1)
    pixels = numpy.ascontiguousarray(x.transpose(0, 3, 1, 2), dtype=numpy.float32)
    return pixels, (labels.astype(numpy.int64) if labels is not None else None)


def held_out_count(n):
    """How many of ``n`` images are held out of training: ``HELD_OUT`` of them, at least ``MIN_HELD_OUT``."""
    return max(MIN_HELD_OUT, int(round(HELD_OUT * n)))


def _split(x, labels, path):
    """Train / valid / test: the held-out images drawn by ``SPLIT_SEED``, half validate, half test."""
    n = len(x)
    held = held_out_count(n)
    if n <= held:
        raise DataError(f"{path}: {n} image{'s' if n != 1 else ''}, too few to hold {held} out and train on the "
                        "rest; expected at least 3")
    order = numpy.random.default_rng(SPLIT_SEED).permutation(n)
    train, valid, test = numpy.sort(order[held:]), numpy.sort(order[:held // 2]), numpy.sort(order[held // 2:held])

    def part(a, rows):
        if a is None:
            return None
        out = numpy.ascontiguousarray(a[rows])
        out.flags.writeable = False
        return out

    return Split(part(x, train), part(labels, train), part(x, valid), part(labels, valid), part(x, test),
                 part(labels, test))
