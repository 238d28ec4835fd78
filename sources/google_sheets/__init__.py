"""The Google Sheets source: named spreadsheet ranges, each a table with a declared model.

Each configured sheet (`sheets`: table, spreadsheet_id, range, model) is read whole on every
run, through gspread, as the sheet displays its cells, and lands in the run's date partition:
sheets are small and edited anywhere, so a full snapshot each day is both simpler and truer
than tracking changes. Each row carries `snapshot_at`, the run's clock when the sheet was read.
A sheet shows only its present, so only a date's own nightly run reads it (`is_nightly`): a
backfill or catch-up of an older date leaves that date's sheet tables as they are, with one
warning, rather than label today's sheet with that date or replace the snapshot read then.
Rows that do not fit the model go to `rejected_records` with their sheet and row
(`Roster!A17:H17`) and the column that failed; the rest load.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

import dlt
from dlt.sources import DltResource

from sources.clock import is_nightly, run_now, yesterday
from sources.errors import SourceError
from sources.google_sheets.cells import records
from sources.google_sheets.client import build_client, read_sheet
from sources.google_sheets.models import MODELS, SheetRow
from sources.google_sheets.settings import (
    DECIMAL_COMMA_LANGUAGES,
    DEMO_SHEETS,
    SHEETS_API,
    SHEETS_SETTING,
    SOURCE,
    SheetSpec,
    sheet_specs,
)
from sources.registry import SourceSpec
from sources.rejects import REJECTED_TABLE, RejectedRecord, validate_records
from sources.tables import to_table

if TYPE_CHECKING:  # the SDK is imported where the client is built (client.py), never at load
    import gspread
    import pyarrow as pa

log = logging.getLogger(__name__)


@dlt.source(name=SOURCE, max_table_nesting=0)
def google_sheets_source(
    sheets: list[dict[str, Any]] = dlt.config.value,
    base_url: str = SHEETS_API,
    run_date: date | None = None,
) -> list[DltResource]:
    """One table per configured sheet, read whole, in `run_date`'s nightly run only.

    `sheets` lists the sheets (see `DEMO_SHEETS` for the shape); `base_url` points gspread at
    the sandbox in local runs.
    """
    specs = sheet_specs(sheets)
    for spec in specs:
        if spec.model not in MODELS:
            raise SourceError(
                SOURCE,
                f"unknown model {spec.model!r} in setting {SHEETS_SETTING}; "
                f"known: {', '.join(sorted(MODELS))}",
                spec.table,
            )
    client = build_client(base_url)
    return [
        dlt.resource(
            _read_sheet,
            name=spec.table,
            # no primary_key hint: it would also bind rejected_records, which share the resource
            write_disposition="append",
        )(client, spec, run_date or yesterday())
        for spec in specs
    ]


SPEC = SourceSpec(
    name=SOURCE,
    build=google_sheets_source,
    resources=tuple(sheet["table"] for sheet in DEMO_SHEETS),
    sandbox_arguments=lambda base_url: {"base_url": base_url, "sheets": list(DEMO_SHEETS)},
    table_models=tuple((sheet["table"], MODELS[sheet["model"]]) for sheet in DEMO_SHEETS),
)


def _read_sheet(client: gspread.Client, spec: SheetSpec, run_date: date) -> Iterator[pa.Table]:
    model = MODELS[spec.model]
    snapshot_at = run_now()
    if not is_nightly(run_date, snapshot_at):
        log.warning(
            "%s.%s: not read for %s: a sheet shows only its present (%s), which is not that "
            "day's; the date keeps the snapshot its own nightly run read, if any",
            SOURCE,
            spec.table,
            run_date,
            snapshot_at.isoformat(),
        )
        return
    values = read_sheet(client, spec)
    if values.locale.split("_")[0].lower() in DECIMAL_COMMA_LANGUAGES:
        raise SourceError(
            SOURCE,
            f"spreadsheet {spec.spreadsheet_id} uses locale {values.locale}, whose numbers "
            "have a decimal comma; set its locale to an English one (File > Settings)",
            spec.table,
        )
    if not values.rows:
        log.warning("%s.%s: %s is empty", SOURCE, spec.table, values.a1_range)
    rows = list(records(spec, model, values.a1_range, values.rows, snapshot_at))
    models, rejected = validate_records(rows, model, SOURCE, spec.table, snapshot_at)
    # Always one table, even empty: the partition then shows the sheet was read and was empty.
    yield to_table(models, model)
    if rejected:
        yield dlt.mark.with_table_name(to_table(rejected, RejectedRecord), REJECTED_TABLE)


__all__ = ["SPEC", "SheetRow", "google_sheets_source"]
