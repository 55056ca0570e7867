"""The ``npgan`` command: its arguments, and one line for every error.

``main(argv)`` parses, selects the array backend (``--backend``, else ``$NPGAN_BACKEND``,
else NumPy; read only when a command needs one), and runs the command: one module per
command (``COMMANDS``), each with ``add_parser(sub, common)`` and ``run(args)``.
Every bad input (unknown flag, bad value, unreadable checkpoint, an output path that
cannot be used) gives one line ``npgan <command>: error: ...`` on stderr and exit status
2, before anything is written (``UsageError``); a fault of the environment (the data
files missing, damaged or not downloadable, a disk that fills or a write refused while
working, memory the machine does not have) gives one line and exit status 1
(``FaultError``, and any ``OSError`` or ``MemoryError`` that reaches here); Ctrl-C
outside training (which saves and resumes, see ``train``) exits 130 with one line.
"""

import argparse
import os
import sys

from npgan import backend
from npgan.cli import (
    average,
    classifier,
    classify,
    elbo,
    encode,
    evaluate,
    export,
    gradcheck,
    inpaint,
    movie,
    parzen,
    presets,
    reconstruct,
    sample,
    train,
)
from npgan.errors import FaultError, UsageError

# Every command, in the order of `npgan --help`: the module that adds its parser and runs it.
COMMANDS = {"train": train, "sample": sample, "parzen": parzen, "gradcheck": gradcheck, "presets": presets,
            "export": export, "average": average, "encode": encode, "reconstruct": reconstruct,
            "evaluate": evaluate, "elbo": elbo, "classify": classify, "inpaint": inpaint, "classifier": classifier,
            "movie": movie}
COMMANDS_WITHOUT_BACKEND = ("presets",)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of argparse's usage + error
        raise UsageError(message)


def build_parser():
    parser = _Parser(prog="npgan", description="Generative Adversarial Nets from scratch in NumPy.")
    parser.add_argument("--version", action="version", version=f"npgan {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    common = _Parser(add_help=False)
    common.add_argument("--backend", choices=backend.BACKENDS, help="array backend (default: $NPGAN_BACKEND or numpy)")
    for command in COMMANDS.values():
        command.add_parser(sub, common)
    for choice in sub._choices_actions:  # `npgan CMD --help` opens with the line `npgan --help` gives CMD
        page = sub.choices[choice.dest]
        page.description = page.description or choice.help
    return parser


def _version():
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("npgan")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "0.1.0"


def _command_name(argv):
    """``npgan train`` for the words of a command line (before it is parsed), else ``npgan``."""
    first = next((word for word in argv if not word.startswith("-")), None)
    return f"npgan {first}" if first in COMMANDS else "npgan"


def _select_backend(args):
    """``--backend`` wins over ``$NPGAN_BACKEND``; either way a bad one is a usage error."""
    name = getattr(args, "backend", None) or os.environ.get("NPGAN_BACKEND", "").strip().lower() or "numpy"
    where = "--backend" if getattr(args, "backend", None) else "NPGAN_BACKEND"
    if name not in backend.BACKENDS:
        raise UsageError(f"{where}={name!r} is not a backend; expected one of {', '.join(backend.BACKENDS)}")
    try:
        backend.set_backend(name)
    except RuntimeError as exc:  # CuPy missing, or no GPU: the message says which
        raise UsageError(f"{where}={name}: {exc}") from None


def _one_line(exc):
    """An error's message on one line (a message of several lines joined with "; ")."""
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    command = _command_name(argv)
    try:
        args = build_parser().parse_args(argv)
        if args.command not in COMMANDS_WITHOUT_BACKEND:
            _select_backend(args)
        return args.func(args)
    except UsageError as exc:
        print(f"{command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except FaultError as exc:  # the data files, a full disk, a refused write: exit 1
        print(f"{command}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`npgan presets | head -1`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # a fault of the machine that no command foresaw: still one line
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"{command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"{command}: error: out of memory; ask for less (fewer samples, images or draws)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # The Parzen estimator's worker threads would hold up interpreter shutdown; the
        # command has written nothing half-way (files are atomic), so leave at once.
        print(f"{command}: interrupted", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(130)
