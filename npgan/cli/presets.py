"""``npgan presets``: the named configurations, one line each."""

from npgan import presets


def add_parser(sub, common):
    """Register ``presets`` on the ``npgan`` command's subparsers."""
    p = sub.add_parser("presets", help="list the named configurations")
    p.set_defaults(func=run)
    return p


def run(args):
    for name, (description, _) in presets.PRESETS.items():
        print(f"{name:12s} {description}")
    return 0
