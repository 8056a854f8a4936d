"""The rapporteurs' notebooks run top to bottom (nbclient) on a processed folder, and are committed clean."""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

from results_fixture import build_processed

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("0*.ipynb"))
EXPECTED = ["01-vue-ensemble.ipynb", "02-freins-et-cas-usage.ipynb", "03-axes.ipynb", "04-themes.ipynb", "05-acteurs.ipynb"]


def _kernel_name() -> str:
    """The ``python3`` kernel of this interpreter, installing its spec into the venv when missing."""
    from jupyter_client.kernelspec import KernelSpecManager

    if "python3" not in KernelSpecManager().find_kernel_specs():
        from ipykernel.kernelspec import install

        install(prefix=sys.prefix, kernel_name="python3")
    return "python3"


def _execute(path: Path, processed: Path, monkeypatch, nb: nbformat.NotebookNode | None = None) -> nbformat.NotebookNode:
    """Run notebook ``path`` (or ``nb``, as if it were at ``path``) from its folder on ``processed``."""
    from nbclient import NotebookClient

    monkeypatch.setenv("PIPELINE_PROCESSED", str(processed))
    nb = nb or nbformat.read(path, as_version=4)
    NotebookClient(nb, kernel_name=_kernel_name(), timeout=120,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def _text_outputs(nb: nbformat.NotebookNode) -> str:
    chunks = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            chunks.append(output.get("text", "") + str(output.get("data", {}).get("text/plain", "")))
    return "\n".join(chunks)


def test_notebooks_are_committed_without_outputs():
    assert [p.name for p in NOTEBOOKS] == EXPECTED
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), path.name
        source = "\n".join(c.source for c in code)
        assert "from pipeline.results import" in source and "read_parquet" not in source
        assert "PIPELINE_PROCESSED" in source and "TYPE_ORGANISATION = None" in code[0].source


@pytest.mark.slow  # a kernel start and the imports take several seconds per notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_fixture(path, tmp_path, monkeypatch):
    processed = build_processed(tmp_path / "processed")
    nb = _execute(path, processed, monkeypatch)
    text = _text_outputs(nb)
    assert "4 contribution(s), 12 passage(s)" in text
    assert any(o.get("data", {}).get("application/vnd.plotly.v1+json") for c in nb.cells for o in c.get("outputs", []))


@pytest.mark.slow
def test_notebook_filter_and_missing_tables(tmp_path, monkeypatch):
    processed = build_processed(tmp_path / "processed", skip=("axes", "mentions", "topics", "actor_links"))
    nb = nbformat.read(NOTEBOOKS[2], as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("TYPE_ORGANISATION = None", 'TYPE_ORGANISATION = "commune"')
    text = _text_outputs(_execute(NOTEBOOKS[2], processed, monkeypatch, nb=nb))
    assert "1 contribution(s), 5 passage(s)" in text and "non disponible" in text
    for path in NOTEBOOKS[3:]:
        assert "non disponible" in _text_outputs(_execute(path, processed, monkeypatch))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_the_sample_corpus(path, sample_run, monkeypatch):
    """Each notebook executes top to bottom on the pipeline's real output for the sample corpus."""
    _, processed = sample_run
    nb = _execute(path, processed, monkeypatch)
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    assert "contribution(s)" in _text_outputs(nb)
