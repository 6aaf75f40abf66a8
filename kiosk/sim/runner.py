"""Play a scenario headless: simulated devices feed the real drivers, the station gives the verdicts.

    result = run_scenario_file("day-at-the-counter", ledger, settings, out=print_outcome)
    result.ok   # every verdict as the scenario expects, no green verdict without its event

An empty ledger is seeded with the demo office (badges O001/O002/C001/C002/S001, PINs on the demo
panel) and the scenario's cabinet; a ledger that already has staff is used as it is, and an open safe
session or stocktake is resumed (a restart after a crash). Steps are those of `simulator.scenario`;
kiosk steps (`KIOSK_ACTIONS`) are carried out through the application core's `Counter`, as the screens do.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from drivers.contract import DeviceStatus, ScanDevice
from drivers.errors import DeviceUnavailable, FrameError
from kiosk.desk import StorageError
from kiosk.desk.views import SOURCE_RFID, SOURCE_TRAY, StocktakeError
from kiosk.domain.safe_session import ScanMode
from kiosk.domain.staff import AuthError, StaffMember, TwoPersonError
from kiosk.sim.station import DEVICE_LOST, LEDGER_ERROR, Outcome, Station
from simulator.hub import SimHub
from simulator.scenario import ACTIONS, DeviceSpec, Scenario, Step, build_devices, load_scenario

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.desk.views import Ledger
    from simulator.cabinet import Cabinet

SCAN_DEADLINE_S = 5.0  # a scan the scenario expects must reach a verdict within this
SETTLE_S = 0.15  # quiet time after a fault step: what it caused (rejected frames) arrives meanwhile
PARTIAL_SETTLE_S = 0.7  # after a split frame: longer than the framer's gap, so a partial is reported
DEVICE_DEADLINE_S = 5.0


@dataclass
class Mismatch:
    """A step whose verdict was not the one the scenario expects."""

    step: int
    action: str
    expected: str
    got: list[str]

    def __str__(self) -> str:
        got = ", ".join(self.got) or "nothing"
        return f"step {self.step} ({self.action}): expected {self.expected}, got {got}"


@dataclass
class RunResult:
    """What `kiosk sim run` prints at the end."""

    scenario: str
    outcomes: list[Outcome]
    mismatches: list[Mismatch]
    events: int  # events appended during the run
    unrecorded_green: list[int]  # outcome numbers that were green without their event in the ledger
    discrepancies: dict[str, list[str]] = field(default_factory=dict)  # stocktake lists
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.unrecorded_green

    def summary(self) -> dict[str, Any]:
        verdicts = Counter(o.code for o in self.outcomes)
        return {
            "scenario": self.scenario,
            "ok": self.ok,
            "scans": sum(1 for o in self.outcomes if o.kind in ("scan", "rejected")),
            "verdicts": dict(sorted(verdicts.items())),
            "green": sum(1 for o in self.outcomes if o.ok),
            "events": self.events,
            "discrepancies": self.discrepancies,
            "mismatches": [str(m) for m in self.mismatches],
            "unrecorded_green": self.unrecorded_green,
            "seconds": round(self.seconds, 2),
        }


def pins() -> dict[str, str]:
    """The demo office's PINs by badge (the runner signs people in like the sign-in dialog)."""
    from kiosk.demo.seed import DEMO_STAFF

    return {s.badge: s.pin for s in DEMO_STAFF}


def seed(ledger: Ledger, cabinet: Cabinet, settings: Settings | None = None) -> None:
    """The demo office over this cabinet, unless the ledger already has staff; today's pick list."""
    from kiosk.config import Settings
    from kiosk.demo.seed import PICK_LIST_SIZE, seed_demo
    from kiosk.desk import Desk
    from kiosk.domain.status import CardStatus

    settings = settings or Settings()
    seed_demo(ledger, cabinet, settings)
    desk = Desk(ledger, settings)
    if desk.pick_list() or not len(cabinet):
        return
    # The seed books the day it ran; a later day books the first cards still in the safe. The supervisor
    # books, so the clerks and officers who open the safe may take the cards out.
    booker = desk.person_by_badge("S001")
    if booker is None:
        return
    chosen = []
    for mid in cabinet.ids():
        card = desk.card(mid)
        if card is not None and card.status is CardStatus.IN_SAFE:
            chosen.append(mid)
        if len(chosen) == PICK_LIST_SIZE:
            break
    desk.book(chosen, booker)


