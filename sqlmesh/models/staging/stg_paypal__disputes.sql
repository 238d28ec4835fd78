MODEL (
  name staging.stg_paypal__disputes,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key dispute_id
  ),
  grain dispute_id,
  /* types declared so money is NUMERIC(38, 9) on DuckDB too (see tests/sqlmesh/test_model_contracts.py) */
  columns (
    dispute_id STRING,
    created_at TIMESTAMP,
    updated_at TIMESTAMP,
    transaction_id STRING,
    currency STRING,
    amount_minor INT64,
    amount NUMERIC(38, 9),
    amount_refunded_minor INT64,
    reason STRING,
    status STRING,
    life_cycle_stage STRING,
    channel STRING,
    outcome_code STRING,
    is_resolved BOOLEAN,
    seller_response_due_date TIMESTAMP,
    snapshot_at TIMESTAMP,
    loaded_for_date DATE,
    _dlt_load_id STRING
  ),
  description 'PayPal disputes (inquiries and claims through PayPal, chargebacks by card banks), one row per dispute in its latest known state; transaction_id is the disputed payment in stg_paypal__transactions.',
  audits (
    not_null(columns := (dispute_id, created_at, updated_at, currency, amount_minor, status)),
    unique_values(columns := (dispute_id)),
    accepted_range(column := amount_minor, min_v := 0)
  )
);

SELECT
  dispute_id, /* PayPal dispute id (PP-D-...) */
  created_at, /* when the dispute opened, UTC */
  updated_at, /* its last change, UTC */
  transaction_id, /* the disputed payment */
  LOWER(currency) AS currency,
  amount AS amount_minor, /* amount disputed, minor units */
  @minor_to_major(amount, currency) AS amount, /* amount disputed, major units */
  amount_refunded AS amount_refunded_minor, /* given back to the buyer by the outcome, minor units */
  reason, /* MERCHANDISE_OR_SERVICE_NOT_RECEIVED, UNAUTHORISED, DUPLICATE_TRANSACTION, ... */
  status, /* WAITING_FOR_SELLER_RESPONSE, UNDER_REVIEW, RESOLVED, ... */
  life_cycle_stage, /* INQUIRY, CHARGEBACK, PRE_ARBITRATION or ARBITRATION */
  channel, /* INTERNAL (opened through PayPal) or EXTERNAL (the card's bank) */
  outcome_code, /* RESOLVED_BUYER_FAVOUR, RESOLVED_SELLER_FAVOUR, ... once resolved */
  status = 'RESOLVED' AS is_resolved,
  seller_response_due_date,
  updated_at AS snapshot_at, /* the version's own time: the latest update wins */
  date AS loaded_for_date,
  _dlt_load_id
FROM raw.paypal__disputes
WHERE
  date BETWEEN @start_date AND @end_date
QUALIFY
  ROW_NUMBER() OVER (PARTITION BY dispute_id ORDER BY updated_at DESC, _dlt_load_id DESC) = 1
