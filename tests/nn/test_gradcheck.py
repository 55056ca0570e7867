"""The gradcheck table: every row of `npgan gradcheck` passes its tolerance."""

import pytest

from npgan.cli.gradcheck import report
from npgan.nn import gradcheck


def test_report_rows_all_pass(xp, request):
    if request.node.callspec.params["xp"] == "cupy-surface":
        pytest.skip("the whole table takes 40 s on the stand-in; each layer's own tests run there")
    rows = report()
    names = {r[0] for r in rows}
    assert {"ReLU", "Sigmoid", "paper-shaped D", "paper-shaped G", "G through D (G step)"} <= names
    assert any(n.startswith("Maxout") for n in names) and any(n.startswith("Dropout") for n in names)
    for what, grad, err, tol in rows:
        assert err < tol, (what, grad, err)


def test_rel_error_definition():
    import numpy as np

    a, n = np.array([1.0, 2.0, 0.0]), np.array([1.0, 2.1, 1e-12])
    assert gradcheck.rel_error(a, n) == pytest.approx(0.1 / 4.1, rel=1e-12)
    assert gradcheck.rel_error(np.zeros(3), np.zeros(3)) == 0.0
