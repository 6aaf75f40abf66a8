"""`kiosk decode IMAGE...`: read the labels in photos, and the camera and UHF kinds of `kiosk listen`.

    kiosk decode tray.jpg card-*.png --json

Each label prints once per file: `{"file", "code", "symbology"}` as JSON lines with `--json`, else
`FILE<TAB>SYMBOLOGY<TAB>CODE`; a refused code prints `{"file", "rejected": REASON}` (never the value).
A file that cannot be read as an image gets a one-line message on stderr; the others are still decoded,
and the exit status is then 2 (0 when every file was read, whether or not it held a label).

This module also gives `kiosk listen` two device kinds (registered when the CLI loads):
`camera DEVICE|VIDEOFILE|IMAGEDIR` and `rfid-serial PATH` (a CF-RU5102-family UHF reader).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kiosk.cli import cli
from kiosk.cli.context import fail
from kiosk.cli.output import echo

if TYPE_CHECKING:
    from drivers.contract import ScanDevice
    from kiosk.cli.listen import ListenOptions


def _load_image(path: Path) -> Any:
    """The image as an array, or None; read into memory once, never written anywhere."""
    import cv2
    import numpy as np

    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError:
        return None
    if data.size == 0:
        return None
    return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)


@cli.command("decode")
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option(
    "--backend",
    type=click.Choice(["cascade", "zxing", "pyzbar"]),
    default="cascade",
    show_default=True,
    help="Decoder: the cascade, or one library alone.",
)
@click.option("--symbology", "symbologies", multiple=True, help="Report only these (repeatable).")
def decode_cmd(images: tuple[Path, ...], as_json: bool, backend: str, symbologies: tuple[str, ...]) -> None:
    """Decode the management-ID labels in IMAGE files (a single card or a tray photo)."""
    from drivers.decode import DEFAULT_SYMBOLOGIES, backend_usable, decode
    from drivers.scan import Symbology

    usable, why = backend_usable(backend)
    if not usable:
        fail(why)
    try:
        syms = frozenset(Symbology(s) for s in symbologies) if symbologies else DEFAULT_SYMBOLOGIES
    except ValueError:
        fail(f"unknown symbology; known: {', '.join(s.value for s in Symbology)}")
    unreadable = 0
    for path in images:
        image = _load_image(path)
        if image is None:
            unreadable += 1
            echo(f"kiosk: {path}: not a readable image file", err=True)
            continue
        printed: set[str] = set()
        for d in decode(image, symbologies=syms, backend=backend, many=True):
            if d.code is None:
                record: dict[str, str] = {"file": str(path), "rejected": d.rejected or "refused"}
                echo(json.dumps(record) if as_json else f"{path}\trejected\t{record['rejected']}")
                continue
            if d.code in printed:
                continue  # the label's other symbol
            printed.add(d.code)
            if as_json:
                echo(json.dumps({"file": str(path), "code": d.code, "symbology": d.symbology.value}))
            else:
                echo(f"{path}\t{d.symbology.value}\t{d.code}")
    if unreadable:
        raise SystemExit(2)


# --- `kiosk listen` kinds -----------------------------------------------------------------------------


def open_camera(target: str, opts: ListenOptions) -> ScanDevice:
    """`kiosk listen camera 0|/dev/video0|clip.mp4|photos/` (options: --opt width=, height=, focus=,
    exposure=, backend=)."""
    from drivers.camera import Camera
    from drivers.camera_sources import CaptureSettings
    from drivers.decode import DEFAULT_SYMBOLOGIES

    extra = dict(opts.extra)
    try:
        settings = CaptureSettings(
            width=int(extra.pop("width", 1920)),
            height=int(extra.pop("height", 1080)),
            focus=float(extra["focus"]) if "focus" in extra else None,
            exposure=float(extra["exposure"]) if "exposure" in extra else None,
        )
    except ValueError:
        fail("camera options width, height, focus and exposure take numbers")
    backend = extra.pop("backend", "cascade")
    is_stills = Path(target).is_dir()
    camera = Camera(
        target,
        settings=settings,
        symbologies=opts.symbologies or DEFAULT_SYMBOLOGIES,
        backend=backend,
        dedup_window=0.0 if is_stills else opts.dedup_window,
        check_frozen=not is_stills and not Path(target).is_file(),
        on_status=opts.on_status,
    )
    return camera


def open_rfid_serial(target: str, opts: ListenOptions) -> ScanDevice:
    """`kiosk listen rfid-serial /dev/ttyUSB0` (options: --baud, --opt address=0xFF, layout=basic|rssi)."""
    from drivers.rfid_uhf import UhfReader

    extra = opts.extra
    try:
        address = int(extra.get("address", "0xFF"), 0)
    except ValueError:
        fail("rfid-serial option address takes a number (e.g. 0xFF)")
    baud = opts.baud if opts.baud != 9600 else 57600  # these readers default to 57600
    return UhfReader(
        target,
        baudrate=baud,
        address=address,
        layout=extra.get("layout", "basic"),
        dedup_window=opts.dedup_window,
        on_status=opts.on_status,
    )


def _register_listen_kinds() -> None:
    try:
        from kiosk.cli.listen import register_kind
    except ImportError:  # a build without `kiosk listen`
        return
    register_kind("camera", open_camera)
    register_kind("rfid-serial", open_rfid_serial)


_register_listen_kinds()
