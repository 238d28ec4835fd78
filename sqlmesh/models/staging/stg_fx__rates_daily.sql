MODEL (
  name staging.stg_fx__rates_daily,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column day
  ),
  grain (day, from_currency, to_currency),
  columns (
    day DATE,
    from_currency STRING,
    to_currency STRING,
    rate FLOAT64,
    observed_at TIMESTAMP,
    balance_transactions INT64
  ),
  description 'Daily exchange rates observed in the data: Stripe converts a charge (or refund) in another currency into the balance’s settlement currency and records the rate on the balance transaction. One row per UTC day and currency pair that had such a transaction, with the day’s last rate. Days without a conversion have no row: consumers take the latest rate on or before their day (see marts.ad_attribution_daily). Rates exist only for the pairs Stripe converted (the customers’ currencies into the settlement currency).',
  audits (
    not_null(columns := (day, from_currency, to_currency, rate, observed_at)),
    unique_combination_of_columns(columns := (day, from_currency, to_currency)),
    accepted_range(column := rate, min_v := 0, inclusive := false),
    forall(criteria := (from_currency <> to_currency, balance_transactions > 0))
  )
);

WITH conversions AS (
  /* balance transactions of charges and refunds that Stripe converted, with their original currency */
  SELECT
    DATE(DATETIME(bt.created_at, 'UTC')) AS day,
    COALESCE(c.currency, r.currency) AS from_currency,
    bt.currency AS to_currency,
    bt.exchange_rate AS rate,
    bt.created_at,
    bt.balance_transaction_id
  FROM staging.stg_stripe__balance_transactions AS bt
  LEFT JOIN staging.stg_stripe__charges AS c
    ON c.charge_id = bt.source_id
  LEFT JOIN staging.stg_stripe__refunds AS r
    ON r.refund_id = bt.source_id
  WHERE
    bt.exchange_rate IS NOT NULL
    AND DATE(DATETIME(bt.created_at, 'UTC')) BETWEEN @start_date AND @end_date
)
SELECT
  day, /* UTC day the conversions happened */
  from_currency, /* ISO currency converted from (the charge's), lower case */
  to_currency, /* ISO currency converted into (Stripe's settlement currency), lower case */
  rate, /* units of to_currency per unit of from_currency: the day's last rate */
  created_at AS observed_at, /* when that last conversion happened, UTC */
  COUNT(*) OVER (PARTITION BY day, from_currency, to_currency) AS balance_transactions /* conversions seen that day for the pair */
FROM conversions
WHERE
  from_currency IS NOT NULL AND from_currency <> to_currency
QUALIFY
  ROW_NUMBER() OVER (
    PARTITION BY day, from_currency, to_currency
    ORDER BY created_at DESC, balance_transaction_id DESC
  ) = 1
