"""Benchmark: can the serial scanner path keep up with a fast scanner at 115,200 baud?

A simulated scanner on a real pseudo-terminal sends `count` distinct management IDs (AIM `]C0`
prefix, CR terminator: 14 bytes a scan) at `scans_per_s`, never faster than 115,200 baud 8N1 could
carry them; `drivers.serial_scanner.SerialScanner`, opened at 115,200 baud, reads them in another
thread exactly as the kiosk's device worker would. Reported: scans lost, the achieved rate, and the
delay from write to `read()` returning the scan.

    .venv/bin/python -m bench.serial_throughput [--rate 200] [--count 2000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from typing import Any

from drivers.errors import DeviceUnavailable, FrameError
from drivers.serial_scanner import SerialScanner
from simulator.cabinet import make_management_id
from simulator.hub import SimHub

BAUD = 115_200
BITS_PER_BYTE = 10  # 8N1: start + 8 data + stop


def run(scans_per_s: int, count: int, baud: int = BAUD) -> dict[str, Any]:
    """Send `count` scans at `scans_per_s` through a pty into the serial driver; return the numbers."""
    codes = [make_management_id(i) for i in range(1, count + 1)]
    with SimHub() as hub:
        pty = hub.add_pty("bench", aim="]C0", framing="cr")
        frame_len = len(pty.fmt.encode(codes[0]))
        line_capacity = baud / BITS_PER_BYTE / frame_len  # scans/s the wire can carry at all
        interval = 1.0 / min(scans_per_s, line_capacity)
        scanner = SerialScanner(pty.path, baudrate=baud, name="bench", dedup_window=1.5)
        scanner.open()
        sent_at: dict[str, float] = {}
        received: dict[str, float] = {}
        rejected: list[str] = []
        done = threading.Event()

        def reader() -> None:
            while not done.is_set() or len(received) < count:
                try:
                    scan = scanner.read(0.2)
                except FrameError as exc:
                    rejected.append(exc.reason)
                    continue
                except DeviceUnavailable:
                    break
                if scan is None:
                    if done.is_set():
                        break
                    continue
                received[scan.code] = time.perf_counter()

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        start = time.perf_counter()
        for i, code in enumerate(codes):
            due = start + i * interval
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent_at[code] = time.perf_counter()
            pty.scan(code)
        send_end = time.perf_counter()
        # Give the reader a moment to drain, then stop it.
        deadline = time.perf_counter() + 5.0
        while len(received) < count and time.perf_counter() < deadline:
            time.sleep(0.01)
        done.set()
        thread.join(timeout=2)
        scanner.close()
    lost = count - len(received)
    in_order = [c for c in codes if c in received]
    ordered = sorted(received, key=received.__getitem__) == in_order
    latencies = [received[c] - sent_at[c] for c in received]
    span = (max(received.values()) - start) if received else float("nan")
    return {
        "requested_scans_per_s": scans_per_s,
        "count": count,
        "baud": baud,
        "line_capacity_scans_per_s": round(line_capacity, 1),
        "sent_scans_per_s": round(count / (send_end - start), 1) if count > 1 else None,
        "achieved_scans_per_s": round(len(received) / span, 1) if received else 0.0,
        "lost": lost,
        "rejected": len(rejected),
        "in_order": ordered,
        "latency_ms_p50": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "latency_ms_p99": round(statistics.quantiles(latencies, n=100)[98] * 1000, 2)
        if len(latencies) > 1
        else None,
    }


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=200, help="scans per second (default 200)")
    parser.add_argument("--count", type=int, default=2000, help="scans to send (default 2000)")
    parser.add_argument("--baud", type=int, default=BAUD)
    args = parser.parse_args()
    print(json.dumps(run(args.rate, args.count, args.baud), indent=2))


if __name__ == "__main__":
    main()
