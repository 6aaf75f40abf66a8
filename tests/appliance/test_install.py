"""`kiosk install --root DIR`: every file it writes (mode, content), the units and rules checked by
systemd's and udev's own tools where they are installed, idempotence, and an uninstall that leaves the
data alone. The real CLI in a subprocess, as an administrator runs it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kiosk.config import Settings, load_settings

KIOSK = Path(sys.executable).with_name("kiosk")
UNITS = [
    "kiosk-screen.service",
    "kiosk-supervise.service",
    "kiosk-backup.service",
    "kiosk-backup.timer",
    "kiosk-close-reminder.service",
    "kiosk-close-reminder.timer",
]
FILES = {
    "etc/kiosk/kiosk.toml": 0o640,
    "etc/kiosk/foot.ini": 0o644,
    "etc/sysusers.d/kiosk.conf": 0o644,
    "etc/tmpfiles.d/kiosk.conf": 0o644,
    "etc/udev/rules.d/70-kiosk.rules": 0o644,
    "etc/pam.d/kiosk-screen": 0o644,
    **{f"etc/systemd/system/{unit}": 0o644 for unit in UNITS},
}
DATA = ["", "anchors", "log", "reports", "backups"]


def kiosk(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(KIOSK), *args], capture_output=True, text=True, timeout=120, env=os.environ.copy(), check=False
    )
    if ok:
        assert result.returncode == 0, result.stderr
    return result


def install(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return kiosk("install", "--root", str(root), "--kiosk-bin", str(KIOSK), *extra)


def files_under(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mode & 0o777 for p in root.rglob("*") if p.is_file()}


def snapshot(root: Path) -> dict[str, tuple[int, int, bytes]]:
    return {
        str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes())
        for p in root.rglob("*")
        if p.is_file()
    }


@pytest.fixture
def root(tmp_path: Path) -> Path:
    target = tmp_path / "root"
    result = install(target)
    assert "created    /etc/kiosk/kiosk.toml" in result.stdout
    return target


def test_every_file_written_with_its_mode(root: Path) -> None:
    assert files_under(root) == FILES
    for part in DATA:
        folder = root / "var/lib/kiosk" / part
        assert folder.is_dir(), part
        assert folder.stat().st_mode & 0o777 == 0o700, part
        assert list(folder.iterdir()) == [] or part == "", part


def test_configuration_is_the_documented_example_with_the_data_in_var_lib(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KIOSK_PATHS__DATA_DIR")  # the tests' own data folder; the service sets none
    config = root / "etc/kiosk/kiosk.toml"
    settings = load_settings(config)
    assert str(settings.paths.data_dir) == "/var/lib/kiosk"
    assert settings.ledger.url == "sqlite:////var/lib/kiosk/ledger.sqlite3"
    assert str(settings.paths.backups) == "/var/lib/kiosk/backups"
    text = config.read_text(encoding="utf-8")
    # Every option of every section is in the file, each under a comment.
    raw = tomllib.loads(text)
    for section, field in Settings.model_fields.items():
        if section == "devices":
            assert "# [[devices]]" in text
            continue
        if section == "safe_io":  # optional: documented, commented out (no module by default)
            assert "# [safe_io]" in text
            continue
        assert section in raw, section
        for key in field.annotation.model_fields:  # type: ignore[union-attr]
            assert key in raw[section], f"[{section}] {key} is not in the installed configuration"
        # ... and explained: a comment right under each section's header.
        lines = text.splitlines()
        assert lines[lines.index(f"[{section}]") + 1].startswith("# "), section


def test_units_run_this_kiosk_as_the_kiosk_user(root: Path) -> None:
    units = root / "etc/systemd/system"
    screen = (units / "kiosk-screen.service").read_text()
    assert (
        "ExecStart=/usr/bin/cage -d -- /usr/bin/foot --config=/etc/kiosk/foot.ini --app-id=kiosk"
        f" -- {KIOSK} run" in screen
    )
    assert "Restart=always" in screen
    assert "PAMName=kiosk-screen" in screen
    assert "Environment=KIOSK_CONFIG_FILE=/etc/kiosk/kiosk.toml" in screen
    assert "Environment=XDG_CACHE_HOME=/var/cache/kiosk" in screen  # caches stay out of the data folder
    for unit in ("kiosk-supervise.service", "kiosk-backup.service", "kiosk-close-reminder.service"):
        text = (units / unit).read_text()
        assert "User=kiosk" in text, unit
        assert "Environment=KIOSK_CONFIG_FILE=/etc/kiosk/kiosk.toml" in text, unit
        assert "ReadWritePaths=-/var/lib/kiosk -/var/lib/kiosk/anchors" in text, unit
    assert f"ExecStart={KIOSK} supervise\n" in (units / "kiosk-supervise.service").read_text()
    assert f"ExecStart={KIOSK} backup\n" in (units / "kiosk-backup.service").read_text()
    assert f"ExecStart={KIOSK} close-reminder\n" in (units / "kiosk-close-reminder.service").read_text()
    assert "OnCalendar=*-*-* 02:30:00" in (units / "kiosk-backup.timer").read_text()
    assert "OnCalendar=Mon..Fri *-*-* 17:30:00" in (units / "kiosk-close-reminder.timer").read_text()
    foot = (root / "etc/kiosk/foot.ini").read_text()
    assert "font=Noto Sans Mono CJK JP:size=16,IPAGothic:size=16" in foot
    assert "pam_systemd.so" in (root / "etc/pam.d/kiosk-screen").read_text()


def test_user_and_folders(root: Path) -> None:
    sysusers = (root / "etc/sysusers.d/kiosk.conf").read_text()
    assert 'u kiosk - "Card-safe kiosk" /var/lib/kiosk /usr/sbin/nologin' in sysusers
    for group in ("dialout", "input", "video"):
        assert f"m kiosk {group}" in sysusers
    tmpfiles = (root / "etc/tmpfiles.d/kiosk.conf").read_text()
    lines = [line for line in tmpfiles.splitlines() if not line.startswith("#")]
    assert lines == [f"d /var/lib/kiosk{'/' + p if p else ''} 0700 kiosk kiosk -" for p in DATA]


@pytest.mark.skipif(shutil.which("systemd-sysusers") is None, reason="systemd-sysusers is not installed")
def test_systemd_creates_the_user_and_folders_from_these_files(root: Path) -> None:
    subprocess.run(["systemd-sysusers", f"--root={root}"], check=True, capture_output=True)
    passwd = (root / "etc/passwd").read_text()
    assert re.search(r"^kiosk:x:\d+:\d+:Card-safe kiosk:/var/lib/kiosk:/usr/sbin/nologin$", passwd, re.M)
    groups = {
        line.split(":")[0]: line.split(":")[3] for line in (root / "etc/group").read_text().splitlines()
    }
    assert {g: groups[g] for g in ("dialout", "input", "video")} == dict.fromkeys(
        ("dialout", "input", "video"), "kiosk"
    )
    tmpfiles = shutil.which("systemd-tmpfiles")
    if tmpfiles is not None:
        (root / "var/lib/kiosk/log").rmdir()
        subprocess.run(
            [tmpfiles, "--create", f"--root={root}", str(root / "etc/tmpfiles.d/kiosk.conf")],
            check=True,
            capture_output=True,
        )
        assert (root / "var/lib/kiosk/log").stat().st_mode & 0o777 == 0o700


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (.ci/run installs systemd)",
)
def test_systemd_analyze_verify_accepts_the_units(root: Path) -> None:
    units = root / "etc/systemd/system"
    names = list(UNITS)
    if not (Path("/usr/bin/cage").exists() and Path("/usr/bin/foot").exists()):
        # verify checks that ExecStart's program exists; .ci/run installs cage and foot.
        names.remove("kiosk-screen.service")
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(units / n) for n in names)],
        capture_output=True,
        text=True,
        check=False,
    )
    # systemd-analyze reports unknown keys and bad values on stderr and still exits 0: both must be clean.
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""
    assert result.stdout.strip() == ""


@pytest.mark.skipif(shutil.which("foot") is None, reason="foot is not installed (.ci/run installs it)")
def test_foot_accepts_its_configuration(root: Path) -> None:
    result = subprocess.run(
        ["foot", "--check-config", f"--config={root / 'etc/kiosk/foot.ini'}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert " warn" not in result.stderr
    assert " err" not in result.stderr


_RULE_TOKEN = re.compile(r'^([A-Z_]+)(\{[A-Za-z0-9_]+\})?(==|!=|\+=|-=|:=|=)"([^"]*)"$')


def rule_lines(text: str) -> list[list[tuple[str, str, str]]]:
    """Each rule as (key, operator, value) triples; a token that does not parse fails the test."""
    rules = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        triples = []
        for token in (t.strip() for t in line.split(", ")):
            match = _RULE_TOKEN.match(token)
            assert match, f"not a udev key/operator/value: {token!r}"
            triples.append((match[1] + (match[2] or ""), match[3], match[4]))
        rules.append(triples)
    return rules


def test_udev_rules_give_configured_devices_stable_names(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    base = (Path(__file__).parents[2] / "config/kiosk.example.toml").read_text(encoding="utf-8")
    scanner = "/dev/serial/by-id/usb-Honeywell_Scanner_ABC-if00"
    wedge = "/dev/input/by-id/usb-Wedge_Scanner-event-kbd"
    text = (
        base.replace('"var', '"/srv/kiosk').replace(
            'anchors = "/srv/kiosk/anchors"', 'anchors = "/mnt/second-disk/kiosk-anchors"'
        )
        + f'\n[[devices]]\nname = "counter-scanner"\ndriver = "serial"\noptions = {{ url = "{scanner}" }}\n'
        + f'\n[[devices]]\nname = "wedge"\ndriver = "evdev"\noptions = {{ path = "{wedge}" }}\n'
    )
    config.write_text(text, encoding="utf-8")
    root = tmp_path / "root"
    install(root, "--config-from", str(config))
    assert (root / "etc/kiosk/kiosk.toml").read_text(encoding="utf-8") == text
    # The anchors on another volume: created there, in tmpfiles and writable by the services.
    assert (root / "mnt/second-disk/kiosk-anchors").stat().st_mode & 0o777 == 0o700
    assert (
        "d /mnt/second-disk/kiosk-anchors 0700 kiosk kiosk -"
        in (root / "etc/tmpfiles.d/kiosk.conf").read_text()
    )
    assert "-/mnt/second-disk/kiosk-anchors" in (root / "etc/systemd/system/kiosk-backup.service").read_text()
    rules = rule_lines((root / "etc/udev/rules.d/70-kiosk.rules").read_text())
    assert [
        ("SUBSYSTEM", "==", "tty"),
        ("SYMLINK", "==", "serial/by-id/usb-Honeywell_Scanner_ABC-if00"),
        ("SYMLINK", "+=", "kiosk/counter-scanner"),
        ("GROUP", "=", "dialout"),
        ("MODE", "=", "0660"),
    ] in rules
    assert [
        ("SUBSYSTEM", "==", "input"),
        ("SYMLINK", "==", "input/by-id/usb-Wedge_Scanner-event-kbd"),
        ("SYMLINK", "+=", "kiosk/wedge"),
        ("GROUP", "=", "input"),
        ("MODE", "=", "0660"),
    ] in rules
    # Every USB serial port: dialout, and ModemManager keeps its AT probes away.
    assert any(("ENV{ID_MM_DEVICE_IGNORE}", "=", "1") in rule for rule in rules)


def test_default_rules_parse(root: Path) -> None:
    rules = rule_lines((root / "etc/udev/rules.d/70-kiosk.rules").read_text())
    assert {{k: v for k, _, v in r}.get("GROUP") for r in rules} == {"dialout", "input", "video"}


def test_udev_verify_accepts_the_rules(root: Path) -> None:
    udevadm = shutil.which("udevadm")
    if udevadm is None:
        pytest.skip("udevadm is not installed")
    probe = subprocess.run([udevadm, "verify", "--help"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(
            "this udevadm has no `verify` (systemd < 253, e.g. Debian 12's 252); `udevadm test` reads only"
            " the system's rule folders; the rules' syntax is checked by test_default_rules_parse"
        )
    result = subprocess.run(
        [udevadm, "verify", str(root / "etc/udev/rules.d/70-kiosk.rules")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_device_path_a_rule_cannot_match_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text(
        '[[devices]]\nname = "scanner"\ndriver = "serial"\n'
        'options = { url = "/dev/serial/by-id/usb-Bad*Name-if00" }\n',
        encoding="utf-8",
    )
    result = kiosk("install", "--root", str(tmp_path / "root"), "--config-from", str(config), ok=False)
    assert result.returncode == 2
    assert "characters a udev rule cannot match" in result.stderr
    assert not (tmp_path / "root/etc").exists()


def test_an_invalid_configuration_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text("[kiosk]\nlanguage = 'fr'\n", encoding="utf-8")
    result = kiosk("install", "--root", str(tmp_path / "root"), "--config-from", str(config), ok=False)
    assert result.returncode == 2
    assert "kiosk.language" in result.stderr
    assert not (tmp_path / "root").exists()


def test_second_run_changes_nothing(root: Path) -> None:
    before = snapshot(root)
    result = install(root)
    assert result.stdout.splitlines()[-1] == "nothing changed"
    assert not any(line.startswith(("created", "updated")) for line in result.stdout.splitlines())
    assert snapshot(root) == before


def test_a_changed_unit_is_put_back_and_an_edited_configuration_is_kept(root: Path) -> None:
    unit = root / "etc/systemd/system/kiosk-backup.timer"
    original = unit.read_text()
    unit.write_text("broken")
    config = root / "etc/kiosk/kiosk.toml"
    edited = config.read_text(encoding="utf-8").replace('name = "kiosk-1"', 'name = "kiosk-2"')
    config.write_text(edited, encoding="utf-8")
    config.chmod(0o644)
    result = install(root)
    assert "updated    /etc/systemd/system/kiosk-backup.timer" in result.stdout
    assert "updated    /etc/kiosk/kiosk.toml (as edited here; mode set to 0640)" in result.stdout
    assert unit.read_text() == original
    assert config.read_text(encoding="utf-8") == edited
    assert config.stat().st_mode & 0o777 == 0o640


def test_uninstall_leaves_the_configuration_and_the_data(root: Path) -> None:
    data = root / "var/lib/kiosk"
    kept = {
        data / "ledger.sqlite3": b"ledger",
        data / "pepper": b"pepper",
        data / "anchors/anchors.log": b"1:abc",
        data / "backups/ledger-1.sqlite3": b"copy",
        data / "log/kiosk.log": b"log",
    }
    for path, content in kept.items():
        path.write_bytes(content)
    config = (root / "etc/kiosk/kiosk.toml").read_bytes()
    result = kiosk("install", "--root", str(root), "--kiosk-bin", str(KIOSK), "--uninstall")
    assert "removed    /etc/systemd/system/kiosk-screen.service" in result.stdout
    assert "kept       /etc/kiosk/kiosk.toml (the configuration stays)" in result.stdout
    remaining = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    assert remaining == {"etc/kiosk/kiosk.toml", *(str(p.relative_to(root)) for p in kept)}
    assert (root / "etc/kiosk/kiosk.toml").read_bytes() == config
    for path, content in kept.items():
        assert path.read_bytes() == content
    assert all((data / p).stat().st_mode & 0o777 == 0o700 for p in DATA)
    again = kiosk("install", "--root", str(root), "--kiosk-bin", str(KIOSK), "--uninstall")
    assert again.stdout.splitlines()[-1] == "nothing changed"
    assert "systemctl disable" not in again.stdout  # the units are gone: nothing to disable
    # And back: the same files as a fresh install, the data untouched.
    install(root)
    assert {k: v for k, v in files_under(root).items() if k.startswith("etc/")} == FILES
    for path, content in kept.items():
        assert path.read_bytes() == content


def test_install_on_this_machine_needs_root(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: a real install would change this machine")
    result = kiosk("install", ok=False)
    assert result.returncode == 2
    assert "run it as root" in result.stderr


def test_relative_data_paths_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text('[paths]\ndata_dir = "var"\n', encoding="utf-8")
    result = kiosk("install", "--root", str(tmp_path / "root"), "--config-from", str(config), ok=False)
    assert result.returncode == 2
    assert "[paths] data_dir: give absolute paths" in result.stderr
    assert not (tmp_path / "root").exists()