def make_driver(hub: SimHub, spec: DeviceSpec) -> tuple[ScanDevice, bool]:
    """The real driver for a simulated device, and whether a reader thread should read it."""
    name, kind, options = spec.name, spec.kind, spec.options
    if kind in ("serial", "pty"):
        from drivers.payload import PayloadRules
        from drivers.serial_scanner import SerialScanner

        target = hub.url(name) if kind == "serial" else hub.device(name).path  # type: ignore[attr-defined]
        rules = PayloadRules(prefix=options.get("prefix", ""), suffix=options.get("suffix", ""))
        # The scenario plays faster than a person: a double read is what it says it is.
        return SerialScanner(target, name=name, rules=rules, dedup_window=0, reconnect_interval=0.05), True
    if kind == "keyboard":
        from drivers.wedge_device import KeyboardWedge

        wedge = KeyboardWedge(name, dedup_window=0)
        hub.device(name).connect(wedge)  # type: ignore[attr-defined]
        return wedge, True
    if kind == "evdev":
        from drivers.evdev_scanner import EvdevScanner

        layout = str(options.get("layout", "us"))
        scanner = EvdevScanner(
            name, name=name, layout=layout, opener=hub.evdev_opener, dedup_window=0, reconnect_interval=0.05
        )
        return scanner, True
    if kind == "camera":
        from drivers.camera import Camera

        return Camera(hub.device(name), name=name, lost_after=1.0, reconnect_interval=0.2), True  # type: ignore[arg-type]
    if kind == "uhf":
        from drivers.rfid_uhf import UhfReader

        path = hub.device(name).path  # type: ignore[attr-defined]
        return UhfReader(path, name=name, response_timeout=0.5, reconnect_interval=0.05), False
    raise ValueError(f"kiosk sim run cannot drive device kind {kind!r}")


