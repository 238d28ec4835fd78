MODEL (
  name staging.stg_stripe__payment_intents,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key payment_intent_id
  ),
  grain payment_intent_id,
  /* types declared so money is NUMERIC(38, 9) on DuckDB too (see tests/sqlmesh/test_model_contracts.py) */
  columns (
    payment_intent_id STRING,
    created_at TIMESTAMP,
    status STRING,
    currency STRING,
    amount_minor INT64,
    amount_received_minor INT64,
    amount NUMERIC(38, 9),
    amount_received NUMERIC(38, 9),
    customer_id STRING,
    latest_charge_id STRING,
    last_payment_error_type STRING,
    canceled_at TIMESTAMP,
    cancellation_reason STRING,
    snapshot_at TIMESTAMP,
    loaded_for_date DATE,
    _dlt_load_id STRING
  ),
  description 'Stripe PaymentIntents, one row per intent in its latest known state: each attempt to collect a payment and how it ended (its latest charge in stg_stripe__charges).',
  audits (
    not_null(columns := (payment_intent_id, created_at, status, currency, amount_minor)),
    unique_values(columns := (payment_intent_id)),
    accepted_range(column := amount_received_minor, min_v := 0)
  )
);

SELECT
  id AS payment_intent_id, /* Stripe id (pi_...), as charges, refunds and disputes name it */
  created AS created_at,
  status, /* succeeded, requires_payment_method (declined), canceled, ... */
  LOWER(currency) AS currency,
  amount AS amount_minor, /* to collect, minor units */
  amount_received AS amount_received_minor, /* collected, minor units */
  @minor_to_major(amount, currency) AS amount,
  @minor_to_major(amount_received, currency) AS amount_received,
  customer AS customer_id,
  latest_charge AS latest_charge_id,
  last_payment_error_type, /* card_error when the card was declined */
  canceled_at,
  cancellation_reason,
  snapshot_at,
  date AS loaded_for_date,
  _dlt_load_id
FROM raw.stripe__payment_intents
WHERE
  date BETWEEN @start_date AND @end_date
QUALIFY
  ROW_NUMBER() OVER (PARTITION BY id ORDER BY snapshot_at DESC, _dlt_load_id DESC) = 1
