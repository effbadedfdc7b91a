"""Jupyter notebooks: discovery, cells joined, IPython syntax masked, cell positions, suppressions, bad files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import List

import pytest
from typer.testing import CliRunner

from losslint.cli import app
from losslint.engine import discover, lint_file, lint_paths
from losslint.magics import mask_cell
from losslint.notebook import join_code_cells, read_notebook
from losslint.registry import select

runner = CliRunner()

HELPERS = "import numpy as np\n\ndef softmax(z):\n    e = np.exp(z)\n    return e / e.sum(axis=0, keepdims=True)\n"
TRAINING = "Y = np.array([[0, 1, 2, 0, 1]])\nA = softmax(np.random.randn(3, 5))\ndZ = A - Y\n"


def notebook(*cells, language: str = "python") -> str:
    """A notebook's JSON; each cell is ("code" | "markdown", source)."""
    return json.dumps(
        {
            "cells": [
                {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True), **(
                    {"outputs": [], "execution_count": None} if kind == "code" else {})}
                for kind, source in cells
            ],
            "metadata": {"kernelspec": {"language": language, "name": "k"}, "language_info": {"name": language}},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def located(path: Path) -> List[tuple]:
    return [(f.code, f.cell, f.line, f.column) for f in lint_file(path, path.name, select(["ALL"])).findings]


# ----- discovery


def test_notebooks_are_found_with_python_files_and_checkpoints_are_skipped(tmp_path):
    write(tmp_path / "a.py", HELPERS)
    write(tmp_path / "nb.ipynb", notebook(("code", HELPERS)))
    write(tmp_path / ".ipynb_checkpoints" / "nb-checkpoint.ipynb", notebook(("code", HELPERS)))
    write(tmp_path / "data.json", "{}")
    files, _ = discover([str(tmp_path)])
    assert sorted(os.path.basename(f) for f, _ in files) == ["a.py", "nb.ipynb"]


# ----- cells joined, positions per cell


def test_a_softmax_defined_in_one_cell_is_known_in_a_later_one(tmp_path):
    path = write(
        tmp_path / "nb.ipynb",
        notebook(("markdown", "# Title\n"), ("code", HELPERS), ("markdown", "Now train."), ("code", TRAINING)),
    )
    assert located(path) == [("LL004", 2, 5, 12), ("LL002", 4, 3, 6)]
    ll002 = lint_file(path, "nb.ipynb", select()).findings[1]
    # Messages and related locations speak in the cell's own lines.
    assert "line 2 of cell 4" in ll002.message and "line 1 of cell 4" in ll002.message
    assert sorted((note.cell, note.line) for note in ll002.related) == [(4, 1), (4, 2)]


def test_text_and_concise_show_cell_and_line_within_the_cell(tmp_path):
    write(tmp_path / "nb.ipynb", notebook(("markdown", "intro"), ("code", HELPERS), ("code", TRAINING)))
    concise = runner.invoke(app, ["check", "--format", "concise", str(tmp_path / "nb.ipynb")])
    assert concise.exit_code == 1
    lines = concise.output.splitlines()
    assert lines[0].startswith(f"{tmp_path / 'nb.ipynb'}:cell 2:5:12: LL004 ")
    assert lines[1].startswith(f"{tmp_path / 'nb.ipynb'}:cell 3:3:6: LL002 ")
    text = runner.invoke(app, ["check", str(tmp_path / "nb.ipynb")]).output
    # The quoted source is the cell's line 3, not line 3 of the joined code.
    assert "3 | dZ = A - Y" in text
    assert "5 |     return e / e.sum(axis=0, keepdims=True)" in text
    assert "note: cell 2, line 4:" in text


def test_json_gives_the_cell_and_the_line_within_it(tmp_path):
    write(tmp_path / "nb.ipynb", notebook(("markdown", "intro"), ("code", HELPERS), ("code", TRAINING)))
    result = runner.invoke(app, ["check", "--format", "json", str(tmp_path / "nb.ipynb")])
    records = json.loads(result.stdout)
    assert [(r["code"], r["cell"], r["line"], r["column"], r["end_line"]) for r in records] == [
        ("LL004", 2, 5, 12, 5),
        ("LL002", 3, 3, 6, 3),
    ]


# ----- IPython syntax


MAGIC_CELLS = (
    ("code", "%matplotlib inline\n%load_ext autoreload\n!pip install numpy\nimport numpy as np\nnp.exp?\n?np.sum\n"),
    ("code", "%%time\n" + HELPERS),
    ("code", "%%bash\nfor f in *.py; do echo $f; done\n"),
    ("code", "files = !ls\n%time x = 1\nout = %timeit -o np.exp(1)\n" + TRAINING),
)


def test_a_notebook_with_magics_is_parsed_and_positions_do_not_move(tmp_path):
    path = write(tmp_path / "nb.ipynb", notebook(*MAGIC_CELLS))
    assert located(path) == [("LL004", 2, 6, 12), ("LL002", 4, 6, 6)]


def test_a_non_python_cell_magic_body_is_not_linted(tmp_path):
    # The %%writefile body would be LL004; it is a file's text, not code the notebook runs.
    path = write(tmp_path / "nb.ipynb", notebook(("code", "%%writefile helpers.py\n" + HELPERS)))
    assert located(path) == []
    path = write(tmp_path / "nb2.ipynb", notebook(("code", "%%capture\n" + HELPERS)))
    assert [finding[0] for finding in located(path)] == ["LL004"]


def test_masking_keeps_line_count_indentation_and_python_modulo():
    lines = [
        "for i in range(3):",
        "    %time f(i)",
        "x = (a",
        "     % b)",
        "s = '''",
        "%not a magic inside a string",
        "'''",
        "y = !ls \\",
        "    -la",
        "obj.attr??",
        "z = 5 % 2",
    ]
    masked = mask_cell(lines)
    assert len(masked) == len(lines)
    assert masked[1] == "    pass"
    assert masked[3] == "     % b)" and masked[5] == lines[5]
    assert masked[7] == "y = None" and masked[8] == ""
    assert masked[9] == "pass" and masked[10] == "z = 5 % 2"
    compile("\n".join(masked) + "\n", "<cell>", "exec")


def test_joined_code_maps_every_line_back_to_its_cell():
    parsed = read_notebook(notebook(("markdown", "m"), ("code", "a = 1\nb = 2"), ("code", ""), ("code", "c = 3\n")))
    joined = join_code_cells(parsed.cells)
    assert joined.source == "a = 1\nb = 2\nc = 3\n"
    assert [joined.locate(line) for line in (1, 2, 3)] == [(2, 1), (2, 2), (4, 1)]


# ----- suppressions


def test_suppression_comments_work_in_notebook_cells(tmp_path):
    helpers = HELPERS.replace("keepdims=True)\n", "keepdims=True)  # losslint: ignore[LL004]\n")
    training = TRAINING.replace("dZ = A - Y\n", "dZ = A - Y  # noqa: LL002\n")
    path = write(tmp_path / "nb.ipynb", notebook(("code", helpers), ("code", TRAINING)))
    assert located(path) == [("LL002", 2, 3, 6)]
    path = write(tmp_path / "nb2.ipynb", notebook(("code", helpers), ("code", training)))
    assert located(path) == []
    wrong_code = TRAINING.replace("dZ = A - Y\n", "dZ = A - Y  # noqa: LL004\n")
    path = write(tmp_path / "nb3.ipynb", notebook(("code", helpers), ("code", wrong_code)))
    assert located(path) == [("LL002", 2, 3, 6)]


# ----- bad notebooks


@pytest.mark.parametrize(
    "content,reason",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"metadata": {}}', "no `cells`"),
        ('{"cells": [{"source": "x"}]}', "cell 1"),
        ('{"cells": [{"cell_type": "code", "source": 7}]}', "neither a string nor a list"),
    ],
)
def test_a_malformed_notebook_is_ll901_and_the_run_goes_on(tmp_path, content, reason):
    write(tmp_path / "a_bad.ipynb", content)
    write(tmp_path / "b_good.py", HELPERS)
    report = lint_paths([str(tmp_path)], select())
    assert [(os.path.basename(f.path), f.code) for f in report.findings] == [("a_bad.ipynb", "LL901"), ("b_good.py", "LL004")]
    assert reason in report.findings[0].message
    assert report.internal_errors == []


