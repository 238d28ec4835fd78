MODEL (
  name staging.stg_google_sheets__inventory,
  /* FULL: every load is a whole snapshot of the sheet, so the current stock is the newest */
  /* partition, and replacing the table with it makes items deleted from the sheet disappear (a */
  /* merge on sku would keep them). A FULL model gets no interval, only the run's execution */
  /* time: each run reads the partitions of the week up to it (a sheets load that failed for a */
  /* few days leaves the last snapshot in place rather than an empty table; a week of a small */
  /* sheet is cheap) and keeps the one read last (raw already keeps the newest load of each */
  /* date; only a date's own nightly run reads the sheets, so the newest date is the newest read). */
  kind FULL,
  grain sku,
  columns (
    sku STRING,
    item_name STRING,
    barcode STRING,
    on_hand INT64,
    reorder_point INT64,
    unit_cost NUMERIC(38, 9),
    updated_date DATE,
    row_number INT64,
    snapshot_at TIMESTAMP,
    snapshot_date DATE,
    _dlt_load_id STRING
  ),
  description 'The stock sheet (Google Sheets, tab Stock) as it stands in its newest snapshot: one row per SKU kept in stock. Items deleted from the sheet are gone here.',
  audits (
    not_null(columns := (sku, item_name, on_hand, reorder_point, unit_cost, row_number, snapshot_at, snapshot_date)),
    unique_values(columns := (sku)),
    unique_values(columns := (row_number)),
    accepted_range(column := unit_cost, min_v := 0),
    accepted_range(column := reorder_point, min_v := 0),
    /* oversold stock typed as a negative count is worth a warning, not a stopped run */
    accepted_range(column := on_hand, min_v := 0, blocking := false)
  )
);

SELECT
  TRIM(sku) AS sku, /* the organisation's SKU: Stripe charge metadata sku, PayPal cart item code */
  item_name, /* as typed in the sheet */
  barcode, /* UPC/EAN as text, leading zeros kept */
  on_hand, /* units in stock when the sheet was read */
  reorder_point, /* reorder when on_hand falls to this many units */
  CAST(unit_cost AS NUMERIC(38, 9)) AS unit_cost, /* what one unit costs the organisation, USD, major units */
  updated AS updated_date, /* the day the row was last changed, as the sheet says */
  row_number, /* the row in the sheet (the header is row 1) */
  snapshot_at, /* when the sheet was read, UTC (the run's clock): the instant its rows describe */
  date AS snapshot_date, /* the lake partition (run date) the snapshot was loaded into, read in that date's nightly run */
  _dlt_load_id /* the load that wrote the snapshot */
FROM raw.google_sheets__inventory
WHERE
  date BETWEEN DATE_SUB(@execution_date, INTERVAL 7 DAY) AND @execution_date
QUALIFY
  snapshot_at = MAX(snapshot_at) OVER ()
  AND ROW_NUMBER() OVER (PARTITION BY date, sku ORDER BY updated DESC, row_number DESC) = 1
