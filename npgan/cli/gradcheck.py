"""``npgan gradcheck``: every hand-written backward pass checked in float64, one table.

The rows are ``npgan.nn``'s (``nn/checks.py``) and then each model family's
(``npgan.models.gradcheck_rows``).
"""

from npgan import models
from npgan.cli.arguments import seed as seed_type
from npgan.nn import checks


def report(seed=0):
    """Every row ``(what, gradient, relative error, tolerance)`` of ``npgan gradcheck``."""
    return checks.rows(seed) + models.gradcheck_rows(seed)


def add_parser(sub, common):
    """Register ``gradcheck`` on the ``npgan`` command's subparsers."""
    p = sub.add_parser("gradcheck", parents=[common],
                       help="float64 gradient check of every layer, loss and a paper-shaped D and G")
    p.add_argument("--seed", type=seed_type, default=0,
                   help="seed of the random inputs and parameters checked (default 0)")
    p.set_defaults(func=run)
    return p


def run(args):
    rows = report(seed=args.seed)
    print(f"{'what':26s} {'gradient':12s} {'rel. error':>10s} {'tolerance':>9s}  result")
    failed = 0
    for what, grad, err, tol in rows:
        ok = err < tol
        failed += not ok
        print(f"{what:26s} {grad:12s} {err:10.2e} {tol:9.0e}  {'pass' if ok else 'FAIL'}")
    print(f"{len(rows) - failed} of {len(rows)} gradients pass (float64, central differences)")
    return 1 if failed else 0
