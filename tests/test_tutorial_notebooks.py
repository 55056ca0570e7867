"""The tutorials are notebooks too: jupytext pairs each ``.py`` with an ``.ipynb``.

``tutorials/jupytext.toml`` pairs every script with a notebook (``ipynb,py:percent``);
README's command (``jupytext --sync``, then Jupyter) makes the notebooks. These tests
keep that true: every tutorial reads as a percent-format notebook of prose and code
cells and writes back to the very same text (so nothing a reader runs hides in a prose
cell, where a notebook would show it as a comment), the solutions likewise, and one
tutorial runs top to bottom as a notebook in a real Jupyter kernel, in fast mode, from a
notebook made by ``jupytext --sync`` as README says.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from npgan.tutorial import SCRATCH_NAME  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FOLDER = REPO / "tutorials"
TUTORIALS = sorted(FOLDER.glob("[0-9][0-9]_*.py"))
SOLUTIONS = sorted((FOLDER / "solutions").glob("[0-9][0-9]_*.py"))


def test_the_folder_pairs_scripts_with_notebooks():
    config = (FOLDER / "jupytext.toml").read_text()
    assert 'formats = "ipynb,py:percent"' in config
    assert "*.ipynb" in (FOLDER / ".gitignore").read_text().split()


@pytest.mark.parametrize("path", TUTORIALS + SOLUTIONS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_each_script_is_a_percent_notebook_that_round_trips(path):
    text = path.read_text()
    assert jupytext.guess_format(text, ".py")[0] == "percent", f"{path.name} is not in percent format"
    notebook = jupytext.reads(text, fmt="py:percent")
    kinds = [cell.cell_type for cell in notebook.cells]
    assert kinds[0] == "markdown" and "code" in kinds, f"{path.name}: expected a title cell, then code"
    back = jupytext.writes(notebook, fmt="py:percent")
    assert back == text, f"{path.name} changes when written back from its notebook (code inside a prose cell?)"


def test_a_tutorial_runs_as_a_notebook_in_fast_mode(tmp_path, monkeypatch):
    """Tutorial 1 (seconds, no data) made into a notebook by ``jupytext --sync`` and run by nbclient."""
    # Jupyter's and IPython's own files (notebook signatures, kernel connections) under tmp_path, not
    # in the user's home; jupytext and the kernel inherit these
    for name in ("IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        monkeypatch.setenv(name, str(tmp_path / "jupyter" / name.lower()))
    folder = tmp_path / "tutorials"
    folder.mkdir()
    for name in (TUTORIALS[0].name, "jupytext.toml"):
        shutil.copy(FOLDER / name, folder / name)
    synced = subprocess.run([sys.executable, "-m", "jupytext", "--sync", TUTORIALS[0].name], cwd=folder,
                            capture_output=True, text=True, timeout=120)
    assert synced.returncode == 0, synced.stderr
    notebook_file = folder / TUTORIALS[0].with_suffix(".ipynb").name
    notebook = jupytext.read(notebook_file)
    # the kernel inherits this environment: fast mode, pictures to a scratch folder under tmp_path
    monkeypatch.setenv("NPGAN_FAST", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    monkeypatch.delenv("NPGAN_FIGURES", raising=False)
    client = nbclient.NotebookClient(notebook, timeout=240, kernel_name="python3",
                                     resources={"metadata": {"path": str(folder)}})
    client.execute()
    outputs = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for output in cell.get("outputs", []))
    assert f"pictures go to {tmp_path / SCRATCH_NAME}" in outputs
    assert list((tmp_path / SCRATCH_NAME).glob("*.png")), "the notebook saved no picture"
    errors = [output for cell in notebook.cells for output in cell.get("outputs", [])
              if output.get("output_type") == "error"]
    assert not errors
