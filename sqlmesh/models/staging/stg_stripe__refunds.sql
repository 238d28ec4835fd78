MODEL (
  name staging.stg_stripe__refunds,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key refund_id
  ),
  grain refund_id,
  /* types declared so money is NUMERIC(38, 9) on DuckDB too (see tests/sqlmesh/test_model_contracts.py) */
  columns (
    refund_id STRING,
    created_at TIMESTAMP,
    charge_id STRING,
    currency STRING,
    amount_minor INT64,
    amount NUMERIC(38, 9),
    reason STRING,
    status STRING,
    balance_transaction_id STRING,
    snapshot_at TIMESTAMP,
    loaded_for_date DATE,
    _dlt_load_id STRING
  ),
  description 'Stripe refunds, one row per refund in its latest known state.',
  audits (
    not_null(columns := (refund_id, created_at, currency, amount_minor)),
    unique_values(columns := (refund_id)),
    accepted_range(column := amount_minor, min_v := 0)
  )
);

SELECT
  id AS refund_id, /* Stripe refund id (re_...) */
  created AS created_at, /* when the refund was made, UTC */
  charge AS charge_id, /* the refunded charge */
  LOWER(currency) AS currency,
  amount AS amount_minor, /* amount refunded, minor units */
  @minor_to_major(amount, currency) AS amount, /* amount refunded, major units */
  reason,
  status,
  balance_transaction AS balance_transaction_id,
  snapshot_at,
  date AS loaded_for_date,
  _dlt_load_id
FROM raw.stripe__refunds
WHERE
  date BETWEEN @start_date AND @end_date
QUALIFY
  ROW_NUMBER() OVER (PARTITION BY id ORDER BY snapshot_at DESC, _dlt_load_id DESC) = 1
