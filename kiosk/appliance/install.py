"""Write the layout (`kiosk install`) or take it away (`--uninstall`), idempotently.

Under `root` (anything but `/`) only files and folders are written, for review and tests: no user is
created, nothing is chowned and no systemd or udev command runs; the commands that would run are
listed instead. On `/` (as root) the same files are written, then `systemd-sysusers` creates the
`kiosk` user, `systemd-tmpfiles` its data folders, udev reloads its rules and systemd enables the units.

`--uninstall` removes only the files the installer owns: never the configuration, the ledger, the
pepper, the anchors, the logs or the backups, and never the `kiosk` user (Debian leaves system users
in place: files they own may remain).
"""

from __future__ import annotations

import contextlib
import grp
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kiosk.appliance.layout import ENABLED, UNIT_DIR, Layout, PlannedFile

# Debian packages the appliance runs on: the compositor (Debian 12's cage will not start without
# Xwayland, which apt does not pull in without recommends), the terminal, the Japanese fonts, printing.
PACKAGES = (
    "cage",
    "xwayland",
    "foot",
    "fonts-noto-cjk",
    "fonts-noto-color-emoji",
    "fonts-ipaexfont-gothic",
    "cups",
    "cups-bsd",
)
PROGRAMS = {
    "cage": "/usr/bin/cage",
    "Xwayland (xwayland)": "/usr/bin/Xwayland",
    "foot": "/usr/bin/foot",
    "lpstat (cups-bsd)": "/usr/bin/lpstat",
}


class InstallError(Exception):
    """The install could not go on; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Step:
    """One thing done (or found already done): `action` is created, updated, unchanged, kept, removed,
    absent, ran, or would run."""

    action: str
    what: str

    def __str__(self) -> str:
        return f"{self.action:<10} {self.what}"


def under(root: Path, path: PurePosixPath) -> Path:
    """`path` (absolute on the kiosk PC) inside `root`."""
    return root / path.relative_to("/")


def _write(target: Path, planned: PlannedFile) -> None:
    """Write atomically: a temporary file in the same folder with the final mode, then rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(planned.content)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, planned.mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def place_file(root: Path, planned: PlannedFile) -> Step:
    """Create or update one file; an unchanged file (content and mode) is not touched."""
    target = under(root, planned.path)
    if target.is_symlink():
        raise InstallError(f"{planned.path} is a symbolic link: remove it and run kiosk install again")
    if target.exists():
        same_mode = target.stat().st_mode & 0o777 == planned.mode
        if planned.keep_edits:
            # The administrator's file: its content is theirs; only its mode is the installer's.
            if same_mode:
                return Step("unchanged", f"{planned.path} (as edited here)")
            os.chmod(target, planned.mode)
            return Step("updated", f"{planned.path} (as edited here; mode set to {planned.mode:04o})")
        if same_mode and target.read_text(encoding="utf-8") == planned.content:
            return Step("unchanged", str(planned.path))
        _write(target, planned)
        return Step("updated", str(planned.path))
    _write(target, planned)
    return Step("created", str(planned.path))


def place_folder(root: Path, folder: PurePosixPath) -> Step:
    """A data folder, 0700; an existing one keeps its content (only its mode is set)."""
    target = under(root, folder)
    if target.is_dir():
        if target.stat().st_mode & 0o777 == 0o700:
            return Step("unchanged", f"{folder}/")
        os.chmod(target, 0o700)
        return Step("updated", f"{folder}/ (mode 0700)")
    target.mkdir(mode=0o700, parents=True)
    os.chmod(target, 0o700)  # mkdir's mode is masked by the umask
    return Step("created", f"{folder}/")


def _commands() -> list[list[str]]:
    """What a real install runs after writing the files, in order."""
    return [
        ["systemd-sysusers", "/etc/sysusers.d/kiosk.conf"],
        ["systemd-tmpfiles", "--create", "/etc/tmpfiles.d/kiosk.conf"],
        ["udevadm", "control", "--reload"],
        [
            "udevadm",
            "trigger",
            "--subsystem-match=tty",
            "--subsystem-match=input",
            "--subsystem-match=video4linux",
        ],
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", *ENABLED],
        ["systemctl", "start", *(u for u in ENABLED if u.endswith(".timer"))],
    ]


def _run(command: list[str]) -> Step:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise InstallError(f"{command[0]} is not installed: this installer needs systemd and udev") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise InstallError(f"{' '.join(command)} failed: {detail[-1] if detail else done.returncode}")
    return Step("ran", " ".join(command))


def _config_owner(root: Path, layout: Layout) -> None:
    """The configuration is root:kiosk 0640: the kiosk reads it, only root changes it."""
    for planned in layout.files:
        if planned.keep_edits:
            os.chown(under(root, planned.path), 0, grp.getgrnam("kiosk").gr_gid)


def missing_programs() -> list[str]:
    """Programs of the appliance not installed on this machine."""
    return [name for name, path in PROGRAMS.items() if not Path(path).exists()]


def install(layout: Layout, root: Path = Path("/")) -> list[Step]:
    """Write the layout under `root`; on `/` also create the user and folders and enable the units."""
    real = root.resolve() == Path("/")
    if real and os.geteuid() != 0:
        raise InstallError(
            "kiosk install writes /etc and runs systemd: run it as root (sudo),"
            " or review the layout with --root DIR"
        )
    steps = [place_file(root, planned) for planned in layout.files]
    commands = _commands()
    if real:
        steps.append(_run(commands[0]))  # the kiosk user and group first: the configuration's group
        _config_owner(root, layout)
        steps += [_run(c) for c in commands[1:]]
    else:
        steps += [place_folder(root, folder) for folder in layout.folders]
        steps += [Step("would run", " ".join(c)) for c in commands]
    return steps


def uninstall(layout: Layout, root: Path = Path("/")) -> list[Step]:
    """Remove the installer's files (not the configuration, the data or the user); disable the units."""
    real = root.resolve() == Path("/")
    if real and os.geteuid() != 0:
        raise InstallError("kiosk install --uninstall changes /etc and systemd: run it as root (sudo)")
    steps: list[Step] = []
    # Only the units still there: systemctl refuses to disable a unit file that is gone, and a second
    # --uninstall must change nothing rather than fail.
    present = [unit for unit in ENABLED if under(root, UNIT_DIR / unit).exists()]
    disable = ["systemctl", "disable", "--now", *present]
    if present and real and shutil.which("systemctl"):
        steps.append(_run(disable))
    elif present and not real:
        steps.append(Step("would run", " ".join(disable)))
    for planned in layout.files:
        target = under(root, planned.path)
        if planned.keep_edits:
            steps.append(Step("kept", f"{planned.path} (the configuration stays)"))
        elif target.exists() or target.is_symlink():
            target.unlink()
            steps.append(Step("removed", str(planned.path)))
        else:
            steps.append(Step("absent", str(planned.path)))
    after = [["systemctl", "daemon-reload"], ["udevadm", "control", "--reload"]]
    if real:
        steps += [_run(c) for c in after if shutil.which(c[0])]
    else:
        steps += [Step("would run", " ".join(c)) for c in after]
    steps += [Step("kept", f"{folder}/ (data)") for folder in layout.folders]
    return steps
