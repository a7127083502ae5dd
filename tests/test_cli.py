"""The carecalc command: every path answers with a message and an exit code, never a traceback."""

import os
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from care_services import __version__
from care_services.cli import main
from tests.test_spreadsheet import officials_workbook


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("CARECALC_DATABASE_URL", url)
    return url


def run(*args):
    """The installed console script, as users run it."""
    return subprocess.run([sys.executable, "-m", "care_services.cli", *args], capture_output=True, text=True)


def test_version_and_help():
    version = run("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"carecalc {__version__}"
    helped = run("--help")
    assert helped.returncode == 0
    for command in ("db", "sample", "template", "import", "export", "serve"):
        assert command in helped.stdout


def test_unknown_command_and_bad_arguments_exit_2():
    assert run("frobnicate").returncode == 2
    assert run("template", "nonsense", "--output", "x.xlsx").returncode == 2


def test_sample_load_into_the_configured_database(db, capsys):
    assert main(["sample", "load"]) == 0
    out = capsys.readouterr().out
    assert "projects: 87" in out and "divisions: 472" in out


def test_template_then_import_then_export(db, tmp_path, capsys):
    template = tmp_path / "people-template.xlsx"
    assert main(["template", "people", "--output", str(template)]) == 0
    assert load_workbook(template)["申请人"]["A1"].value == "身份证号"
    assert main(["sample", "load"]) == 0
    workbook = tmp_path / "applicants.xlsx"
    officials_workbook(workbook)
    report = tmp_path / "report.xlsx"
    assert main(["import", "people", str(workbook), "--report", str(report)]) == 2  # bad rows: exit 2
    captured = capsys.readouterr()
    assert "读取成功3行，出错6行" in captured.out
    assert "Sheet1!A4" in captured.err and "Traceback" not in captured.err
    assert report.exists()
    exported = tmp_path / "people.xlsx"
    assert main(["export", "people", "--output", str(exported)]) == 0
    assert "exported 3 rows" in capsys.readouterr().out
    assert main(["import", "people", str(exported)]) == 0


def test_bad_input_messages(db, tmp_path):
    missing = run("import", "people", str(tmp_path / "missing.xlsx"))
    assert missing.returncode == 2 and "文件不存在" in missing.stderr and "Traceback" not in missing.stderr
    wrong_suffix = run("template", "people", "--output", str(tmp_path / "x.txt"))
    assert wrong_suffix.returncode == 2 and ".xlsx" in wrong_suffix.stderr
    no_dir = run("template", "people", "--output", str(tmp_path / "nope" / "x.xlsx"))
    assert no_dir.returncode == 2 and "目录不存在" in no_dir.stderr
    negative = run("sample", "generate", "--people", "-3", "--output", str(tmp_path / "p.xlsx"))
    assert negative.returncode == 2 and "不能为负数" in negative.stderr
    nowhere = run("sample", "generate", "--people", "3")
    assert nowhere.returncode == 2 and "--output" in nowhere.stderr


def test_generate_is_seeded_and_loads(db, tmp_path):
    first, second, other = (tmp_path / name for name in ("a.csv", "b.csv", "c.csv"))
    assert run("sample", "generate", "--people", "50", "--seed", "4", "--output", str(first)).returncode == 0
    assert run("sample", "generate", "--people", "50", "--seed", "4", "--output", str(second)).returncode == 0
    assert run("sample", "generate", "--people", "50", "--seed", "5", "--output", str(other)).returncode == 0
    assert first.read_bytes() == second.read_bytes() != other.read_bytes()
    orphans = run("sample", "generate", "--people", "5", "--load")  # no divisions loaded yet: nothing may vanish quietly
    assert orphans.returncode == 2 and "loaded: 0" in orphans.stdout and "不存在" in orphans.stderr
    assert main(["sample", "load"]) == 0
    loaded = run("sample", "generate", "--people", "2500", "--seed", "4", "--output", str(tmp_path / "p.xlsx"), "--load")
    assert loaded.returncode == 0, loaded.stderr
    assert "loaded: 2500" in loaded.stdout
    assert "100%" in loaded.stderr  # the progress bar of a long write
    assert run("import", "people", str(tmp_path / "p.xlsx")).returncode == 0


def test_stale_database_is_refused_with_advice(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE facility_projects (code VARCHAR(32) PRIMARY KEY)")
    connection.commit()
    connection.close()
    result = run("--database", f"sqlite:///{path}", "sample", "load")
    assert result.returncode == 2 and "jurisdiction_code" in result.stderr and "Traceback" not in result.stderr


def test_the_parsers_entity_names_are_the_models():
    from care_services.model import ENTITY_MODELS
    from care_services.roster_kinds import ROSTERS
    from care_services.rosters import ROSTERS as checked
    from care_services.vocabulary import ENTITIES

    assert ENTITIES == tuple(ENTITY_MODELS) and checked is ROSTERS


def test_a_batch_evaluation_starts_without_the_database_layer(tmp_path):
    """`carecalc evaluate --input` with no database about imports neither SQLAlchemy nor the model (~0.7 s of start-up
    on a 2-core machine, issue 19); the result is written all the same."""
    from tests.test_batch_columns import _awkward_sheet

    source, output = tmp_path / "cases.xlsx", tmp_path / "result.xlsx"
    _awkward_sheet(source, rows=50)
    script = ("import sys\nfrom care_services.cli import main\ncode = main(sys.argv[1:])\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy' or m == 'care_services.model'))\n"
              "sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", script, "evaluate", "disability_care", "--input", str(source),
                           "--output", str(output), "--date", "2024-04-01", "--jurisdiction", "360902"],
                          capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "CARECALC_DATABASE_URL": ""})
    assert done.returncode in (0, 2), done.stderr  # 2: the awkward sheet has bad facts on purpose
    assert done.stdout.splitlines()[-1] == "[]" and output.exists()


def test_a_database_of_another_version_exits_2(tmp_path, monkeypatch, capsys):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as connection:  # tables, no alembic_version, a column missing
        connection.execute("CREATE TABLE divisions (code TEXT PRIMARY KEY)")
    monkeypatch.setenv("CARECALC_DATABASE_URL", f"sqlite:///{path}")
    assert main(["db", "upgrade"]) == 2
    assert "数据库结构与当前版本不一致" in capsys.readouterr().err
