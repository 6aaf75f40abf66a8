"""`kiosk labels`: print management-ID labels on A4 label sheets (PDF, vector, exact size)."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext, fail, pass_cli
from kiosk.cli.output import echo


def _ids_from_csv(path: Path) -> list[str]:
    import unicodedata

    from kiosk.domain.delivery import COLUMN_NAMES, DeliveryRejected, decode_delivery
    from kiosk.domain.management_id import ManagementId, Refusal

    try:
        # A delivery file as the office has it: UTF-8 (with or without BOM) or CP932.
        text = decode_delivery(path.read_bytes())
    except DeliveryRejected as exc:
        fail(f"{path}: {exc.problems[0]}")
    ids: list[str] = []
    problems: list[str] = []
    for n, line in enumerate(text.splitlines(), start=1):
        cell = line.split(",")[0].strip()
        header = unicodedata.normalize("NFKC", cell).lower() in COLUMN_NAMES["management_id"]
        if not cell or (n == 1 and header):
            continue
        try:
            ids.append(ManagementId.parse(cell).value)
        except Refusal as exc:
            problems.append(f"{path} line {n}: {exc}")
    for problem in problems:
        echo(problem, err=True)
    if problems:
        fail(f"{len(problems)} bad line(s); no labels were printed")
    return ids


@cli.command()
@click.option("--from", "first", default=None, help="First management ID of a run.")
@click.option("--count", type=click.IntRange(1, 100_000), default=None, help="How many IDs from --from.")
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Print the IDs in the first column of this CSV (e.g. a delivery file) instead of a run.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--sheet", type=click.Choice(["a4-12", "a4-24", "a4-44", "custom"]), default=None)
@click.option("--symbol", type=click.Choice(["datamatrix", "qr"]), default=None)
@click.option(
    "--skip", type=int, default=0, show_default=True, help="Positions already used on the first sheet."
)
@click.option("--outlines", is_flag=True, help="Draw each label's edge (for calibrating the offset).")
@click.option(
    "--encoder",
    type=click.Choice(["builtin", "python-barcode"]),
    default="builtin",
    hidden=True,  # diagnostics: shows that the read-back refuses python-barcode's bars for IDs from 99
)
@pass_cli
def labels(
    ctx: CliContext,
    first: str | None,
    count: int | None,
    csv_file: Path | None,
    output: Path,
    sheet: str | None,
    symbol: str | None,
    skip: int,
    outlines: bool,
    encoder: str,
) -> None:
    """Label sheets: Code 128, a 2-D symbol of the same ID, and the digits; [labels] sets sheet and offset.

    Every label is decoded back from the rendered page before the file is written; a label that does
    not read as its own ID refuses the sheet, naming the ID.
    """
    from kiosk.domain.management_id import ManagementId, Refusal
    from kiosk.labels.code128 import ENCODERS
    from kiosk.labels.pdf import write_label_sheets
    from kiosk.labels.sheet import id_run, layout_from_settings
    from kiosk.labels.verify import LabelsUnreadable, ReadBackUnavailable
    from kiosk.reports.fonts import FontMissing

    if output.suffix.lower() != ".pdf":
        fail(f"{output}: label sheets are written as .pdf")
    if csv_file is not None:
        if first or count:
            fail("give --csv or --from/--count, not both")
        ids = _ids_from_csv(csv_file)
        if not ids:
            fail(f"{csv_file}: no management IDs")
    else:
        if not first or not count:
            fail("give --from ID and --count N (or --csv FILE)")
        try:
            ids = id_run(ManagementId.parse(first), count)
        except Refusal as exc:
            fail(f"--from: {exc}")
        except ValueError as exc:
            fail(str(exc))
    from kiosk.fs import OutputRefused, safe_output_path

    settings = ctx.settings
    try:
        layout = layout_from_settings(settings.labels, sheet)
        with safe_output_path(output, ctx.protected()) as tmp:
            pages = write_label_sheets(
                ids,
                layout,
                tmp,
                symbol=symbol or settings.labels.symbol,
                skip=skip,
                font_file=settings.reports.font_file,
                outlines=outlines,
                encoder=ENCODERS[encoder],
            )
    except LabelsUnreadable as exc:
        for problem in exc.problems:
            echo(problem, err=True)
        fail(f"{len(exc.problems)} label(s) do not read back as their ID; no sheet was written")
    except (ValueError, FontMissing, ReadBackUnavailable, OutputRefused) as exc:
        fail(str(exc))
    echo(f"wrote {len(ids)} labels ({ids[0]} … {ids[-1]}) on {pages} {layout.name} sheet(s) to {output}")
