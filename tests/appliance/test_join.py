"""A second kiosk joins the first kiosk's PostgreSQL ledger: `kiosk export-pepper` on the first,
`kiosk join` on the second, against the CI PostgreSQL with the owner and application roles. The second
kiosk writes to the same chain; every refusal (wrong pepper, missing role grants, the owner role, wrong
database, a SQLite configuration, a name in use) says at which step and writes nothing."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from kiosk.ledger.engine import make_engine
from tests import warm
from tests.conftest import PgSchema


@dataclass(frozen=True)
class Kiosk:
    """One kiosk PC: its configuration and data folder."""

    name: str
    config: Path
    data: Path

    def run(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
        env["KIOSK_CONFIG_FILE"] = str(self.config)
        return warm.run(
            [sys.executable, "-m", "kiosk", *args],
            input=stdin, capture_output=True, text=True, env=env, timeout=180, check=False,
        )  # fmt: skip


def make_kiosk(tmp_path: Path, name: str, url: str) -> Kiosk:
    folder = tmp_path / name
    folder.mkdir()
    config = folder / "kiosk.toml"
    config.write_text(
        f'[ledger]\nurl = "{url}"\n[kiosk]\nname = "{name}"\n[paths]\ndata_dir = "{folder / "var"}"\n',
        encoding="utf-8",
    )
    return Kiosk(name, config, folder / "var")


@pytest.fixture
def roles(pg_schema: PgSchema) -> PgSchema:
    if pg_schema.app_role is None:
        pytest.skip("KIOSK_TEST_PG_OWNER_ROLE / KIOSK_TEST_PG_APP_ROLE are not set (.ci/run sets them)")
    return pg_schema


def first_kiosk(tmp_path: Path, schema: PgSchema, *, app_role: bool = True) -> Kiosk:
    """The first kiosk: `kiosk init` as the owner role (granting the application role), then it runs
    as the application role."""
    first = make_kiosk(tmp_path, "kiosk-1", schema.app_url)
    grant = ["--app-role", str(schema.app_role)] if app_role else []
    admin = ["--admin-name", "情報太郎", "--admin-badge", "A001", "--admin-employee-no", "E9001"]
    init = first.run("--db", schema.owner_url, "init", *grant, *admin, stdin="9999\n")
    assert init.returncode == 0, init.stderr
    return first


def export(first: Kiosk, tmp_path: Path) -> Path:
    exported = tmp_path / "usb" / "pepper.export"
    exported.parent.mkdir()
    result = first.run("export-pepper", "-o", str(exported))
    assert result.returncode == 0, result.stderr
    assert "the secret behind every PIN" in result.stderr
    assert exported.stat().st_mode & 0o777 == 0o600
    return exported


def test_a_second_kiosk_joins_and_writes_to_the_same_chain(tmp_path: Path, roles: PgSchema) -> None:
    first = first_kiosk(tmp_path, roles)
    exported = export(first, tmp_path)
    assert exported.read_bytes() == (first.data / "pepper").read_bytes()
    second = make_kiosk(tmp_path, "kiosk-2", roles.app_url)
    joined = second.run("join", "--pepper-file", str(exported))
    assert joined.returncode == 0, joined.stderr
    assert f"as kiosk 'kiosk-2' (role {roles.app_role})" in joined.stdout
    assert (second.data / "pepper").read_bytes() == exported.read_bytes()
    assert (second.data / "pepper").stat().st_mode & 0o777 == 0o600
    # The second kiosk signs the administrator in and adds the first colleague: on the one chain.
    added = second.run(
        "staff", "add", "--name", "保管正子", "--badge", "O001", "--employee-no", "E1001",
        "--role", "officer", "--rank", "正", "--operator", "A001", stdin="9999\n1111\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = first.run("staff", "list")
    assert listed.returncode == 0, listed.stderr
    assert "O001" in listed.stdout
    # The first kiosk verifies the whole chain, the new member's PIN MAC (made with the second kiosk's
    # copy of the pepper) included.
    verified = first.run("verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    owner = make_engine(roles.owner_url)
    with owner.connect() as conn:
        kinds = list(conn.execute(text("SELECT kind FROM events ORDER BY seq")).scalars())
    owner.dispose()
    assert kinds.count("staff_added") == 2


def refused(result: subprocess.CompletedProcess[str], step: str, says: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    line = result.stderr.strip()
    assert line.startswith(f"kiosk: join refused at {step}: "), line
    assert says in line


def test_a_wrong_pepper_is_refused(tmp_path: Path, roles: PgSchema) -> None:
    first_kiosk(tmp_path, roles)
    wrong = tmp_path / "wrong-pepper"
    wrong.write_bytes(secrets.token_hex(32).encode())
    second = make_kiosk(tmp_path, "kiosk-2", roles.app_url)
    refused(second.run("join", "--pepper-file", str(wrong)), "pepper", "is not this ledger's pepper")
    assert not (second.data / "pepper").exists()


def test_an_application_role_without_its_grants_is_refused(tmp_path: Path, roles: PgSchema) -> None:
    first = first_kiosk(tmp_path, roles, app_role=False)
    exported = tmp_path / "pepper.export"
    exported.write_bytes((first.data / "pepper").read_bytes())
    second = make_kiosk(tmp_path, "kiosk-2", roles.app_url)
    result = second.run("join", "--pepper-file", str(exported))
    refused(result, "role", f"the role {roles.app_role} may not use the schema {roles.name}")
    assert f"init --app-role {roles.app_role}" in result.stderr
    assert not (second.data / "pepper").exists()


def test_the_owner_role_is_refused(tmp_path: Path, roles: PgSchema) -> None:
    first = first_kiosk(tmp_path, roles)
    exported = export(first, tmp_path)
    second = make_kiosk(tmp_path, "kiosk-2", roles.owner_url)
    result = second.run("join", "--pepper-file", str(exported))
    refused(result, "role", "the owner of the ledger's tables")
    assert not (second.data / "pepper").exists()


def test_a_wrong_database_is_refused(tmp_path: Path, roles: PgSchema) -> None:
    first = first_kiosk(tmp_path, roles)
    exported = export(first, tmp_path)
    url = make_url(roles.app_url).set(database="no_such_ledger").render_as_string(hide_password=False)
    second = make_kiosk(tmp_path, "kiosk-2", url)
    refused(
        second.run("join", "--pepper-file", str(exported)),
        "database",
        'database "no_such_ledger" does not exist',
    )
    # The right database with a schema that is not there: the search_path is wrong.
    other = roles.app_url.replace(roles.name, "no_such_schema")
    third = make_kiosk(tmp_path, "kiosk-3", other)
    refused(third.run("join", "--pepper-file", str(exported)), "database", "no schema of the search_path")
    assert not (second.data / "pepper").exists()
    assert not (third.data / "pepper").exists()


def test_a_name_in_use_is_refused(tmp_path: Path, roles: PgSchema) -> None:
    first = first_kiosk(tmp_path, roles)
    exported = export(first, tmp_path)
    (tmp_path / "pc2").mkdir()
    twin = make_kiosk(tmp_path / "pc2", "kiosk-1", roles.app_url)
    refused(
        twin.run("join", "--pepper-file", str(exported)), "name", "another kiosk already records as 'kiosk-1'"
    )
    assert not (twin.data / "pepper").exists()
    replaced = twin.run("join", "--pepper-file", str(exported), "--replace")
    assert replaced.returncode == 0, replaced.stderr


def test_a_sqlite_configuration_is_refused(tmp_path: Path) -> None:
    second = make_kiosk(tmp_path, "kiosk-2", f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    pepper = tmp_path / "pepper.export"
    pepper.write_bytes(b"x" * 64)
    refused(
        second.run("join", "--pepper-file", str(pepper)),
        "database",
        "several kiosks share one PostgreSQL ledger",
    )


def test_export_pepper_refuses_the_pepper_itself_and_a_missing_ledger(tmp_path: Path) -> None:
    kiosk = make_kiosk(tmp_path, "kiosk-1", "")
    missing = kiosk.run("export-pepper", "-o", str(tmp_path / "out"))
    assert missing.returncode == 3
    assert "there is no ledger" in missing.stderr
    assert not (tmp_path / "out").exists()
    admin = ["--admin-name", "情報太郎", "--admin-badge", "A001", "--admin-employee-no", "E9001"]
    init = kiosk.run("init", *admin, stdin="9999\n")
    assert init.returncode == 0, init.stderr
    onto = kiosk.run("export-pepper", "-o", str(kiosk.data / "pepper"))
    assert onto.returncode == 2
    assert "is the kiosk's own file" in onto.stderr
    copy = kiosk.run("export-pepper", "-o", str(tmp_path / "out"))
    assert copy.returncode == 0, copy.stderr
    assert (tmp_path / "out").read_bytes() == (kiosk.data / "pepper").read_bytes()
