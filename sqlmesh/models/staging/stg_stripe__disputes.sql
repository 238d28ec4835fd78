MODEL (
  name staging.stg_stripe__disputes,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key dispute_id
  ),
  grain dispute_id,
  /* types declared so money is NUMERIC(38, 9) on DuckDB too (see tests/sqlmesh/test_model_contracts.py) */
  columns (
    dispute_id STRING,
    created_at TIMESTAMP,
    charge_id STRING,
    currency STRING,
    amount_minor INT64,
    amount NUMERIC(38, 9),
    reason STRING,
    status STRING,
    case_type STRING,
    network_reason_code STRING,
    evidence_due_by TIMESTAMP,
    evidence_submissions INT64,
    is_closed BOOLEAN,
    snapshot_at TIMESTAMP,
    loaded_for_date DATE,
    _dlt_load_id STRING
  ),
  description 'Stripe disputes (inquiries and chargebacks), one row per dispute in its latest known state. The money they moved is in stg_stripe__balance_transactions (reporting categories dispute and dispute_reversal, source_id = dispute_id).',
  audits (
    not_null(columns := (dispute_id, created_at, charge_id, currency, amount_minor, status)),
    unique_values(columns := (dispute_id)),
    accepted_range(column := amount_minor, min_v := 0),
    accepted_values(column := status, is_in := ('warning_needs_response', 'warning_under_review', 'warning_closed', 'needs_response', 'under_review', 'won', 'lost', 'prevented'), blocking := false)
  )
);

SELECT
  id AS dispute_id, /* Stripe dispute id (dp_... or du_...) */
  created AS created_at, /* when the dispute opened, UTC */
  charge AS charge_id, /* the disputed charge */
  LOWER(currency) AS currency, /* the charge's currency */
  amount AS amount_minor, /* amount disputed, minor units */
  @minor_to_major(amount, currency) AS amount, /* amount disputed, major units */
  reason, /* fraudulent, product_not_received, duplicate, subscription_canceled, general, ... */
  status, /* warning_* for inquiries; needs_response, under_review, won, lost for chargebacks */
  case_type, /* inquiry or chargeback */
  network_reason_code, /* the card network's reason code */
  evidence_due_by, /* when the answer is due, UTC */
  evidence_submissions, /* times evidence was submitted */
  status IN ('won', 'lost', 'warning_closed', 'prevented') AS is_closed,
  snapshot_at,
  date AS loaded_for_date,
  _dlt_load_id
FROM raw.stripe__disputes
WHERE
  date BETWEEN @start_date AND @end_date
QUALIFY
  ROW_NUMBER() OVER (PARTITION BY id ORDER BY snapshot_at DESC, _dlt_load_id DESC) = 1
