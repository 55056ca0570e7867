"""A run's training movie: one frame per snapshot, as ``training.gif`` (and ``.mp4`` with ffmpeg).

While a run trains, the trainer calls ``capture(model, epoch, out_dir)`` after epoch 0
(the run as initialised), every ``cadence(epochs)`` epochs (about ``FRAMES`` frames in
all) and at the last epoch; ``capture`` stores what that moment looks like as a small
snapshot ``OUT/movie/epoch-NNNN.npz``, and at the run's end ``write_movie(OUT)`` draws
every snapshot as a frame of ``OUT/training.gif`` (through Pillow) and, where an
``ffmpeg`` is on the PATH, ``OUT/training.mp4``. ``npgan movie OUT`` remakes them from the
snapshots (of a run that was stopped, or at another speed).

What a frame shows:

* 2-D toys (ring-8, grid-25), in the spirit of GAN Lab: D's decision surface as a heat
  map (green where D says "real", purple where it says "fake", white at D = 1/2), the
  data density (its modes as green discs of two standard deviations), G's samples
  (purple dots) and, from each, an arrow in the direction G's gradient moves it: ``-dL_G/dx``
  at ``x = G(z)``, G's loss backpropagated through D to its input (D in evaluation
  mode; the direction is exact, the lengths are scaled so that nine in ten are at most
  ``ARROW`` of the view, and capped at 1.5 times that). The view is fixed by the data, so the frames line up.
  A family whose D judges pairs (BiGAN) shows its samples alone.
* 1-D toy (gaussian-1d): the paper's Figure 1 in motion: the data density (green), G's
  density (purple, a histogram of its samples), D(x) (black) above a strip of the same
  heat map, and arrows for the gradient on a row of G's samples.
* image models: a grid of samples from the same noise in every frame (a conditional
  model: one class per row); models that cannot sample show their reconstructions of
  the first test images (autoencoders, encoders) or completions of them with each kind
  of mask missing (inpainting).

Snapshots draw their noise from their own ``Random``, so they never move the training
stream: a run with a movie trains bit-identically to one without.
"""

import glob
import os
import re
import shutil
import subprocess

import numpy

from npgan.backend import Random, asarray, get_backend, to_numpy
from npgan.datasets import load_images
from npgan.datasets.toy import TOY_DATASETS, make_toy
from npgan.files import atomic_write
from npgan.models import family
from npgan.nn import losses
from npgan.progress import track

FRAMES = 50  # about this many snapshots in a run
FOLDER = "movie"
GIF, MP4 = "training.gif", "training.mp4"
FPS = 8  # frames per second of the movie; the last frame stays HOLD seconds
HOLD = 2.0
ARROW = 0.06  # the 90th percentile of the gradient arrows' lengths, as a share of the view's width
SEED = 7  # the snapshots' own noise

REAL, FAKE = numpy.array([77, 175, 74]), numpy.array([152, 78, 163])  # GAN Lab's green and purple
WHITE = numpy.array([255, 255, 255])


