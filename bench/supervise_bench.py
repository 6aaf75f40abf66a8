"""Committed event → its appearance on the supervisor's page, with 3 kiosks writing to one ledger.

Three writer threads, each a kiosk of its own (`bench-kiosk-1..3`, its own engine, its own open safe
session), take booked cards out at random intervals (0.1–0.5 s) on one PostgreSQL ledger, and then the
same on one SQLite file. The supervisor's view runs as `kiosk supervise` does (uvicorn; its stream is
woken by the core's head signal: PostgreSQL LISTEN/NOTIFY, SQLite `PRAGMA data_version` every 20 ms),
and a signed-in page watches it. Beside the booked cards, `WAITING` more cards wait in the safe (the
retention summary on the page covers all of them):

- in Debian's chromium through Playwright when /usr/bin/chromium is there: a MutationObserver in the
  page notes when each card's row first exists in the DOM (`basis: browser`);
- otherwise an SSE client notes when a pushed panel first holds the card's row (`basis: sse`).

Latency = that moment − the moment the writer's `Desk.scan` returned (after its commit), on the
same machine clock. Not in the default test run: `python -m bench.supervise_bench [--quick]`, or
`kiosk bench` (the suite's "supervise" part). PostgreSQL needs KIOSK_BENCH_PG_URL or KIOSK_TEST_PG_URL;
without it `supervise_event_to_page_*` are SQLite's, and the basis says so. Keys: `supervise_*` (the
PostgreSQL run, else SQLite's), `supervise_sqlite_*` (always), and `supervise_sqlite_poll_us`, the cost
of one `PRAGMA data_version` check on a WAL ledger (the SQLite signal's poll; × 50 a second).
"""

from __future__ import annotations

import bisect
import contextlib
import json
import os
import random
import secrets
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
_PUSH = {"PostgreSQL": "pushed by LISTEN/NOTIFY", "SQLite": "pushed by data_version every 20 ms"}
KIOSKS = 3
# Cards waiting in the safe beside the ones taken out (received, no notice date yet): a mid-sized
# office's stock. The panel's retention summary covers every waiting card, so a bench with only the
# 30 booked cards would hide what a render costs at a real safe.
WAITING = 5_000

_OBSERVER = """
() => {
  window.__seen = {};
  const note = () => {
    const now = performance.timeOrigin + performance.now();
    for (const row of document.querySelectorAll('#panel tr[data-card]')) {
      const id = row.dataset.card;
      if (!(id in window.__seen)) { window.__seen[id] = now; }
    }
  };
  note();
  new MutationObserver(note).observe(document.getElementById('panel'), {childList: true, subtree: true});
}
"""


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _pg_url() -> str | None:
    return os.environ.get("KIOSK_BENCH_PG_URL") or os.environ.get("KIOSK_TEST_PG_URL")


def run(quick: bool = False, waiting: int = WAITING) -> dict[str, Any]:
    """See the module docstring. Returns ms percentiles for PostgreSQL (when configured) and SQLite.

    Each backend runs in arms that alternate, pushed then polled (the view's old 0.5 s head poll,
    `ViewSettings(push=False)`), each on a fresh ledger: one of each with --quick, two of each
    without; a load spike then weighs on both sides, and `*_push_over_poll_p99` is their ratio.
    """
    per_kiosk = 10 if quick else 40
    rounds = 1 if quick else 2
    result: dict[str, Any] = {}
    lite = _arms(_sqlite_ledger, per_kiosk=per_kiosk, backend="SQLite", rounds=rounds, waiting=waiting)
    result["supervise_sqlite_poll_us"] = _data_version_cost()
    result.update({k.replace("supervise_", "supervise_sqlite_", 1): v for k, v in lite.items()})
    if not _pg_url():
        result.update(lite)
        result["supervise_basis"] = f"{lite['supervise_basis']} (no PostgreSQL: set KIOSK_BENCH_PG_URL)"
        return result
    result.update(
        _arms(_pg_ledger, per_kiosk=per_kiosk, backend="PostgreSQL", rounds=rounds, waiting=waiting)
    )
    return result


