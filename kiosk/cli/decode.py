"""`kiosk decode IMAGE...`: read the labels in photos, and the camera and UHF kinds of `kiosk listen`.

    kiosk decode tray.jpg card-*.png --json

Each label prints once per file: `{"file", "code", "symbology"}` as JSON lines with `--json`, else
`FILE<TAB>SYMBOLOGY<TAB>CODE`. Only management IDs (and shelf labels `L:…`) print as codes: any other
value, a wrong Damm check digit included, prints `{"file", "rejected": REASON}` (never the value),
and when a label's bars fail so but its 2-D symbol reads, `"read_instead": ID` says which ID the
label gave (kiosk.domain.label_read).
That is tray mode: every label in the photo. `--single` prints what the camera's counter mode would
take from the frame instead (`drivers.decode.decode_counter`, then `drivers.counter`): the one label
presented, or `{"file", "rejected": "two_labels_in_view"}` when it cannot tell, or
`"present_card_unreadable"` when a label larger than any read is in view (the card held nearer than the
lens's focus), or nothing.
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
@click.option("--single", is_flag=True, help="Print what the camera's counter mode takes (one label).")
def decode_cmd(
    images: tuple[Path, ...], as_json: bool, backend: str, symbologies: tuple[str, ...], single: bool
) -> None:
    """Decode the management-ID labels in IMAGE files (a single card or a tray photo)."""
    from drivers.decode import DEFAULT_SYMBOLOGIES, backend_usable, decode, decode_counter
    from drivers.scan import Symbology
    from kiosk.domain.label_read import read_labels

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
        if single:
            found, presented_unread = decode_counter(image, symbologies=syms, backend=backend)
            _print_single(path, found, image.shape, presented_unread, as_json)
            continue
        for read in read_labels(decode(image, symbologies=syms, backend=backend, many=True)):
            if read.code is not None:
                record: dict[str, str] = {"file": str(path), "code": read.code, "symbology": read.symbology}
                echo(json.dumps(record) if as_json else f"{path}\t{read.symbology}\t{read.code}")
                continue
            # Not a management ID: a refusal with its reason, never the value.
            record = {"file": str(path), "rejected": read.refused or "refused"}
            if read.read_instead:
                record["read_instead"] = read.read_instead
            if as_json:
                echo(json.dumps(record))
            else:
                instead = f"\t(read the 2-D symbol instead: {read.read_instead})" if read.read_instead else ""
                echo(f"{path}\trejected\t{record['rejected']}{instead}")
    if unreadable:
        raise SystemExit(2)


def _print_single(
    path: Path, found: list[Any], shape: tuple[int, ...], unreadable: bool, as_json: bool
) -> None:
    from drivers.camera import REASON_PRESENT_UNREADABLE, REASON_TWO_LABELS
    from drivers.counter import CounterPicker

    def refused(reason: str) -> None:
        record = {"file": str(path), "rejected": reason}
        echo(json.dumps(record) if as_json else f"{path}\trejected\t{reason}")

    for d in found:
        if d.code is None:
            refused(d.rejected or "refused")
    if unreadable:
        refused(REASON_PRESENT_UNREADABLE)  # as the camera: nothing taken, never the smaller card
        return
    pick = CounterPicker().pick(found, shape, 0.0)
    if pick.ambiguous:
        record = {"file": str(path), "rejected": REASON_TWO_LABELS, "labels": len(pick.candidates)}
        echo(json.dumps(record) if as_json else f"{path}\trejected\t{REASON_TWO_LABELS}")
    elif pick.code is not None and pick.symbology is not None:
        if as_json:
            echo(json.dumps({"file": str(path), "code": pick.code, "symbology": pick.symbology.value}))
        else:
            echo(f"{path}\t{pick.symbology.value}\t{pick.code}")


# --- `kiosk listen` kinds -----------------------------------------------------------------------------


def open_camera(target: str, opts: ListenOptions) -> ScanDevice:
    """`kiosk listen camera 0|/dev/video0|clip.mp4|photos/` (options: --opt width=, height=, focus=,
    exposure=, backend=, mode=counter|tray)."""
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
    mode = extra.pop("mode", "counter")
    if mode not in ("counter", "tray"):
        fail("camera option mode takes counter (one label per presentation) or tray (every label)")
    is_stills = Path(target).is_dir()
    camera = Camera(
        target,
        settings=settings,
        symbologies=opts.symbologies or DEFAULT_SYMBOLOGIES,
        backend=backend,
        dedup_window=0.0 if is_stills else opts.dedup_window,
        check_frozen=not is_stills and not Path(target).is_file(),
        mode=mode,
        on_status=opts.on_status,
    )
    return camera


def open_rfid_serial(target: str, opts: ListenOptions) -> ScanDevice:
    """`kiosk listen rfid-serial /dev/ttyUSB0` (options: --baud, --opt address=0xFF, layout=basic|rssi).

    An inventory: each distinct tag prints once (`--count N` stops at N distinct tags, whatever rounds
    a tag missed), and at the end one `{"tag", "rounds", "reads", "best_rssi"}` line per tag."""
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
        once=True,
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