def cadence(epochs):
    """Epochs between snapshots so that a run of ``epochs`` gets about ``FRAMES`` of them."""
    return max(1, -(-int(epochs) // FRAMES))


def due(epoch, epochs):
    """Whether the end of ``epoch`` (0: the start) is a snapshot."""
    return epoch % cadence(epochs) == 0 or epoch == epochs


def snapshot_path(out_dir, epoch):
    return os.path.join(out_dir, FOLDER, f"epoch-{epoch:04d}.npz")


def snapshots(out_dir):
    """The snapshot files of a run, in epoch order."""
    paths = glob.glob(os.path.join(glob.escape(os.fspath(out_dir)), FOLDER, "epoch-*.npz"))
    return sorted(path for path in paths if re.fullmatch(r"epoch-\d+\.npz", os.path.basename(path)))


# ---- snapshots ---------------------------------------------------------------------------

def capture(model, epoch, out_dir):
    """Store the snapshot of ``model`` (a trainer's model) after ``epoch``; ``None`` if it has no picture."""
    data = snapshot(model.trained, model.config)
    if data is None:
        return None
    data.update(epoch=numpy.int64(epoch), epochs=numpy.int64(model.config.epochs))
    path = snapshot_path(out_dir, epoch)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    atomic_write(path, lambda f: numpy.savez_compressed(f, **data))
    return path


def snapshot(trained, config):
    """The arrays of one frame of a model of ``config`` (``trained``: what ``npgan.load`` gives)."""
    if config.dataset in TOY_DATASETS:
        if not hasattr(trained, "sample"):
            return None
        data = make_toy(config.dataset)
        judge = config.model == "gan"  # a D of x alone: its surface and G's gradient through it
        return _toy_1d(trained, data, judge) if data.dim == 1 else _toy_2d(trained, data, judge)
    return _images(trained, config)


def _push(gan, x):
    """``-dL_G/dx`` at the samples ``x``: where G's loss, through D (evaluation mode), moves each one."""
    logits = gan.D.forward(x, training=False)
    _, dlogits = losses.generator_loss(logits, gan.gen_loss)
    return -to_numpy(gan.D.backward(dlogits, param_grads=False)).astype(numpy.float64)


def _discriminate(gan, x):
    """D(x) for each row of ``x``, also for a D that judges packs of rows (each point as a pack of copies)."""
    d = to_numpy(gan.discriminate(x))
    if len(d) != len(x):
        pack = len(x) // len(d)
        d = to_numpy(gan.discriminate(get_backend().repeat(x, pack, axis=0)))
    return d.astype(numpy.float64)


def _toy_2d(gan, data, judge=True, side=90, n=250):
    view = 1.3 * float(numpy.abs(data.centres).max() + 3 * data.std)
    axis = numpy.linspace(-view, view, side)
    a, b = numpy.meshgrid(axis, -axis)  # rows from the top: y falls
    grid = numpy.stack([a.ravel(), b.ravel()], axis=1)
    samples = gan.sample(n, rng=Random(SEED))
    d = _discriminate(gan, asarray(grid, dtype=gan.dtype)) if judge else numpy.full(len(grid), 0.5)
    push = _push(gan, samples) if judge else numpy.zeros((n, 2))
    return {"kind": numpy.str_("toy-2d"), "view": numpy.float64(view),
            "d": d.reshape(side, side).astype(numpy.float32),
            "samples": to_numpy(samples).astype(numpy.float32), "push": push.astype(numpy.float32),
            "centres": data.centres.astype(numpy.float32), "std": numpy.float64(data.std)}


def _toy_1d(gan, data, judge=True, width=400, n=20000, arrows=40):
    grid = numpy.linspace(data.mean - 10 * data.std, data.mean + 10 * data.std, width)
    samples = to_numpy(gan.sample(n, rng=Random(SEED)))[:, 0]
    edges = numpy.linspace(grid[0], grid[-1], 81)
    hist, _ = numpy.histogram(samples, bins=edges, density=True)
    centres = (edges[:-1] + edges[1:]) / 2
    some = gan.sample(arrows, rng=Random(SEED + 1))
    return {"kind": numpy.str_("toy-1d"), "grid": grid, "data_density": data.density(grid),
            "generator_density": numpy.interp(grid, centres, hist),
            "d": _discriminate(gan, asarray(grid[:, None], dtype=gan.dtype)) if judge else numpy.full(width, 0.5),
            "samples": to_numpy(some)[:, 0].astype(numpy.float64),
            "push": _push(gan, some)[:, 0] if judge else numpy.zeros(arrows)}


def image_shape(features):
    """(channels, height, width) of a flattened square image of ``features`` values (grey or RGB)."""
    for channels in (1, 3):
        side = int(round((features / channels) ** 0.5))
        if channels * side * side == features:
            return channels, side, side
    raise ValueError(f"cannot draw {features} features as a square grey or colour image")


def _test_images(config, n):
    """The first ``n`` test images of the model's data set (``None`` for data npgan does not name)."""
    try:
        return load_images(config.dataset).test_x[:n]
    except ValueError:
        return None


def _images(trained, config):
    can = family(config.model).can
    rng = Random(SEED)
    if "sample" not in can and _test_images(config, 1) is None:
        return None
    if "sample" in can:
        classes = getattr(trained, "classes", 0)
        if classes:  # a conditional model: n/K of each class in label order, one class per row
            images, ncols = trained.sample(8 * classes, rng=rng), 8
        else:
            images, ncols = trained.sample(64, rng=rng), 8
        caption = "samples of the same noise in every frame"
    elif "inpaint" in can:
        from npgan.models.inpainting import MASKS
        from npgan.models.inpainting.model import observed_from_kinds
        from npgan.models.inpainting.training import completion_rows

        x = asarray(_test_images(config, 2 * len(MASKS)), dtype=trained.dtype)
        kinds = get_backend().asarray(numpy.arange(len(x)) % len(MASKS), dtype="int64")
        observed = observed_from_kinds(kinds, rng, trained.dtype)
        images, ncols = completion_rows(x, observed, trained.complete(x, observed, rng), 1), 6
        caption = "test image, part missing (grey), completion"
    elif "reconstruct" in can:
        x = asarray(_test_images(config, 32))
        pairs = numpy.stack([to_numpy(x).reshape(4, 8, -1), to_numpy(trained.reconstruct(x)).reshape(4, 8, -1)], 1)
        images, ncols = pairs.reshape(64, -1), 8  # rows of originals, each above its reconstructions
        caption = "test images, their reconstructions below"
    else:
        return None
    images = numpy.clip(to_numpy(images).astype(numpy.float64), 0, 1)
    shape = image_shape(images.shape[1])
    pixels = numpy.round(images * 255).astype(numpy.uint8).reshape(len(images), *shape)
    return {"kind": numpy.str_("images"), "images": pixels, "ncols": numpy.int64(ncols),
            "caption": numpy.str_(caption)}


# ---- frames ------------------------------------------------------------------------------

def _font(size=13):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow before 10.1: the fixed bitmap font
        return ImageFont.load_default()


def heat(d):
    """RGB uint8 of D's values: purple at 0 (fake), white at 1/2, green at 1 (real)."""
    d = numpy.clip(numpy.asarray(d, dtype=numpy.float64), 0, 1)[..., None]
    toward = numpy.where(d >= 0.5, REAL, FAKE)
    strength = numpy.abs(2 * d - 1) * 0.85
    return numpy.round(WHITE + (toward - WHITE) * strength).astype(numpy.uint8)


def _arrow(draw, start, end, colour, width=1):
    """A line from ``start`` to ``end`` with a small head at ``end``."""
    (x0, y0), (x1, y1) = start, end
    draw.line([start, end], fill=colour, width=width)
    length = float(numpy.hypot(x1 - x0, y1 - y0))
    if length < 2:
        return
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    head = min(5.0, length / 2)
    for sign in (1, -1):
        hx = x1 - head * ux + sign * 0.5 * head * -uy
        hy = y1 - head * uy + sign * 0.5 * head * ux
        draw.line([(x1, y1), (hx, hy)], fill=colour, width=width)


def _scale_push(push, span):
    """Arrow vectors in pixels: ``push`` scaled so that its 90th percentile of lengths is
    ``ARROW * span``, each arrow at most 1.5 times that (the gradients are heavy-tailed)."""
    push = numpy.asarray(push, dtype=numpy.float64).reshape(len(push), -1)
    lengths = numpy.sqrt((push ** 2).sum(axis=1))
    typical = float(numpy.percentile(lengths, 90)) if len(push) else 0.0
    if typical <= 0:
        return push * 0
    scaled = push * (ARROW * span / typical)
    cap = 1.5 * ARROW * span
    return scaled * numpy.minimum(1.0, cap / numpy.maximum(lengths * (ARROW * span / typical), 1e-300))[:, None]


def _with_title(image, title, note):
    from PIL import Image, ImageDraw

    framed = Image.new("RGB", (image.width, image.height + 36), "white")
    framed.paste(image, (0, 18))
    draw = ImageDraw.Draw(framed)
    draw.text((4, 2), title, fill="black", font=_font(13))
    size = 11
    while size > 7 and draw.textlength(note, font=_font(size)) > image.width - 8:  # a narrow frame: smaller type
        size -= 1
    draw.text((4, image.height + 21), note, fill=(90, 90, 90), font=_font(size))
    return framed


def render(snap, size=360):
    """The frame (a PIL RGB image) of one snapshot's arrays."""
    from PIL import Image, ImageDraw

    kind = str(snap["kind"])
    title = f"epoch {int(snap['epoch'])} of {int(snap['epochs'])}"
    if kind == "images":
        images, ncols = snap["images"], int(snap["ncols"])
        n, channels, h, w = images.shape
        nrows = -(-n // ncols)
        canvas = numpy.full((nrows * (h + 1) + 1, ncols * (w + 1) + 1, 3), 255, dtype=numpy.uint8)
        for i, img in enumerate(images):
            r, c = divmod(i, ncols)
            canvas[1 + r * (h + 1):1 + r * (h + 1) + h, 1 + c * (w + 1):1 + c * (w + 1) + w] = \
                numpy.repeat(img, 3, axis=0).transpose(1, 2, 0) if channels == 1 else img.transpose(1, 2, 0)
        zoom = max(1, round(size / canvas.shape[1]))
        image = Image.fromarray(canvas).resize((canvas.shape[1] * zoom, canvas.shape[0] * zoom), Image.NEAREST)
        return _with_title(image, title, str(snap.get("caption", "")))
    if kind == "toy-2d":
        view, d = float(snap["view"]), snap["d"]
        image = Image.fromarray(heat(d)).resize((size, size), Image.BILINEAR)
        draw = ImageDraw.Draw(image)

        def pixel(points):
            points = numpy.asarray(points, dtype=numpy.float64)
            return numpy.stack([(points[:, 0] + view) / (2 * view) * (size - 1),
                                (view - points[:, 1]) / (2 * view) * (size - 1)], axis=1)

        radius = max(3.0, 2 * float(snap["std"]) / (2 * view) * size)
        for cx, cy in pixel(snap["centres"]):
            draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=tuple(int(v * 0.8) for v in REAL))
        starts = pixel(snap["samples"])
        moves = _scale_push(snap["push"], size) * numpy.array([1.0, -1.0])  # y grows downwards
        for (x, y), (dx, dy) in zip(starts, moves):
            _arrow(draw, (x, y), (x + dx, y + dy), (60, 60, 60))
        for x, y in starts:
            draw.ellipse([x - 1.5, y - 1.5, x + 1.5, y + 1.5], fill=tuple(int(v) for v in FAKE))
        return _with_title(image, title, "D: green real, purple fake; dots G(z), arrows G's gradient")
    if kind == "toy-1d":
        width, height, strip = size + 120, size * 2 // 3, 16
        grid, d = snap["grid"], snap["d"]
        image = Image.new("RGB", (width, height), "white")
        band = Image.fromarray(numpy.repeat(heat(d)[None], strip, axis=0)).resize((width, strip), Image.BILINEAR)
        image.paste(band, (0, height - strip))
        draw = ImageDraw.Draw(image)
        top = max(1.05, 1.1 * float(max(snap["data_density"].max(), snap["generator_density"].max())))
        plot_h = height - strip - 30

        def xy(values):
            xs = (grid - grid[0]) / (grid[-1] - grid[0]) * (width - 1)
            ys = plot_h - numpy.asarray(values) / top * (plot_h - 4)
            return list(zip(xs.tolist(), ys.tolist()))

        draw.line([(0, plot_h), (width, plot_h)], fill=(200, 200, 200))
        draw.line(xy(numpy.full_like(grid, 0.5)), fill=(220, 220, 220))
        draw.line(xy(snap["data_density"]), fill=tuple(int(v * 0.8) for v in REAL), width=2)
        draw.line(xy(snap["generator_density"]), fill=tuple(int(v) for v in FAKE), width=2)
        draw.line(xy(d), fill="black", width=1)
        xs = (snap["samples"] - grid[0]) / (grid[-1] - grid[0]) * (width - 1)
        moves = _scale_push(snap["push"], width)[:, 0]
        y = plot_h + 14
        for x, dx in zip(xs, moves):
            _arrow(draw, (x, y), (x + dx, y), (60, 60, 60))
            draw.ellipse([x - 1.5, y - 1.5, x + 1.5, y + 1.5], fill=tuple(int(v) for v in FAKE))
        return _with_title(image, title, "data (green), G (purple), D(x) (black); strip: D; arrows: G's gradient")
    raise ValueError(f"unknown kind of snapshot {kind!r}")


# ---- the movie ---------------------------------------------------------------------------

def frames(out_dir, size=360, max_frames=None):
    """The rendered frames of a run's snapshots (at most ``max_frames``, evenly spread, the last kept)."""
    paths = snapshots(out_dir)
    if max_frames and len(paths) > max_frames:
        keep = numpy.unique(numpy.round(numpy.linspace(0, len(paths) - 1, max_frames)).astype(int))
        paths = [paths[i] for i in keep]
    rendered = []
    for path in track(paths, "drawing the training movie", unit="frames"):
        with numpy.load(path, allow_pickle=False) as snap:
            rendered.append(render(dict(snap), size=size))
    return rendered


def write_gif(images, path, fps=FPS, colors=64):
    """``images`` (PIL) as an animated GIF at ``fps``, looping, the last frame held ``HOLD`` seconds.

    Every frame uses one palette of ``colors`` colours, chosen from up to ten frames spread
    over the run, without dithering: a third of the size of a palette per dithered frame.
    """
    from PIL import Image

    durations = [round(1000 / fps)] * len(images)
    durations[-1] = max(durations[-1], round(1000 * HOLD))
    width, height = size = images[0].size
    images = [image if image.size == size else image.resize(size) for image in images]
    chosen = images[::max(1, len(images) // 10)]
    sheet = Image.new("RGB", (width, height * len(chosen)))
    for i, image in enumerate(chosen):
        sheet.paste(image, (0, height * i))
    palette = sheet.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    frames_ = [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in images]
    atomic_write(path, lambda f: frames_[0].save(f, format="GIF", save_all=True, append_images=frames_[1:],
                                                 duration=durations, loop=0, optimize=True))


def ffmpeg_command(path, size, fps):
    """The ffmpeg command that reads raw RGB frames of ``size`` on stdin and writes an H.264 ``path``."""
    return [shutil.which("ffmpeg") or "ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
            "-s", f"{size[0]}x{size[1]}", "-r", str(fps), "-i", "-",
            "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2:color=white", "-pix_fmt", "yuv420p", "-f", "mp4", path]


def ffmpeg_available():
    """Whether an ``ffmpeg`` is on the PATH."""
    return shutil.which("ffmpeg") is not None


def write_mp4(images, path, fps=FPS):
    """``images`` as an .mp4 through ffmpeg (``None`` when there is no ffmpeg on the PATH, or it fails)."""
    if not ffmpeg_available():
        return None
    size = images[0].size
    hold = max(1, round(HOLD * fps))
    temporary = os.path.join(os.path.dirname(os.path.abspath(path)), f".{os.path.basename(path)}.tmp")
    raw = b"".join(image.resize(size).tobytes() for image in images) + images[-1].resize(size).tobytes() * (hold - 1)
    try:
        done = subprocess.run(ffmpeg_command(temporary, size, fps), input=raw, capture_output=True, timeout=600)
    except (OSError, subprocess.SubprocessError):
        done = None
    if done is None or done.returncode != 0 or not os.path.exists(temporary):
        if os.path.exists(temporary):
            os.remove(temporary)
        return None
    os.replace(temporary, path)
    return path


def write_movie(out_dir, gif=None, fps=FPS, size=360, max_frames=None, mp4=True):
    """Draw a run's snapshots into ``gif`` (default ``OUT/training.gif``) and, with ffmpeg, the
    ``.mp4`` beside it; returns the paths written ([] when the run has no snapshots)."""
    images = frames(out_dir, size=size, max_frames=max_frames)
    if not images:
        return []
    gif = gif or os.path.join(out_dir, GIF)
    write_gif(images, gif, fps)
    written = [gif]
    if mp4 and write_mp4(images, os.path.splitext(gif)[0] + ".mp4", fps):
        written.append(os.path.splitext(gif)[0] + ".mp4")
    return written