@contextlib.contextmanager
def _sqlite_ledger() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'ledger.sqlite3'}"


@contextlib.contextmanager
def _pg_ledger() -> Iterator[str]:
    from sqlalchemy import text

    from kiosk.ledger.engine import make_engine

    url = _pg_url()
    assert url is not None
    schema = f"bench_sv_{secrets.token_hex(4)}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _arms(
    ledger: Callable[[], contextlib.AbstractContextManager[str]],
    *,
    per_kiosk: int,
    backend: str,
    rounds: int,
    waiting: int,
) -> dict[str, Any]:
    """Pushed and polled arms in turn; the pushed arms' numbers, the polled arms' p50/p99 and the ratio."""
    runs: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    for _ in range(rounds):
        for push in (True, False):
            with ledger() as url:
                runs[push].append(
                    _measure(url, per_kiosk=per_kiosk, backend=backend, push=push, waiting=waiting)
                )
    pushed, polled = _merge(runs[True]), _merge(runs[False])
    result = dict(pushed)
    result["supervise_basis"] += f"; {rounds} pushed and {rounds} polled (0.5 s) arms in turn"
    result["supervise_poll_event_to_page_p50_ms"] = polled["supervise_event_to_page_p50_ms"]
    result["supervise_poll_event_to_page_p99_ms"] = polled["supervise_event_to_page_p99_ms"]
    if pushed["supervise_event_to_page_p99_ms"] and polled["supervise_event_to_page_p99_ms"]:
        result["supervise_push_over_poll_p99"] = round(
            pushed["supervise_event_to_page_p99_ms"] / polled["supervise_event_to_page_p99_ms"], 2
        )
    return result


