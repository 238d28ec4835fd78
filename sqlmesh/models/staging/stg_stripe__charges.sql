MODEL (
  name staging.stg_stripe__charges,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key charge_id
  ),
  grain charge_id,
  /* types declared so money is NUMERIC(38, 9) on DuckDB too (see tests/sqlmesh/test_model_contracts.py) */
  columns (
    charge_id STRING,
    created_at TIMESTAMP,
    customer_id STRING,
    currency STRING,
    amount_minor INT64,
    amount NUMERIC(38, 9),
    amount_refunded_minor INT64,
    amount_refunded NUMERIC(38, 9),
    status STRING,
    paid BOOL,
    refunded BOOL,
    balance_transaction_id STRING,
    payment_intent_id STRING,
    email STRING,
    sku STRING,
    product_id STRING,
    quantity INT64,
    description STRING,
    snapshot_at TIMESTAMP,
    loaded_for_date DATE,
    _dlt_load_id STRING,
    utm_source STRING,
    utm_medium STRING,
    utm_campaign STRING
  ),
  description 'Stripe charges, one row per charge in its latest known state.',
  audits (
    not_null(columns := (charge_id, created_at, currency, amount_minor, status)),
    unique_values(columns := (charge_id)),
    accepted_values(column := status, is_in := ('succeeded', 'pending', 'failed')),
    accepted_range(column := amount_minor, min_v := 0),
    accepted_range(column := amount_refunded_minor, min_v := 0)
  )
);

SELECT
  id AS charge_id, /* Stripe charge id (ch_...) */
  created AS created_at, /* when the charge was made, UTC */
  customer AS customer_id, /* Stripe customer id, when the charge has one */
  LOWER(currency) AS currency, /* ISO currency of the charge, lower case */
  amount AS amount_minor, /* amount charged, minor units */
  @minor_to_major(amount, currency) AS amount, /* amount charged, major units */
  amount_refunded AS amount_refunded_minor, /* refunded so far, minor units */
  @minor_to_major(amount_refunded, currency) AS amount_refunded, /* refunded so far, major units */
  status, /* succeeded, pending or failed */
  paid,
  refunded,
  balance_transaction AS balance_transaction_id,
  payment_intent AS payment_intent_id,
  COALESCE(billing_email, receipt_email) AS email, /* payer email, for joins to other sources */
  JSON_VALUE(metadata, '$.sku') AS sku, /* catalogue SKU bought */
  JSON_VALUE(metadata, '$.product') AS product_id, /* Stripe product id */
  SAFE_CAST(JSON_VALUE(metadata, '$.quantity') AS INT64) AS quantity, /* units bought */
  description,
  snapshot_at, /* when this version of the charge was current */
  date AS loaded_for_date, /* the lake partition the version came from */
  _dlt_load_id,
  JSON_VALUE(metadata, '$.utm_source') AS utm_source, /* utm_source of the visit that led to the purchase (last touch), from checkout metadata */
  JSON_VALUE(metadata, '$.utm_medium') AS utm_medium, /* utm_medium of that visit */
  JSON_VALUE(metadata, '$.utm_campaign') AS utm_campaign /* utm_campaign of that visit: joins the charge to an ad campaign; NULL for organic purchases and renewals */
FROM raw.stripe__charges
WHERE
  date BETWEEN @start_date AND @end_date
QUALIFY
  ROW_NUMBER() OVER (PARTITION BY id ORDER BY snapshot_at DESC, _dlt_load_id DESC) = 1
