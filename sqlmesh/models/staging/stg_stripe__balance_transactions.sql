MODEL (
  name staging.stg_stripe__balance_transactions,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key balance_transaction_id
  ),
  grain balance_transaction_id,
  /* types declared so money is NUMERIC(38, 9) on DuckDB too (see tests/sqlmesh/test_model_contracts.py) */
  columns (
    balance_transaction_id STRING,
    created_at TIMESTAMP,
    type STRING,
    reporting_category STRING,
    source_id STRING,
    currency STRING,
    amount_minor INT64,
    fee_minor INT64,
    net_minor INT64,
    amount NUMERIC(38, 9),
    fee NUMERIC(38, 9),
    net NUMERIC(38, 9),
    exchange_rate FLOAT64,
    status STRING,
    available_on TIMESTAMP,
    snapshot_at TIMESTAMP,
    loaded_for_date DATE,
    _dlt_load_id STRING
  ),
  description 'Stripe balance transactions: every movement of the Stripe balance, in the settlement currency.',
  audits (
    not_null(columns := (balance_transaction_id, created_at, currency, type, amount_minor, fee_minor, net_minor)),
    unique_values(columns := (balance_transaction_id)),
    /* Stripe takes fees, and gives one back only with a won dispute */
    forall(criteria := (fee_minor >= 0 OR reporting_category = 'dispute_reversal'))
  )
);

SELECT
  id AS balance_transaction_id, /* Stripe balance transaction id (txn_...) */
  created AS created_at,
  type, /* charge, refund, adjustment (disputes), payout, ... */
  reporting_category,
  source AS source_id, /* the charge, refund, dispute or payout it records */
  LOWER(currency) AS currency, /* settlement currency */
  amount AS amount_minor, /* gross, minor units of the settlement currency */
  fee AS fee_minor, /* Stripe fees, minor units; negative when a won dispute returns its fee */
  net AS net_minor, /* amount - fee, minor units */
  @minor_to_major(amount, currency) AS amount,
  @minor_to_major(fee, currency) AS fee,
  @minor_to_major(net, currency) AS net,
  exchange_rate, /* charge currency to settlement currency, when they differ */
  status, /* pending or available */
  available_on,
  snapshot_at,
  date AS loaded_for_date,
  _dlt_load_id
FROM raw.stripe__balance_transactions
WHERE
  date BETWEEN @start_date AND @end_date
QUALIFY
  ROW_NUMBER() OVER (PARTITION BY id ORDER BY snapshot_at DESC, _dlt_load_id DESC) = 1
