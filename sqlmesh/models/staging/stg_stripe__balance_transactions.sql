MODEL (
  name staging.stg_stripe__balance_transactions,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key balance_transaction_id
  ),
  grain balance_transaction_id,
  description 'Stripe balance transactions: every movement of the Stripe balance, in the settlement currency.',
  audits (
    not_null(columns := (balance_transaction_id, created_at, currency, type, amount_minor, fee_minor, net_minor)),
    unique_values(columns := (balance_transaction_id)),
    accepted_range(column := fee_minor, min_v := 0)
  )
);

SELECT
  id AS balance_transaction_id, /* Stripe balance transaction id (txn_...) */
  created AS created_at,
  type, /* charge, refund, payout, ... */
  reporting_category,
  source AS source_id, /* the charge, refund or payout it records */
  LOWER(currency) AS currency, /* settlement currency */
  amount AS amount_minor, /* gross, minor units of the settlement currency */
  fee AS fee_minor, /* Stripe fees, minor units */
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
