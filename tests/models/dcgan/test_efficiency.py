"""results/dcgan/efficiency.py: the training-efficiency table and curve read from runs' logs."""

import conftest
import pytest


@pytest.fixture(scope="module")
def efficiency():
    return conftest.load_script("results/dcgan/efficiency.py")


def write_run(folder, cpu, fds, averaged=None):
    folder.mkdir()
    rows = [f"{e},{100 + e},{s}" for e, s in enumerate(cpu, 1)]
    (folder / "log.csv").write_text("epoch,seconds,cpu_seconds\n" + "\n".join(rows) + "\n")
    (folder / "metrics.csv").write_text("epoch,frechet_distance\n" + "".join(f"{e},{d}\n" for e, d in fds))
    if averaged:
        (folder / "metrics-averaged.csv").write_text("epoch,frechet_distance\n"
                                                     + "".join(f"{e},{d}\n" for e, d in averaged))


def test_minutes_are_cumulative_cpu_time_and_an_untimed_epoch_counts_nothing(efficiency, tmp_path):
    write_run(tmp_path / "run", [60, "nan", 120, 60], [(1, 20.0), (3, 6.0), (4, 2.0)])
    run = efficiency.read_run(tmp_path / "run")
    assert run["clock"] == "cpu" and run["untimed"] == [2]
    assert run["minutes"] == [1.0, 3.0, 4.0] and run["fd"] == [20.0, 6.0, 2.0]
    assert efficiency.minutes_to(run, 5.0) == 4.0 and efficiency.minutes_to(run, 1.0) is None
    text = efficiency.table({"r": run}, {})
    assert "| r | CPU; epochs 2 untimed | 4 | 4 | 2.00 | 3 | 4 | 4 |" in text


def test_an_averaged_generator_gets_its_own_line_and_a_missing_run_is_reported(efficiency, tmp_path, capsys):
    write_run(tmp_path / "run", [60, 60], [(1, 30.0), (2, 12.0)], averaged=[(2, 8.0)])
    efficiency.main([f"a={tmp_path / 'run'}", f"b={tmp_path / 'none'}", "-o", str(tmp_path / "curve.png")])
    out = capsys.readouterr().out
    assert "| a, averaged G | CPU | 2 | 2 | 8.00 | 2 | not by 2 | not by 2 |" in out
    assert "| b | no log.csv and metrics.csv in" in out
    assert (tmp_path / "curve.png").read_bytes().startswith(b"\x89PNG")


def test_the_epoch_table_has_the_averaged_generator_s_column_where_the_run_keeps_one(efficiency, tmp_path):
    write_run(tmp_path / "run", [60, 60, 60], [(1, 30.0), (2, 12.0), (3, 11.0)], averaged=[(2, 8.0), (3, 7.5)])
    for name, rows in (("log.csv", "epoch,seconds,cpu_seconds,d_real,d_fake\n1,100,60,0.9,0.1\n2,100,60,0.8,0.2\n"
                                   "3,100,60,0.8,0.2\n"),
                       ("metrics.csv", "epoch,frechet_distance,class_kl\n1,30,0.2\n2,12,0.1\n3,11,0.1\n")):
        (tmp_path / "run" / name).write_text(rows)
    lines = efficiency.epoch_table(tmp_path / "run").splitlines()
    assert lines[0].endswith("| class KL | FD, averaged G |")
    assert lines[2] == "| 1 | 1.0 | 1.7 | 0.900 | 0.100 | 30.00 | 0.200 | |"
    assert lines[4] == "| 3 | 3.0 | 1.7 | 0.800 | 0.200 | 11.00 | 0.100 | 7.50 |"
