"""Scenarios as data: TOML files under `simulator/scenarios/`, loaded into dataclasses and run on a hub.

Schema (every key but `name` optional)::

    name = "counter-morning"
    description = "..."
    cabinet = { size = 20, seed = 1 }       # the virtual cabinet; steps may name cards by index

    [[devices]]
    name = "counter"                        # how steps refer to it
    kind = "serial"                         # serial (sim:// URL) | pty | keyboard | evdev | your own
    options = { framing = "crlf", aim = "]C0" }   # passed to the hub's add_* for that kind

    [[steps]]
    action = "scan"                         # see ACTIONS: scan, unplug, replug, garbage, split,
    device = "counter"                      #   merged, stall, resume, wait, type, syn_dropped
    card = 3                                # a cabinet card by index, or: code = "8000000017"
    expect = true                           # scan steps: the kiosk should see this scan (default)

Other fields a step may carry: `seconds` (wait), `data` (garbage: text with \\r escapes, or
`hex = "41540d"`), `new_path` (replug), `codes`/`cards` (merged), `pause` and `pieces` (split),
`text` (type: a person typing; enter: a typed ID). An `unplug` waits (up to 2 s) until the driver
has read the bytes sent before it, so it falls between frames. Other engineers add device kinds and
actions by registering in `DEVICE_KINDS` and `ACTIONS` (e.g. "photo" for the camera, "inventory" for UHF).

Kiosk steps (`KIOSK_ACTIONS`: open_session, mode, enter, close_session, start_stocktake, inventory, photo,
finish_stocktake, db_readonly, db_full, db_ok) are no-ops on the hub; `kiosk sim run` (kiosk.sim) acts
on them and checks each step's `verdict`. Camera and UHF faults: freeze, unfreeze, truncate, corrupt;
`remove_card` takes a card out of the virtual cabinet (absent from inventories and tray photos).
The safe's I/O module (kind `safe_io`, options as `SimSafeModule`'s): open_door, close_door,
force_door (opened while locked), leave_door_open, cut_line, short_line, mend_line; unplug and
replug cut and restore its power.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.cabinet import Cabinet
from simulator.hub import SimDevice, SimHub

SCENARIO_DIR = Path(__file__).parent / "scenarios"


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    name: str
    kind: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Step:
    action: str
    device: str = ""
    code: str | None = None
    card: int | None = None
    codes: tuple[str, ...] = ()
    cards: tuple[int, ...] = ()
    seconds: float = 0.0
    data: str = ""
    hex: str = ""
    new_path: str | None = None
    pause: float = 0.02
    pieces: int = 2
    text: str = ""
    expect: bool = True
    # Kiosk-level fields, read by a kiosk runner (`kiosk sim run`); the hub ignores them.
    verdict: str = ""  # the verdict code the kiosk must give ("taken_out", "found", "a|b" for either)
    mode: str = ""  # mode steps: take_out | put_back | hand_over
    operator: str = ""  # badge of the first person (sessions, stocktakes)
    witness: str = ""  # badge of the second person
    note: str = ""  # finish_stocktake: the note recorded for each missing card
    counts: dict[str, int] = field(default_factory=dict)  # finish_stocktake: expected found/missing/...


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str = ""
    cabinet_size: int = 0
    cabinet_seed: int = 0
    devices: tuple[DeviceSpec, ...] = ()
    steps: tuple[Step, ...] = ()

    def make_cabinet(self) -> Cabinet:
        return Cabinet.generate(self.cabinet_size, seed=self.cabinet_seed)

    def code_of(self, step: Step, cabinet: Cabinet) -> str:
        """The code a scan step sends (a literal `code`, or the `card`-th card of the cabinet)."""
        if step.code is not None:
            return step.code
        if step.card is not None:
            return cabinet.ids()[step.card]
        raise ValueError(f"{self.name}: scan step needs code or card")

    def codes_of(self, step: Step, cabinet: Cabinet) -> list[str]:
        ids = cabinet.ids()
        return list(step.codes) + [ids[i] for i in step.cards]

    def expected(self, cabinet: Cabinet, device: str | None = None) -> list[str]:
        """The codes the kiosk should receive, in order (optionally for one device)."""
        out: list[str] = []
        for step in self.steps:
            if device is not None and step.device != device:
                continue
            if step.action in ("scan", "split") and step.expect:
                out.append(self.code_of(step, cabinet))
            elif step.action == "merged" and step.expect:
                out += self.codes_of(step, cabinet)
        return out


_STEP_FIELDS = set(Step.__dataclass_fields__)


def parse_scenario(data: dict[str, Any]) -> Scenario:
    """Build a `Scenario` from parsed TOML; unknown keys are errors (typos must not pass silently)."""
    devices = []
    for d in data.get("devices", []):
        extra = set(d) - {"name", "kind", "options"}
        if extra:
            raise ValueError(f"device {d.get('name')!r}: unknown keys {sorted(extra)}")
        devices.append(DeviceSpec(d["name"], d["kind"], dict(d.get("options", {}))))
    steps = []
    for i, s in enumerate(data.get("steps", [])):
        extra = set(s) - _STEP_FIELDS
        if extra:
            raise ValueError(f"step {i}: unknown keys {sorted(extra)}")
        values = dict(s)
        for key in ("codes", "cards"):
            if key in values:
                values[key] = tuple(values[key])
        if "counts" in values:
            values["counts"] = {str(k): int(v) for k, v in dict(values["counts"]).items()}
        if values.get("action") not in ACTIONS:
            raise ValueError(f"step {i}: unknown action {values.get('action')!r}")
        steps.append(Step(**values))
    cabinet = data.get("cabinet", {})
    return Scenario(
        name=data["name"],
        description=data.get("description", ""),
        cabinet_size=int(cabinet.get("size", 0)),
        cabinet_seed=int(cabinet.get("seed", 0)),
        devices=tuple(devices),
        steps=tuple(steps),
    )


def load_scenario(path_or_name: str | Path) -> Scenario:
    """Load a scenario file, or a built-in one by name (`simulator/scenarios/<name>.toml`)."""
    path = Path(path_or_name)
    if not path.suffix:
        path = SCENARIO_DIR / f"{path_or_name}.toml"
    with path.open("rb") as fh:
        return parse_scenario(tomllib.load(fh))


def builtin_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


# -- building devices and running steps ----------------------------------------------------------
DeviceFactory = Callable[[SimHub, DeviceSpec], SimDevice]
Action = Callable[[SimHub, Scenario, Step], None]

DEVICE_KINDS: dict[str, DeviceFactory] = {
    "serial": lambda hub, spec: hub.add_serial(spec.name, **spec.options),
    "pty": lambda hub, spec: hub.add_pty(spec.name, **spec.options),
    "keyboard": lambda hub, spec: hub.add_keyboard(spec.name, **spec.options),
    "evdev": lambda hub, spec: hub.add_evdev(spec.name, **spec.options),
    "camera": lambda hub, spec: hub.add_camera(spec.name, **spec.options),
    "uhf": lambda hub, spec: hub.add_uhf(spec.name, **spec.options),
    "safe_io": lambda hub, spec: hub.add_safe_io(spec.name, **spec.options),
}


def build_devices(hub: SimHub, scenario: Scenario) -> None:
    """Attach the scenario's devices to `hub`."""
    for spec in scenario.devices:
        try:
            factory = DEVICE_KINDS[spec.kind]
        except KeyError:
            raise ValueError(f"unknown device kind {spec.kind!r}; known: {sorted(DEVICE_KINDS)}") from None
        factory(hub, spec)


