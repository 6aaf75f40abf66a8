"""What `kiosk install` puts on the kiosk PC: every file with its mode and content, and the data folders.

The layout is a pure function of the installed configuration (`/etc/kiosk/kiosk.toml`) and the path of
the `kiosk` program: the templates in `files/` with `@NAME@` placeholders filled in. Nothing here
touches the disk except reading the templates; `kiosk.appliance.install` writes the plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from kiosk.config import Settings, data_paths, sqlite_file

CONFIG = PurePosixPath("/etc/kiosk/kiosk.toml")
FOOT_INI = PurePosixPath("/etc/kiosk/foot.ini")
DATA_DIR = PurePosixPath("/var/lib/kiosk")
UNIT_DIR = PurePosixPath("/etc/systemd/system")

# The units `kiosk install` enables: the screen and the view at boot, the two timers.
ENABLED = (
    "kiosk-screen.service",
    "kiosk-supervise.service",
    "kiosk-backup.timer",
    "kiosk-close-reminder.timer",
)
UNITS = (
    "kiosk-screen.service",
    "kiosk-supervise.service",
    "kiosk-backup.service",
    "kiosk-backup.timer",
    "kiosk-close-reminder.service",
    "kiosk-close-reminder.timer",
)

_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
# A by-id link name goes into a udev match string: refuse anything that is not plain.
_PLAIN_LINK = re.compile(r"^[A-Za-z0-9._:+,=@-]+$")


class LayoutError(Exception):
    """The configuration cannot be installed as it is; the message says what to change."""


@dataclass(frozen=True, slots=True)
class PlannedFile:
    """One file the installer owns: where (an absolute path on the kiosk PC), its mode and content.

    `keep_edits`: a file the administrator edits (the configuration); an existing one is never
    overwritten and `--uninstall` leaves it.
    """

    path: PurePosixPath
    mode: int
    content: str
    keep_edits: bool = False


@dataclass(frozen=True, slots=True)
class Layout:
    """Everything `kiosk install` creates: files, and data folders (0700, the kiosk user's)."""

    files: tuple[PlannedFile, ...]
    folders: tuple[PurePosixPath, ...]


def template(name: str) -> str:
    """A template from `kiosk/appliance/files/`."""
    return (resources.files("kiosk.appliance") / "files" / name).read_text(encoding="utf-8")


def example_config_text() -> str:
    """The documented example configuration (`config/kiosk.example.toml`; in a wheel, packaged beside
    this module by pyproject's force-include)."""
    packaged = resources.files("kiosk.appliance") / "kiosk.example.toml"
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    source = Path(__file__).resolve().parents[2] / "config" / "kiosk.example.toml"
    return source.read_text(encoding="utf-8")


_PATH_LINE = re.compile(r'^(data_dir|ledger|pepper|anchors|logs|reports|backups) = "var(/[^"]*)?"$', re.M)


def default_config_text() -> str:
    """The example configuration with the data folder at /var/lib/kiosk: what a new install gets."""
    text = example_config_text()
    text, count = _PATH_LINE.subn(lambda m: f'{m[1]} = "{DATA_DIR}{m[2] or ""}"', text)
    if count != 7:
        raise LayoutError(f"the example configuration's [paths] changed shape ({count} of 7 paths found)")
    header = (
        "# Installed by `kiosk install` as /etc/kiosk/kiosk.toml (0640, root:kiosk). After editing it, run\n"
        "# `kiosk doctor`; after changing [paths] or [[devices]] run `kiosk install` again (data folders,\n"
        "# udev names). The kiosk's services read it through KIOSK_CONFIG_FILE.\n"
    )
    return header + text


def fill(text: str, values: dict[str, str]) -> str:
    """Replace every `@NAME@`; a placeholder without a value is a bug in the templates."""

    def one(match: re.Match[str]) -> str:
        if match[1] not in values:
            raise LayoutError(f"template placeholder @{match[1]}@ has no value")
        return values[match[1]]

    return _PLACEHOLDER.sub(one, text)


def data_folders(settings: Settings) -> tuple[PurePosixPath, ...]:
    """The data folders the configuration names: the data directory, the anchors, logs, reports and
    backups folders, and the folders holding the SQLite ledger and the pepper (in that order, once each)."""
    paths = data_paths(settings)
    folders = [paths.root, paths.anchors, paths.logs, paths.reports, paths.backups, paths.pepper.parent]
    database = sqlite_file(settings.ledger.url)
    if database is not None:
        folders.append(database.parent)
    seen: list[PurePosixPath] = []
    for folder in folders:
        posix = PurePosixPath(folder)
        if posix not in seen:
            seen.append(posix)
    return tuple(seen)


def _configured_links(settings: Settings) -> list[tuple[str, str]]:
    """(name, by-id link) of every configured device path, wherever it sits in the configuration
    (a `[[devices]]` option or another section's setting, such as a safe I/O module's port)."""
    found: list[tuple[str, str]] = []

    def walk(value: Any, name: str) -> None:
        if isinstance(value, str) and value.startswith("/dev/") and "/by-id/" in value:
            found.append((name, value))
        elif isinstance(value, dict):
            for inner in value.values():
                walk(inner, name)
        elif isinstance(value, list):
            for inner in value:
                walk(inner, name)

    for device in settings.devices:
        walk(device.options, device.name)
    dumped = settings.model_dump(mode="json", exclude={"devices"})
    for section, values in dumped.items():
        walk(values, section)
    return found


_SUBSYSTEM = {"serial": ("tty", "dialout"), "input": ("input", "input"), "v4l": ("video4linux", "video")}


def device_rules(settings: Settings) -> str:
    """One udev rule per configured device: /dev/kiosk/<name> and its group, matched by its by-id link."""
    lines = []
    for name, link in _configured_links(settings):
        parts = PurePosixPath(link).parts  # ('/', 'dev', 'serial', 'by-id', 'usb-…')
        if len(parts) != 5 or parts[3] != "by-id" or parts[2] not in _SUBSYSTEM:
            raise LayoutError(f"{name}: {link} is not a /dev/serial|input|v4l/by-id/ link")
        if not _PLAIN_LINK.match(parts[4]) or not _PLAIN_LINK.match(name):
            raise LayoutError(f"{name}: {link}: the name or link holds characters a udev rule cannot match")
        subsystem, group = _SUBSYSTEM[parts[2]]
        lines.append(
            f'SUBSYSTEM=="{subsystem}", SYMLINK=="{parts[2]}/by-id/{parts[4]}", '
            f'SYMLINK+="kiosk/{name}", GROUP="{group}", MODE="0660"'
        )
    return "\n".join(lines) if lines else "# (no [[devices]] with a by-id path configured yet)"


def plan(settings: Settings, config_text: str, kiosk_bin: Path) -> Layout:
    """The whole layout for this configuration (`config_text` is what /etc/kiosk/kiosk.toml holds or
    will hold) and the `kiosk` program at `kiosk_bin`."""
    folders = data_folders(settings)
    data_dir = PurePosixPath(data_paths(settings).root)
    values = {
        "CONFIG": str(CONFIG),
        "FOOT_INI": str(FOOT_INI),
        "DATA_DIR": str(data_dir),
        "KIOSK_BIN": str(kiosk_bin),
        # "-": a folder on a volume that is not mounted does not stop the unit; the kiosk says why.
        "RW_PATHS": " ".join(f"-{f}" for f in folders),
        "DIRS": "\n".join(f"d {f} 0700 kiosk kiosk -" for f in folders),
        "DEVICE_RULES": device_rules(settings),
    }
    files = [
        PlannedFile(CONFIG, 0o640, config_text, keep_edits=True),
        PlannedFile(FOOT_INI, 0o644, template("foot.ini")),
        PlannedFile(
            PurePosixPath("/etc/sysusers.d/kiosk.conf"), 0o644, fill(template("sysusers.conf"), values)
        ),
        PlannedFile(
            PurePosixPath("/etc/tmpfiles.d/kiosk.conf"), 0o644, fill(template("tmpfiles.conf"), values)
        ),
        PlannedFile(
            PurePosixPath("/etc/udev/rules.d/70-kiosk.rules"), 0o644, fill(template("kiosk.rules"), values)
        ),
        PlannedFile(PurePosixPath("/etc/pam.d/kiosk-screen"), 0o644, template("pam-kiosk-screen")),
        *(PlannedFile(UNIT_DIR / unit, 0o644, fill(template(unit), values)) for unit in UNITS),
    ]
    return Layout(tuple(files), folders)
