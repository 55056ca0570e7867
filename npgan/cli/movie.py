"""``npgan movie RUN_DIR``: a run's training movie, remade from its snapshots.

    npgan movie RUN_DIR [-o FILE.gif] [--fps 8] [--size 360] [--max-frames N] [--no-mp4] [--force]

Every run folder's ``movie/epoch-NNNN.npz`` snapshots (``npgan.movie``) are drawn into
``RUN_DIR/training.gif`` (or ``-o``) and, where ``ffmpeg`` is on the PATH, the ``.mp4``
beside it: for a run that was stopped before its end, or at another speed or size.
"""

import os

from npgan import movie
from npgan.cli.arguments import output_file, plural, positive_int
from npgan.errors import UsageError


def add_parser(sub, common):
    """Register ``movie`` on the ``npgan`` command's subparsers."""
    p = sub.add_parser("movie", parents=[common],
                       help="remake a run's training movie (training.gif, and .mp4 with ffmpeg) from its snapshots")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run folder (npgan train --out), holding movie/epoch-*.npz")
    p.add_argument("-o", "--output", help="the GIF to write (default RUN_DIR/training.gif); the .mp4 goes beside it")
    p.add_argument("--fps", type=positive_int, default=movie.FPS,
                   help=f"frames per second (default {movie.FPS}; the last frame stays {movie.HOLD:g} s)")
    p.add_argument("--size", type=positive_int, default=360, help="width of a toy's picture in pixels (default 360)")
    p.add_argument("--max-frames", type=positive_int,
                   help="at most this many frames, spread evenly over the run, the last kept (default: all)")
    p.add_argument("--no-mp4", action="store_true", help="write the GIF only, even where ffmpeg exists")
    p.add_argument("--force", action="store_true", help="replace the GIF (and .mp4) if they exist")
    p.set_defaults(func=run)
    return p


def run(args):
    if not os.path.isdir(args.run_dir):
        raise UsageError(f"{args.run_dir}: not a run folder (no such directory)")
    found = movie.snapshots(args.run_dir)
    if not found:
        raise UsageError(f"{args.run_dir} holds no snapshots ({movie.FOLDER}/epoch-NNNN.npz); expected a run "
                         "folder that npgan train wrote")
    if args.size < 64:
        raise UsageError(f"--size {args.size}: expected at least 64 pixels")
    gif = args.output or os.path.join(args.run_dir, movie.GIF)
    output_file(gif, (".gif",), args.force)
    mp4 = not args.no_mp4 and movie.ffmpeg_available()
    if mp4:
        output_file(os.path.splitext(gif)[0] + ".mp4", (".mp4",), args.force)
    written = movie.write_movie(args.run_dir, gif, fps=args.fps, size=args.size, max_frames=args.max_frames, mp4=mp4)
    frames = min(len(found), args.max_frames or len(found))
    print(f"wrote {plural(frames, 'frame')} of {args.run_dir} to {' and '.join(written)}")
    return 0
