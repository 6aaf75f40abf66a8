"""Decoder benchmark: zxing-cpp, pyzbar and the cascade on the same rendered frames, one core.

    python -m bench.decode_bench            # full run, prints a table
    python -m bench.decode_bench --quick    # fewer frames

Per imaging condition (clean, blur, noise, rotation 15-45°, perspective, glare, low contrast,
occlusion) it renders 1080p frames of one card's label — Code 128 only, Code 128 + Data Matrix, and
Code 128 + QR in turn — and reports each decoder's success rate (the card's ID read, nothing wrong)
and median milliseconds per frame. Then 4K tray photos of 20, 50 and 100 labels (Data Matrix modules
and Code 128 bars of 2 px, mild blur, noise and vignetting): labels found and time per photo.
OpenCV runs single-threaded (`cv2.setNumThreads(1)`) so the times are one core's.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from typing import Any

from drivers.decode import decode, decode_tray, label_codes
from simulator.cabinet import make_management_id
from simulator.render import Condition, Effects, LabelSymbol, render_card_frame, render_tray

DECODERS = ("zxing", "pyzbar", "cascade")
KINDS: tuple[LabelSymbol | None, ...] = (None, LabelSymbol.DATAMATRIX, LabelSymbol.QR)
TRAY_SIZES = (20, 50, 100)


def _frames(condition: Condition, count: int, seed: int) -> list[tuple[str, Any, str]]:
    out = []
    for i in range(count):
        mid = make_management_id(seed * 1000 + i + 1)
        rng = random.Random(seed * 7919 + i)
        kind = KINDS[i % len(KINDS)]
        frame = render_card_frame(mid, effects=Effects.for_condition(condition, rng), seed=i, symbol=kind)
        out.append((mid, frame, kind.value if kind else "code128"))
    return out


def run(
    quick: bool,
    *,
    frames_per_condition: int | None = None,
    trays: tuple[int, ...] = TRAY_SIZES,
    tray_rounds: int | None = None,
) -> dict[str, Any]:
    """Run the benchmark; returns {"conditions": {...}, "overall": {...}, "trays": {...}}.

    `tray_rounds`: how many interleaved rounds each tray photo is timed over (median; default 3, 1 quick).
    """
    import cv2

    cv2.setNumThreads(1)
    count = frames_per_condition or (12 if quick else 60)
    conditions: dict[str, dict[str, dict[str, float]]] = {}
    all_ok: dict[str, list[bool]] = {d: [] for d in DECODERS}
    all_ms: dict[str, list[float]] = {d: [] for d in DECODERS}
    by_kind: dict[str, dict[str, list[bool]]] = {}
    for c_index, condition in enumerate(Condition):
        frames = _frames(condition, count, c_index + 1)
        row: dict[str, dict[str, float]] = {}
        for decoder in DECODERS:
            oks: list[bool] = []
            times: list[float] = []
            for mid, frame, kind in frames:
                t0 = time.perf_counter()
                found = decode(frame, backend=decoder)
                times.append((time.perf_counter() - t0) * 1000)
                codes = label_codes(found)
                ok = codes == [mid]
                oks.append(ok)
                by_kind.setdefault(kind, {}).setdefault(decoder, []).append(ok)
            row[decoder] = {"success": sum(oks) / len(oks), "median_ms": statistics.median(times)}
            all_ok[decoder] += oks
            all_ms[decoder] += times
        conditions[condition.value] = row
    overall = {
        d: {"success": sum(all_ok[d]) / len(all_ok[d]), "median_ms": statistics.median(all_ms[d])}
        for d in DECODERS
    }
    kinds = {k: {d: sum(v) / len(v) for d, v in per.items()} for k, per in by_kind.items()}

    # Tray photos take 0.1-1 s each: the decoders run in turn, round after round, in this one process, and
    # the time is each decoder's median over the rounds, so a burst of load from elsewhere falls on all
    # of them alike rather than on whichever ran during it.
    rounds = tray_rounds if tray_rounds is not None else (1 if quick else 3)
    tray_rows: dict[str, dict[str, dict[str, float]]] = {}
    for n in trays:
        ids = [make_management_id(50_000 + i) for i in range(n)]
        frame = render_tray(
            ids, seed=n, module_px=2, bar_px=2, blur_sigma=0.8, noise_sigma=5.0, vignette=0.25
        )
        row = {}
        tray_ms: dict[str, list[float]] = {d: [] for d in DECODERS}
        for r in range(rounds):
            for decoder in DECODERS:
                t0 = time.perf_counter()
                found = decode(frame, backend=decoder, many=True)
                tray_ms[decoder].append((time.perf_counter() - t0) * 1000)
                if r == 0:
                    read = set(label_codes(found))
                    row[decoder] = {"found": len(read & set(ids)), "wrong": len(read - set(ids))}
        for decoder in DECODERS:
            row[decoder]["ms"] = statistics.median(tray_ms[decoder])
        tray_rows[str(n)] = row
    # A 1080p tray photo of 100 labels (bars and modules 1 px): too small for any decoder. The cascade
    # estimates the symbol size first and stops early with the resolution message (issue 25).
    coarse_rows: dict[str, dict[str, float]] = {}
    ids = [make_management_id(60_000 + i) for i in range(100)]
    frame = render_tray(
        ids, seed=7, size=(1920, 1080), bar_px=1, module_px=1, blur_sigma=0.8, noise_sigma=5.0
    )
    for decoder in DECODERS:
        t0 = time.perf_counter()
        if decoder == "cascade":
            coarse_found, check = decode_tray(frame)
            said = float(check is not None and check.coarse)
        else:
            coarse_found, said = decode(frame, backend=decoder, many=True), 0.0
        ms = (time.perf_counter() - t0) * 1000
        found_n = len(set(label_codes(coarse_found)) & set(ids))
        coarse_rows[decoder] = {"found": found_n, "ms": ms, "said": said}
    return {
        "coarse_tray": coarse_rows,
        "frames_per_condition": count,
        "conditions": conditions,
        "overall": overall,
        "by_label_kind": kinds,
        "trays": tray_rows,
    }


def format_table(result: dict[str, Any]) -> str:
    """The result as a plain-text table."""
    lines = [
        f"1080p frames, {result['frames_per_condition']} per condition; success % / median ms (one core)"
    ]
    header = f"{'condition':<14}" + "".join(f"{d:>20}" for d in DECODERS)
    lines += [header, "-" * len(header)]
    rows = [*result["conditions"].items(), ("overall", result["overall"])]
    for name, row in rows:
        cells = "".join(f"{100 * row[d]['success']:>11.1f}% {row[d]['median_ms']:>6.1f}ms" for d in DECODERS)
        lines.append(f"{name:<14}{cells}")
    lines.append("")
    lines.append(
        "success % by label kind: "
        + "; ".join(
            f"{k}: " + ", ".join(f"{d} {100 * v:.0f}%" for d, v in per.items())
            for k, per in result["by_label_kind"].items()
        )
    )
    lines.append("")
    lines.append("4K tray photos (2-D modules and bars 2 px): labels found / median time, interleaved rounds")
    for n, row in result["trays"].items():
        cells = "  ".join(
            f"{d} {row[d]['found']}/{n} ({row[d]['wrong']} wrong) {row[d]['ms']:.0f}ms" for d in DECODERS
        )
        lines.append(f"{n:>4} labels: {cells}")
    lines.append("")
    lines.append("1080p tray photo, 100 labels at 1 px (too small): labels found / time / resolution message")
    coarse = result["coarse_tray"]
    lines.append(
        "  ".join(
            f"{d} {coarse[d]['found']:.0f}/100 {coarse[d]['ms']:.0f}ms"
            + (" (said too small)" if coarse[d]["said"] else "")
            for d in DECODERS
        )
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames per condition")
    args = parser.parse_args(argv)
    print(format_table(run(args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