def _merge(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One arm's runs as one: percentiles over every event's latency, renders' median over the runs."""
    latencies = [x for r in runs for x in r.pop("_latencies")]
    to_wake = [x for r in runs for x in r.pop("_to_wake")]
    merged = dict(runs[-1])
    merged.update(
        {
            "supervise_event_to_page_p50_ms": round(_pct(latencies, 0.50), 1) if latencies else None,
            "supervise_event_to_page_p99_ms": round(_pct(latencies, 0.99), 1) if latencies else None,
            "supervise_event_to_page_max_ms": round(max(latencies), 1) if latencies else None,
            "supervise_commit_to_wake_p50_ms": round(_pct(to_wake, 0.50), 1) if to_wake else None,
            "supervise_commit_to_wake_p99_ms": round(_pct(to_wake, 0.99), 1) if to_wake else None,
            "supervise_panel_render_p50_ms": round(
                statistics.median(r["supervise_panel_render_p50_ms"] for r in runs), 1
            ),
            "supervise_events": sum(r["supervise_events"] for r in runs),
            "supervise_not_seen": sum(r["supervise_not_seen"] for r in runs),
        }
    )
    return merged


def _data_version_cost(checks: int = 20_000) -> float:
    """µs per `PRAGMA data_version` on its own connection to a WAL ledger (the SQLite signal's check)."""
    import sqlite3

    from kiosk.ledger.engine import make_engine, upgrade

    with _sqlite_ledger() as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        con = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            t0 = time.perf_counter()
            for _ in range(checks):
                con.execute("PRAGMA data_version").fetchone()
            return round((time.perf_counter() - t0) / checks * 1e6, 2)
        finally:
            con.close()


def _measure(
    url: str, *, per_kiosk: int, backend: str, push: bool = True, waiting: int = WAITING
) -> dict[str, Any]:
    import uvicorn

    from drivers.damm import with_check_digit
    from kiosk.config import DEFAULT_OPENING_CHECKLIST, Settings
    from kiosk.desk import Desk
    from kiosk.domain.delivery import parse_delivery
    from kiosk.domain.management_id import ManagementId
    from kiosk.domain.safe_session import ScanMode
    from kiosk.domain.staff import Role
    from kiosk.ledger.engine import make_engine, upgrade
    from kiosk.ledger.head_signal import head_signal
    from kiosk.ledger.service import Ledger
    from kiosk.supervise.app import ViewSettings, create_app

    pepper = b"bench-pepper"
    engine = make_engine(url)
    upgrade(engine)
    ledger = Ledger(engine, pepper=pepper, kiosk="bench-supervisor")
    officer = ledger.add_staff(
        name="保管 正子", badge="O001", employee_no="E-O001", role=Role.OFFICER, rank=0, pin="1111"
    )
    clerk = ledger.add_staff(
        name="窓口 一郎", badge="C001", employee_no="E-C001", role=Role.CLERK, pin="3333"
    )
    ledger.add_staff(name="課長 三子", badge="S001", employee_no="E-S001", role=Role.SUPERVISOR, pin="5555")
    cards = [with_check_digit(f"8{n:08d}") for n in range(1, KIOSKS * per_kiosk + 1)]
    ledger.receive_batch(
        "B-BENCH", parse_delivery("management_id,kind\n" + "".join(f"{c},mynumber_card\n" for c in cards))
    )
    stock = [with_check_digit(f"7{n:08d}") for n in range(1, waiting + 1)]
    if stock:
        ledger.receive_batch(
            "B-STOCK", parse_delivery("management_id,kind\n" + "".join(f"{c},mynumber_card\n" for c in stock))
        )
    Desk(ledger, Settings()).book(cards, officer)  # the booker may not take the card out; the clerk does

    # The production view, over the application core like `kiosk supervise`.
    app = create_app(Desk(ledger, Settings()), ViewSettings(push=push), random_key=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    while not server.started:
        time.sleep(0.02)
    base = f"http://127.0.0.1:{port}"

    committed: dict[str, float] = {}
    lock = threading.Lock()

    def kiosk(n: int, mine: list[str]) -> None:
        own = make_engine(url)
        station = Desk(Ledger(own, pepper=pepper, kiosk=f"bench-kiosk-{n}"), Settings())
        session = station.open_safe(officer, clerk, DEFAULT_OPENING_CHECKLIST)
        rng = random.Random(n)
        for card in mine:
            time.sleep(rng.uniform(0.1, 0.5))
            verdict = station.scan(
                session.id, ManagementId.parse(card), ScanMode.TAKE_OUT, clerk, device=f"scanner-{n}"
            )
            done = time.time()
            assert verdict.ok, verdict
            with lock:
                committed[card] = done
        own.dispose()

    # The push alone: when the core's head signal woke its subscribers (the view's streams subscribe
    # the same way), beside the page's own moment.
    wakes: list[float] = []
    stop_watching = head_signal(engine).subscribe(lambda: wakes.append(time.time()))
    try:
        seen, basis = _observe(base, cards, committed, kiosk, per_kiosk)
        # What one wake-up costs the view before the page can change: the panel's render.
        view = app.state.view
        renders = []
        for _ in range(10):
            t0 = time.perf_counter()
            view.panel("ja")
            renders.append((time.perf_counter() - t0) * 1000)
    finally:
        stop_watching()
        server.should_exit = True
        serving.join(timeout=5)
        engine.dispose()
    latencies = [(seen[c] - committed[c]) * 1000 for c in committed if c in seen]
    lost = len(committed) - len(latencies)
    # Commit → the first wake-up after it (a wake-up of another kiosk's earlier commit can land first:
    # a slight understatement, at 3 kiosks a few times a second).
    woken = sorted(wakes)
    to_wake = [
        (woken[i] - at) * 1000
        for at in committed.values()
        if (i := bisect.bisect_left(woken, at)) < len(woken)
    ]
    return {
        "supervise_event_to_page_p50_ms": round(_pct(latencies, 0.50), 1) if latencies else None,
        "supervise_event_to_page_p99_ms": round(_pct(latencies, 0.99), 1) if latencies else None,
        "supervise_event_to_page_max_ms": round(max(latencies), 1) if latencies else None,
        "supervise_commit_to_wake_p50_ms": round(_pct(to_wake, 0.50), 1) if to_wake else None,
        "supervise_commit_to_wake_p99_ms": round(_pct(to_wake, 0.99), 1) if to_wake else None,
        "supervise_panel_render_p50_ms": round(statistics.median(renders), 1),
        "supervise_events": len(committed),
        "supervise_not_seen": lost,
        "supervise_basis": (
            f"{basis}; {KIOSKS} kiosks × {per_kiosk} take-outs on {backend}, "
            f"{waiting:,} more cards waiting; {_PUSH[backend]}"
        ),
        "_latencies": latencies,
        "_to_wake": to_wake,
    }


def _observe(
    base: str, cards: list[str], committed: dict[str, float], kiosk: Any, per_kiosk: int
) -> tuple[dict[str, float], str]:
    writers = [
        threading.Thread(target=kiosk, args=(n + 1, cards[n * per_kiosk : (n + 1) * per_kiosk]))
        for n in range(KIOSKS)
    ]
    if CHROMIUM.exists():
        return _observe_browser(base, writers), "browser (chromium, DOM row first present)"
    return _observe_sse(base, writers), "sse (panel with the row first received)"


def _observe_browser(base: str, writers: list[threading.Thread]) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
    args += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
        page = browser.new_page()
        page.goto(base + "/signin")
        page.fill("#badge", "S001")
        page.fill("#pin", "5555")
        with page.expect_navigation():
            page.click("#signin-submit")
        page.wait_for_selector("#live[data-state=on]")
        page.evaluate(_OBSERVER)
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        time.sleep(3)  # let the last rows arrive
        seen: dict[str, float] = {k: v / 1000 for k, v in page.evaluate("() => window.__seen").items()}
        browser.close()
    return seen


def _observe_sse(base: str, writers: list[threading.Thread]) -> dict[str, float]:
    import httpx

    seen: dict[str, float] = {}
    stop = threading.Event()

    def listen(client: httpx.Client) -> None:
        try:
            with client.stream("GET", "/events") as stream:
                for line in stream.iter_lines():
                    now = time.time()
                    if stop.is_set():
                        return
                    for part in line.split('data-card="')[1:]:
                        seen.setdefault(part.split('"', 1)[0], now)
        except httpx.HTTPError:
            return  # the client closed under the stream at the end of the run

    # The stream is quiet between changes: a long read timeout, not none.
    with httpx.Client(base_url=base, timeout=httpx.Timeout(10, read=120)) as client:
        client.post("/signin", data={"badge": "S001", "pin": "5555"})
        listener = threading.Thread(target=listen, args=(client,), daemon=True)
        listener.start()
        time.sleep(1)
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        time.sleep(3)
        stop.set()
    return seen


def format_table(r: dict[str, Any]) -> str:
    lines = []
    for key in ("supervise", "supervise_sqlite"):
        lines.append(
            f"committed event → page p50 / p99 / max: {r.get(f'{key}_event_to_page_p50_ms', '-')} / "
            f"{r.get(f'{key}_event_to_page_p99_ms', '-')} / {r.get(f'{key}_event_to_page_max_ms', '-')} ms "
            f"({r.get(f'{key}_events', 0)} events, {r.get(f'{key}_not_seen', 0)} not seen)\n"
            f"  of which commit → core's wake-up p50 / p99: {r.get(f'{key}_commit_to_wake_p50_ms', '-')} / "
            f"{r.get(f'{key}_commit_to_wake_p99_ms', '-')} ms; one panel render (median) "
            f"{r.get(f'{key}_panel_render_p50_ms', '-')} ms\n"
            f"basis: {r.get(f'{key}_basis')}"
        )
        lines.append(
            f"  the same arms polled (0.5 s) p50 / p99: {r.get(f'{key}_poll_event_to_page_p50_ms', '-')} / "
            f"{r.get(f'{key}_poll_event_to_page_p99_ms', '-')} ms; pushed ÷ polled p99 "
            f"{r.get(f'{key}_push_over_poll_p99', '-')}"
        )
    return (
        "\n".join(lines) + f"\nSQLite signal: one data_version check {r.get('supervise_sqlite_poll_us')} µs\n"
        f"measured {datetime.now(UTC).isoformat(timespec='seconds')}"
    )


def main() -> None:
    result = run("--quick" in sys.argv)
    print(format_table(result))
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
