"""results/semisupervised/semisupervised_curve.py --at: the label draws' errors at one epoch and their mean."""

import conftest

SCRIPT = "results/semisupervised/semisupervised_curve.py"


def write_log(path, errors):
    rows = [f"{e},{0.9 * v},{v},{1.1 * v}" for e, v in enumerate(errors, 1)]
    path.write_text("epoch,test_error_iterate,test_error,valid_error\n" + "\n".join(rows) + "\n")


def test_draws_at_an_epoch_are_averaged_and_a_short_run_is_listed_but_not_averaged(tmp_path, capsys):
    for name, errors in (("a", [0.02, 0.010]), ("b", [0.03, 0.012]), ("c", [0.04])):
        write_log(tmp_path / f"{name}.csv", errors)
    conftest.load_script(SCRIPT).main([str(tmp_path / f"{n}.csv") for n in "abc"] + ["--at", "2"])
    out = capsys.readouterr().out
    assert f"| {tmp_path / 'a.csv'} | 2 | 1.00 | 0.90 | 1.10 |" in out
    assert f"| {tmp_path / 'c.csv'} | 1 (not yet 2) | 4.00 |" in out
    # mean 1.10, standard deviation with n - 1: sqrt((0.1^2 + 0.1^2) / 1) = 0.14
    assert "| mean of 2 draws | 2 | 1.10 +- 0.14 | 0.99 +- 0.13 | 1.21 +- 0.16 |" in out