def _garbage_bytes(step: Step) -> bytes:
    if step.hex:
        return bytes.fromhex(step.hex)
    return step.data.encode().decode("unicode_escape").encode("latin-1")


def _remove_card(hub: SimHub, sc: Scenario, st: Step) -> None:
    # Index into the scenario's cabinet as generated, so later steps' indices do not shift.
    hub.cabinet.remove(sc.code_of(st, sc.make_cabinet()))


ACTIONS: dict[str, Action] = {
    "scan": lambda hub, sc, st: hub.scan(st.device, sc.code_of(st, hub.cabinet)),
    "unplug": lambda hub, sc, st: hub.unplug(st.device),
    "replug": lambda hub, sc, st: hub.replug(st.device, st.new_path),
    "garbage": lambda hub, sc, st: hub.garbage(st.device, _garbage_bytes(st)),
    "split": lambda hub, sc, st: hub.fault(
        st.device, "split", sc.code_of(st, hub.cabinet), pause=st.pause, pieces=st.pieces
    ),
    "merged": lambda hub, sc, st: hub.fault(st.device, "merged", sc.codes_of(st, hub.cabinet)),
    "stall": lambda hub, sc, st: hub.fault(st.device, "stall"),
    "resume": lambda hub, sc, st: hub.fault(st.device, "resume"),
    "type": lambda hub, sc, st: hub.fault(st.device, "type_human", st.text),
    "syn_dropped": lambda hub, sc, st: hub.fault(st.device, "syn_dropped"),
    "wait": lambda hub, sc, st: None,  # the runner sleeps
    "freeze": lambda hub, sc, st: hub.fault(st.device, "freeze"),
    "unfreeze": lambda hub, sc, st: hub.fault(st.device, "unfreeze"),
    "truncate": lambda hub, sc, st: hub.fault(st.device, "truncate_next"),
    "corrupt": lambda hub, sc, st: hub.fault(st.device, "corrupt_next"),
    "remove_card": lambda hub, sc, st: _remove_card(hub, sc, st),
}


def _module_fault(name: str) -> Action:
    def act(hub: SimHub, sc: Scenario, st: Step) -> None:
        hub.fault(st.device, name)

    return act


# The safe's I/O module (kind "safe_io"); unplug and replug cut and restore its power.
for _fault in (
    "open_door",
    "close_door",
    "force_door",
    "leave_door_open",
    "cut_line",
    "short_line",
    "mend_line",
):
    ACTIONS[_fault] = _module_fault(_fault)

# Steps a kiosk runner (kiosk.sim) carries out; on the hub alone they do nothing.
KIOSK_ACTIONS = frozenset(
    {
        "open_session",
        "mode",
        "enter",
        "close_session",
        "start_stocktake",
        "inventory",
        "photo",
        "finish_stocktake",
        "db_readonly",
        "db_full",
        "db_ok",
    }
)
for _name in KIOSK_ACTIONS:
    ACTIONS[_name] = lambda hub, sc, st: None


def run_scenario(
    hub: SimHub,
    scenario: Scenario,
    *,
    sleep: Callable[[float], None] = time.sleep,
    after_step: Callable[[Step], None] | None = None,
) -> None:
    """Play the steps on `hub` (devices already built). `sleep` serves `wait` steps; `after_step`
    lets a test synchronise (e.g. wait until a driver is back online after a replug)."""
    for step in scenario.steps:
        if step.action == "unplug":
            # A scripted unplug happens between frames: let the driver read what was sent before it.
            drained = getattr(hub.device(step.device), "wait_drained", None)
            if drained is not None:
                drained()
        ACTIONS[step.action](hub, scenario, step)
        if step.action == "wait" and step.seconds > 0:
            sleep(step.seconds)
        if after_step is not None:
            after_step(step)
