"""Signed backups (0600 files, HMAC with the instance key or one the administrator passes), forged backups refused,
the audit chain verified after restoring, and malformed backups refused with exit 2 and the database unchanged."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import stat
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from care_services import audit
from care_services.backup import SIGNATURE, _signature, key_id, load_key
from care_services.cli import main
from care_services.db import make_engine, session_scope
from care_services.model import AuditEntry, CareCase, User
from tests.workflow.conftest import submit, walk

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def run(*argv) -> tuple[int, str]:
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = main(list(argv))
    return code, output.getvalue()


def _state(engine) -> dict:
    """What a refused restore must leave as it was."""
    with engine.connect() as connection:
        counts = {model.__tablename__: connection.scalar(select(func.count()).select_from(model))
                  for model in (User, CareCase, AuditEntry)}
        counts["head"] = audit.verify(connection).head_hash
        counts["users"] = sorted(connection.scalars(select(User.username)))
    return counts


@pytest.fixture
def backed_up(county, tmp_path):
    case_id = submit(county)
    walk(county, case_id)
    archive = tmp_path / "backup.zip"
    code, output = run("--database", url_of(county), "backup", str(archive))
    assert code == 0 and "已签名" in output
    return archive


def rewrite(source: Path, target: Path, change, *, resign: bytes | None = None, checksums: bool = True) -> Path:
    """A copy of a backup with ``change(name, data) -> data`` applied to its tables (and the manifest, passed as
    parsed JSON under the name 'manifest'); checksums recomputed, and re-signed with ``resign`` if given."""
    with zipfile.ZipFile(source) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(files.pop("manifest.json"))
    signature = files.pop(SIGNATURE)
    for name in list(files):
        table = name.removeprefix("tables/").removesuffix(".jsonl")
        files[name] = change(table, files[name])
        if checksums and isinstance(manifest.get("tables"), dict) and table in manifest["tables"]:
            manifest["tables"][table] = {"rows": len([l for l in files[name].splitlines() if l]),
                                         "sha256": hashlib.sha256(files[name]).hexdigest()}
    manifest = change("manifest", manifest)
    manifest_bytes = json.dumps(manifest, ensure_ascii=False).encode()
    if resign:
        signature = json.dumps({"algorithm": "HMAC-SHA256", "key_id": key_id(resign),
                                "signature": _signature(resign, manifest_bytes)}).encode()
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr("manifest.json", manifest_bytes)
        if signature is not None:
            archive.writestr(SIGNATURE, signature)
    return target


def unchanged(name, data):
    return data


def test_a_backup_is_signed_private_and_restores_with_its_audit_chain(backed_up, county, tmp_path, backup_key_file):
    assert stat.S_IMODE(backed_up.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup_key_file.stat().st_mode) == 0o600
    with zipfile.ZipFile(backed_up) as archive:
        signature = json.loads(archive.read(SIGNATURE))
    assert signature["algorithm"] == "HMAC-SHA256" and signature["key_id"] == key_id(load_key())
    target = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    code, output = run("--database", target, "restore", str(backed_up))
    assert code == 0 and "审计日志校验通过" in output and "the audit chain verifies" in output
    assert _state(make_engine(target))["head"] == _state(county)["head"]
    assert run("--database", target, "audit", "verify")[0] == 0


def test_an_administrator_key_signs_and_only_that_key_restores(county, tmp_path):
    submit(county)
    own_key = tmp_path / "office.key"
    own_key.write_text("k" * 64)
    archive = tmp_path / "b.zip"
    assert run("--database", url_of(county), "backup", str(archive), "--key-file", str(own_key))[0] == 0
    target = f"sqlite:///{tmp_path / 't.sqlite3'}"
    code, output = run("--database", target, "restore", str(archive))  # the instance key is another one
    assert code == 2 and "另一密钥" in output and "another key" in output
    assert run("--database", target, "restore", str(archive), "--key-file", str(own_key))[0] == 0


def test_an_unsigned_backup_is_refused_unless_trusted(backed_up, tmp_path):
    with zipfile.ZipFile(backed_up) as source, zipfile.ZipFile(tmp_path / "unsigned.zip", "w") as target:
        for name in source.namelist():
            if name != SIGNATURE:
                target.writestr(name, source.read(name))
    target_url = f"sqlite:///{tmp_path / 't.sqlite3'}"
    code, output = run("--database", target_url, "restore", str(tmp_path / "unsigned.zip"))
    assert code == 2 and "未签名" in output and "not signed" in output and "--trust-unsigned" in output
    code, output = run("--database", target_url, "restore", str(tmp_path / "unsigned.zip"), "--trust-unsigned")
    assert code == 0 and "warning" in output


PLANTED_HASH = "scrypt:32768:8:1$planted$" + "0" * 64


def _forge(name, data):
    """Rewrite who did the audited steps and plant an administrator, as issue 14 found restored cleanly."""
    if name == "audit_log":
        return data.replace(b'"username": "zhou"', b'"username": "li"')
    if name == "users":
        rows = [json.loads(line) for line in data.decode().splitlines()]
        admin = next(row for row in rows if row["role"] == "administrator")
        planted = {**admin, "id": max(row["id"] for row in rows) + 1, "username": "mallory", "display_name": "m",
                   "password_hash": PLANTED_HASH}
        return data + (json.dumps(planted, ensure_ascii=False) + "\n").encode()
    return data


@pytest.mark.parametrize("trust", [False, True])
def test_a_forged_backup_with_recomputed_checksums_is_refused(backed_up, county, tmp_path, trust):
    forged = rewrite(backed_up, tmp_path / "forged.zip", _forge)
    before = _state(county)
    code, output = run("--database", url_of(county), "restore", str(forged), "--replace",
                       *(["--trust-unsigned"] if trust else []))
    assert code == 2 and CHINESE.search(output) and re.search(r"[a-z]{4,}", output)
    if trust:  # past the signature, the audit chain gives the rewrite away
        assert "审计日志" in output and "audit" in output and re.search(r"entry \d+", output)
    else:
        assert "签名不符" in output and "signature does not match" in output
    assert _state(county) == before and "mallory" not in before["users"]


def test_a_forgery_with_its_audit_chain_recomputed_is_refused_by_the_signature(backed_up, county, tmp_path):
    import datetime as dt

    with zipfile.ZipFile(backed_up) as archive:
        entries = [json.loads(line) for line in _forge("audit_log", archive.read("tables/audit_log.jsonl")).splitlines()]
    previous = audit.GENESIS
    for row in entries:  # the forger knows the (public) hash rule and rebuilds the whole chain
        row["previous_hash"] = previous
        row["entry_hash"] = previous = audit.entry_hash({**row, "at": dt.datetime.fromisoformat(row["at"])}, previous)

    def forge_everything(name, data):
        if name == "audit_log":
            return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in entries).encode()
        if name == "audit_chain_head":
            return (json.dumps({**json.loads(data), "last_hash": previous}) + "\n").encode()
        return _forge(name, data)

    forged = rewrite(backed_up, tmp_path / "forged.zip", forge_everything)
    before = _state(county)
    code, output = run("--database", url_of(county), "restore", str(forged), "--replace")
    assert code == 2 and "签名不符" in output
    assert _state(county) == before
    # what the signature stops: trusted, such a forgery is consistent throughout and would restore
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}"
    assert run("--database", elsewhere, "restore", str(forged), "--trust-unsigned")[0] == 0
    assert "mallory" in _state(make_engine(elsewhere))["users"]


def _table_change(table, change):
    return lambda name, data: change(data) if name == table else data


def _manifest_change(change):
    return lambda name, data: change(data) if name == "manifest" else data


MALFORMED = {
    "tables_as_a_list": (_manifest_change(lambda m: {**m, "tables": list(m["tables"])}), "tables"),
    "no_revision": (_manifest_change(lambda m: {k: v for k, v in m.items() if k != "revision"}), "revision"),
    "unknown_revision": (_manifest_change(lambda m: {**m, "revision": "9999"}), "9999"),
    "unknown_column": (_table_change("cases", lambda d: d.replace(b'{"id": ', b'{"salary": 1, "id": ', 1)), "salary"),
    "impossible_date": (_table_change("cases", lambda d: re.sub(rb'"submitted_on": "[^"]+"',
                                                                 b'"submitted_on": "2023-02-30"', d, count=1)),
                        "2023-02-30"),
    "row_not_an_object": (_table_change("people", lambda d: b"[1, 2]\n" + d), "JSON"),
    "row_not_json": (_table_change("people", lambda d: b"{oops\n" + d), "JSON"),
    "unknown_table": (_manifest_change(lambda m: {**m, "tables": {**m["tables"], "salaries": {
        "rows": 0, "sha256": hashlib.sha256(b"").hexdigest()}}}), "salaries"),
    "rows_miscounted": (_manifest_change(lambda m: {**m, "tables": {**m["tables"], "cases": {
        **m["tables"]["cases"], "rows": 5}}}), "cases"),
    "manifest_not_an_object": (_manifest_change(lambda m: ["not", "a", "manifest"]), "manifest"),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_a_malformed_backup_exits_2_saying_why_and_leaves_the_database_unchanged(backed_up, county, tmp_path, kind):
    change, named = MALFORMED[kind]
    malformed = rewrite(backed_up, tmp_path / f"{kind}.zip", change, resign=load_key(),
                        checksums=kind != "rows_miscounted")
    if kind == "unknown_table":  # its file too, so only the table's name is wrong
        with zipfile.ZipFile(malformed, "a") as archive:
            archive.writestr("tables/salaries.jsonl", b"")
    before = _state(county)
    code, output = run("--database", url_of(county), "restore", str(malformed), "--replace")
    assert code == 2, output
    assert named in output and CHINESE.search(output) and re.search(r"[a-z]{4,} [a-z]{2,}", output), output
    assert "内部错误" not in output and "Traceback" not in output
    assert _state(county) == before


@pytest.mark.parametrize("content", [b"not a zip", b"PK\x03\x04broken", b""])
def test_a_file_that_is_not_a_zip_exits_2(county, tmp_path, content):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(content)
    before = _state(county)
    code, output = run("--database", url_of(county), "restore", str(bad), "--replace")
    assert code == 2 and "zip" in output and CHINESE.search(output)
    assert _state(county) == before


def _with_extra_member(source: Path, target: Path, name: str, data: bytes) -> Path:
    with zipfile.ZipFile(source) as archive:
        files = {member: archive.read(member) for member in archive.namelist()}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, content in {**files, name: data}.items():
            archive.writestr(member, content)
    return target


def test_a_decompression_bomb_is_refused_from_the_zip_directory_before_anything_is_inflated(backed_up, county,
                                                                                            tmp_path, monkeypatch):
    """16 MB of zeros pack to ~16 KB (about 1,030 times): refused as a bomb by its ratio, a part declared larger than
    the per-part limit or a total past the limit by the declared sizes; the command exits 2, the database as it was."""
    from care_services import backup

    bomb = _with_extra_member(backed_up, tmp_path / "bomb.zip", "tables/padding.jsonl", bytes(16 * 1024 * 1024))
    inflated = []
    monkeypatch.setattr(backup, "_member", lambda archive, name: inflated.append(name) or archive.read(name))
    with pytest.raises(backup.BackupError) as refused:
        backup.read_backup(bomb, key=load_key(), limits=backup.RESTORE_LIMITS.scaled(ratio=100))
    assert "压缩炸弹" in refused.value.zh and "decompression bomb" in refused.value.en
    with pytest.raises(backup.BackupError) as refused:
        backup.read_backup(bomb, key=load_key(), limits=backup.RESTORE_LIMITS.scaled(member_bytes=8 * 1024 * 1024))
    assert "tables/padding.jsonl" in refused.value.zh and "备份文件解压后过大" in refused.value.zh
    with pytest.raises(backup.BackupError) as refused:
        backup.read_backup(bomb, key=load_key(), limits=backup.RESTORE_LIMITS.scaled(total_bytes=8 * 1024 * 1024, ratio=2000))
    assert "备份文件解压后共" in refused.value.zh and "the backup unpacks to" in refused.value.en
    assert inflated == []  # refused on the directory alone
    before = _state(county)  # the default limits: deflate's ~1,030 times is past 1,000
    code, output = run("--database", url_of(county), "restore", str(bomb), "--replace")
    assert code == 2 and "疑似压缩炸弹" in output and "decompression bomb" in output, output
    assert "Traceback" not in output and _state(county) == before


def test_a_backup_with_more_parts_than_a_schema_has_tables_is_refused(backed_up, tmp_path):
    from care_services import backup

    with zipfile.ZipFile(backed_up) as archive:
        parts = len(archive.namelist())
    crowded = _with_extra_member(backed_up, tmp_path / "crowded.zip", "tables/extra.jsonl", b"")
    with pytest.raises(backup.BackupError) as refused:
        backup.read_backup(crowded, key=load_key(), limits=backup.RESTORE_LIMITS.scaled(members=parts))
    assert "组成部分过多" in refused.value.zh and "too many parts" in refused.value.en