class Runner:
    """Plays one scenario on a station; see the module docstring."""

    def __init__(
        self, scenario: Scenario, ledger: Ledger, settings: Settings, out: Callable[[Outcome], None]
    ):
        self.scenario = scenario
        self.ledger = ledger
        self.settings = settings
        self.cabinet = scenario.make_cabinet()  # as generated: steps index into this one
        from kiosk.desk import Desk

        self.desk = Desk(ledger, settings)
        self.station = Station(self.desk, out)
        self.hub: SimHub | None = None
        self.mismatches: list[Mismatch] = []
        self.discrepancies: dict[str, list[str]] = {}
        self._pins = pins()

    # -- set-up -----------------------------------------------------------------------------------
    def run(self) -> RunResult:
        t0 = time.perf_counter()
        seed(self.ledger, self.scenario.make_cabinet(), self.settings)
        start_seq = self.desk.head().seq
        self.station.resume()
        with SimHub(self.scenario.make_cabinet()) as hub:
            self.hub = hub
            build_devices(hub, self.scenario)
            try:
                for spec in self.scenario.devices:
                    driver, reader = make_driver(hub, spec)
                    self.station.attach(spec.name, driver, reader=reader)
                self._wait_online()
                for index, step in enumerate(self.scenario.steps, start=1):
                    self.station.step = index
                    self.play(index, step)
                self.station.step = None
                self._settle(SETTLE_S)
            finally:
                self.station.close()
        events = self.desk.head().seq - start_seq
        return RunResult(
            self.scenario.name,
            list(self.station.outcomes),
            self.mismatches,
            events,
            self._unrecorded_green(),
            self.discrepancies,
            time.perf_counter() - t0,
        )

    def _wait_online(self) -> None:
        deadline = time.monotonic() + DEVICE_DEADLINE_S
        for name, dev in self.station.devices.items():
            while dev.status is not DeviceStatus.ONLINE and time.monotonic() < deadline:
                self.station.pump(0.02)
            if dev.status is not DeviceStatus.ONLINE:
                raise DeviceUnavailable(f"{name}: not online at the start of the scenario")

    # -- steps ------------------------------------------------------------------------------------
    def play(self, index: int, step: Step) -> None:
        before = len(self.station.outcomes)
        handler = getattr(self, f"_kiosk_{step.action}", None)
        if handler is not None:
            handler(step)
        else:
            self._hub_step(step)
        produced = self.station.outcomes[before:]
        self._follow_cabinet(produced)
        self._check(index, step, produced)

    def _follow_cabinet(self, produced: list[Outcome]) -> None:
        """The simulated cabinet follows the ledger: a card handed over has left the safe for good."""
        if self.hub is None:
            return
        for o in produced:
            if o.ok and o.code == "issued" and o.card and o.card in self.hub.cabinet.cards:
                self.hub.cabinet.remove(o.card)

    def _check(self, index: int, step: Step, produced: list[Outcome]) -> None:
        if not step.verdict:
            return
        if step.action in ("scan", "split", "merged", "enter"):
            # Every verdict the step caused must be the expected one (and there must be one).
            ok = bool(produced) and all(o.matches(step.verdict) for o in produced)
        else:
            ok = any(o.matches(step.verdict) for o in produced)
        if not ok:
            got = [f"{o.code}:{o.detail}" if o.detail else o.code for o in produced]
            self.mismatches.append(Mismatch(index, step.action, step.verdict, got))

    def _code(self, step: Step) -> str:
        return self.scenario.code_of(step, self.cabinet)

    def _hub_step(self, step: Step) -> None:
        hub = self.hub
        assert hub is not None
        dev = step.device
        if step.action == "scan":
            before = self._count_from(dev)
            hub.scan(dev, self._code(step))
            if step.expect:
                self._await_from(dev, before + 1, SCAN_DEADLINE_S)
            return
        if step.action == "merged":
            codes = self.scenario.codes_of(step, self.cabinet)
            before = self._count_from(dev)
            hub.fault(dev, "merged", codes)
            if step.expect:
                self._await_from(dev, before + len(codes), SCAN_DEADLINE_S)
            return
        if step.action == "split":
            before = self._count_from(dev)
            hub.fault(dev, "split", self._code(step), pause=step.pause, pieces=step.pieces)
            if step.expect:
                self._await_from(dev, before + 1, SCAN_DEADLINE_S)
            else:
                self._settle(PARTIAL_SETTLE_S)
            return
        if step.action == "unplug":
            drained = getattr(hub.device(dev), "wait_drained", None)
            if drained is not None:
                drained()
            self._settle(0.0)
            ACTIONS["unplug"](hub, self.scenario, step)
            if step.verdict and DEVICE_LOST in step.verdict and dev in self.station.devices:
                self._await(lambda: self._lost(dev), DEVICE_DEADLINE_S)
            return
        if step.action in ("replug", "unfreeze"):
            ACTIONS[step.action](hub, self.scenario, step)
            device = self.station.devices.get(dev)
            reader = device is not None and step.device in self._readers()
            if reader:
                self._await(
                    lambda: device is not None and device.status is DeviceStatus.ONLINE, DEVICE_DEADLINE_S
                )
            return
        if step.action == "freeze":
            ACTIONS["freeze"](hub, self.scenario, step)
            if step.verdict and DEVICE_LOST in step.verdict:
                self._await(lambda: self._lost(dev), DEVICE_DEADLINE_S)
            return
        if step.action == "wait":
            end = time.monotonic() + step.seconds
            while time.monotonic() < end:
                self.station.pump(end - time.monotonic())
            return
        ACTIONS[step.action](hub, self.scenario, step)
        self._settle(SETTLE_S)

    def _readers(self) -> set[str]:
        return {s.name for s in self.scenario.devices if s.kind != "uhf"}

    def _lost(self, device: str) -> bool:
        return any(o.code == DEVICE_LOST and o.device == device for o in self._this_step())

    def _this_step(self) -> list[Outcome]:
        return [o for o in self.station.outcomes if o.step == self.station.step]

    def _count_from(self, device: str) -> int:
        return sum(1 for o in self.station.outcomes if o.device == device and o.kind in ("scan", "rejected"))

    def _await_from(self, device: str, count: int, deadline_s: float) -> None:
        self._await(lambda: self._count_from(device) >= count, deadline_s)

    def _await(self, condition: Callable[[], bool], deadline_s: float) -> None:
        deadline = time.monotonic() + deadline_s
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0:
                return  # the step's check reports what was (not) seen
            self.station.pump(min(left, 0.05))

    def _settle(self, quiet: float) -> None:
        """Handle what the devices read until they have been quiet for `quiet` seconds."""
        while self.station.pump(quiet) is not None:
            pass

    # -- kiosk steps ------------------------------------------------------------------------------
    def _person(self, badge: str) -> StaffMember:
        return self.desk.sign_in(badge, self._pins.get(badge, ""), device=self.desk.kiosk)

    def _sign_in_again(self, badge: str) -> None:
        """After a restart nobody is signed in: the named person signs in again to carry on."""
        try:
            self.station.user = self._person(badge)
        except AuthError as exc:
            self.station.emit("step", f"auth_{exc.reason}", False)
        except StorageError:
            self.station.emit("step", LEDGER_ERROR, False)

    def _two(self, step: Step) -> tuple[StaffMember, StaffMember] | None:
        try:
            return self._person(step.operator), self._person(step.witness)
        except AuthError as exc:
            self.station.emit("step", f"auth_{exc.reason}", False)
        except StorageError:
            self.station.emit("step", LEDGER_ERROR, False)
        return None

    def _kiosk_open_session(self, step: Step) -> None:
        st = self.station
        counter = st.counter
        if counter.session is not None:
            # Resumed after a restart: the opener signs in again to carry on.
            self._sign_in_again(step.operator)
            st.emit("step", "session_resumed", True, detail=f"session {counter.session.id}")
            return
        people = self._two(step)
        if people is None:
            return
        required = self.settings.session.opening_checklist
        try:
            session = st.open_safe(*people, required)
        except TwoPersonError as exc:
            st.emit("step", "two_person", False, detail=exc.reason)
            return
        except StorageError:
            st.emit("step", LEDGER_ERROR, False)
            return
        st.emit("step", "session_opened", True, seq=self.desk.head().seq, detail=f"session {session.id}")

    def _kiosk_mode(self, step: Step) -> None:
        self.station.mode = ScanMode(step.mode)
        # A hand-over's witness confirms each hand-over at that moment (a fresh badge and PIN), never
        # filled in from the session; without a witness named in the step the hand-over is refused.
        witness = step.witness
        self.station.confirm_witness = (lambda: self._person(witness)) if witness else None

    def _kiosk_enter(self, step: Step) -> None:
        text = step.text if step.text else self._code(step)
        self.station.handle_text(text, device=self.desk.kiosk, source="manual")

    def _kiosk_close_session(self, step: Step) -> None:
        from kiosk.domain.safe_session import ChecklistIncomplete, SessionNotClear

        st = self.station
        self._settle(0.0)
        if st.counter.session is None:
            st.emit("step", "no_session", False)
            return
        people = self._two(step)
        if people is None:
            return
        required = self.settings.session.closing_checklist
        try:
            closed = st.counter.close_safe(*people, required)
        except SessionNotClear as exc:
            st.emit("step", "not_clear", False, detail=f"{len(exc.outstanding)} out")
            return
        except (TwoPersonError, ChecklistIncomplete) as exc:
            st.emit("step", "two_person", False, detail=str(exc))
            return
        except StorageError:
            st.emit("step", LEDGER_ERROR, False)
            return
        st.emit("step", "session_closed", True, seq=self.desk.head().seq, detail=f"session {closed.id}")

    def _kiosk_start_stocktake(self, step: Step) -> None:
        st = self.station
        self._settle(0.0)
        if st.counter.stocktake_id is not None:
            self._sign_in_again(step.operator)
            st.emit("step", "stocktake_resumed", True, detail=f"stocktake {st.counter.stocktake_id}")
            return
        people = self._two(step)
        if people is None:
            return
        try:
            view = st.counter.start_stocktake(*people)
            st.user = people[0]
        except (TwoPersonError, StocktakeError) as exc:
            st.emit("step", getattr(exc, "reason", "refused"), False)
            return
        except StorageError:
            st.emit("step", LEDGER_ERROR, False)
            return
        st.emit(
            "step",
            "stocktake_started",
            True,
            seq=self.desk.head().seq,
            detail=f"stocktake {view.id}, expected {view.expected}",
        )

    def _batch(self, step: Step, source: str, read: Callable[[], list[str]], *, tags: bool) -> None:
        st = self.station
        if st.counter.stocktake_id is None:
            st.emit("step", "no_stocktake", False, device=step.device)
            return
        try:
            values = read()
        except DeviceUnavailable:
            st.emit("device", DEVICE_LOST, False, device=step.device)
            return
        except FrameError as exc:
            st.handle_rejected(exc.reason, device=step.device)
            return
        try:
            v = st.counter.count_many(
                () if tags else values,
                tags=values if tags else (),
                actor=st.user,
                source=source,
                device=step.device,
            )
        except StocktakeError as exc:
            st.emit("step", exc.reason, False, device=step.device)
            return
        except StorageError:
            st.emit("step", LEDGER_ERROR, False, device=step.device)
            return
        detail = f"{v.counted} counted, {len(v.ids(_duplicate()))} again, {len(v.unbound_tags)} unbound"
        st.emit("step", f"{source}_counted", True, device=step.device, seq=v.seq, detail=detail)

    def _kiosk_inventory(self, step: Step) -> None:
        reader: Any = self.station.devices[step.device]
        refused = reader.refused

        def round_() -> list[str]:
            epcs = [r.epc for r in reader.inventory()]
            if reader.refused > refused:
                # The reader dropped a tag ID shaped like an individual number (its only refusal of a
                # hex EPC): on record as the reason code, like a refused frame.
                self.station.handle_rejected("mynumber_refused", device=step.device)
            return epcs

        self._batch(step, SOURCE_RFID, round_, tags=True)

    def _kiosk_photo(self, step: Step) -> None:
        camera: Any = self.station.devices[step.device]
        self._batch(step, SOURCE_TRAY, lambda: [s.code for s in camera.capture_tray()], tags=False)

    def _kiosk_finish_stocktake(self, step: Step) -> None:
        from kiosk.domain.stocktake import Decision, DecisionError, MissingDecision

        st = self.station
        self._settle(0.0)
        stocktake_id = st.counter.stocktake_id
        if stocktake_id is None:
            st.emit("step", "no_stocktake", False)
            return
        people = self._two(step)
        if people is None:
            return
        try:
            pending = self.desk.reconcile(stocktake_id)
            note = step.note or "not found at the stocktake (scenario)"
            decisions = {m: MissingDecision(Decision.RECORD_MISSING, note) for m in pending.missing_ids}
            outcome = st.counter.finish_stocktake(decisions, *people)
        except (TwoPersonError, DecisionError, StocktakeError) as exc:
            st.emit("step", getattr(exc, "reason", "refused"), False)
            return
        except StorageError:
            st.emit("step", LEDGER_ERROR, False)
            return
        result = outcome.result
        if result is None:
            st.emit("step", outcome.kind.value, False, seq=outcome.seq)
            return
        counts = {
            "expected": result.expected,
            "found": result.found,
            "missing": len(result.missing),
            "misplaced": len(result.misplaced),
            "unexpected": len(result.unexpected),
            "unknown": len(result.unknown),
            "duplicates": len(result.duplicates),
        }
        self.discrepancies = {
            "missing": result.missing_ids,
            "misplaced": [x.management_id for x in result.misplaced],
            "unexpected": [x.management_id for x in result.unexpected],
            "unknown": [x.management_id for x in result.unknown],
        }
        finished = stocktake_id
        detail = " ".join(f"{k}={v}" for k, v in counts.items())
        wrong = {k: v for k, v in step.counts.items() if counts.get(k) != v}
        code = "stocktake_finished" if not wrong else "counts_differ"
        st.emit("step", code, not wrong, seq=self.desk.head().seq, detail=detail)
        if wrong:
            self.mismatches.append(
                Mismatch(
                    st.step or 0, step.action, f"counts {step.counts}", [f"stocktake {finished}: {detail}"]
                )
            )

    def _kiosk_db_readonly(self, step: Step) -> None:
        self._settle(0.0)
        self.station.set_db_fault("readonly")

    def _kiosk_db_full(self, step: Step) -> None:
        self._settle(0.0)
        self.station.set_db_fault("full")

    def _kiosk_db_ok(self, step: Step) -> None:
        self._settle(0.0)
        self.station.clear_db_fault()

    # -- the invariant ----------------------------------------------------------------------------
    def _unrecorded_green(self) -> list[int]:
        """Green verdicts whose event is not in the ledger (must be none)."""
        green = [o for o in self.station.outcomes if o.ok and o.kind == "scan"]
        seqs = {o.seq for o in green if o.seq is not None}
        found = self.desk.recorded_seqs(seqs) if seqs else set()
        return [o.n for o in green if o.seq is None or o.seq not in found]


def _duplicate() -> Any:
    from kiosk.domain.stocktake import Sighting

    return Sighting.DUPLICATE


def run_scenario_file(
    name_or_path: str, ledger: Ledger, settings: Settings, *, out: Callable[[Outcome], None]
) -> RunResult:
    """Load a scenario (a built-in name or a TOML path) and run it; see `Runner`."""
    return Runner(load_scenario(name_or_path), ledger, settings, out).run()


__all__ = ["LEDGER_ERROR", "Mismatch", "RunResult", "Runner", "run_scenario_file"]