def test_a_notebook_that_is_not_utf8_is_ll901(tmp_path):
    text = notebook(("code", "s = 'caf\xe9'\n" + HELPERS)).replace("\\u00e9", "\xe9")
    (tmp_path / "nb.ipynb").write_bytes(text.encode("latin-1"))  # a lone 0xe9 byte is not UTF-8
    assert [f[0] for f in located(tmp_path / "nb.ipynb")] == ["LL901"]


def test_invalid_python_in_a_cell_is_ll900_at_that_cell(tmp_path):
    path = write(tmp_path / "nb.ipynb", notebook(("code", HELPERS), ("markdown", "x"), ("code", "def f(:\n    return np.exp(1)\n")))
    assert [(code, cell, line) for code, cell, line, _ in located(path)] == [("LL900", 3, 1)]


def test_a_notebook_in_another_language_is_skipped(tmp_path):
    path = write(tmp_path / "r.ipynb", notebook(("code", "x <- exp(1)\nsoftmax <- function(z) exp(z) / sum(exp(z))\n"), language="R"))
    assert located(path) == []


def test_nbformat_3_worksheets_are_read(tmp_path):
    document = {
        "worksheets": [{"cells": [{"cell_type": "code", "input": HELPERS.splitlines(keepends=True), "outputs": []}]}],
        "metadata": {},
        "nbformat": 3,
    }
    path = write(tmp_path / "old.ipynb", json.dumps(document))
    assert located(path) == [("LL004", 1, 5, 12)]
