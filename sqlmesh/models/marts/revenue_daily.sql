MODEL (
  name marts.revenue_daily,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column day,
    lookback 3 /* each daily run restates the three days before it: PayPal lists a transaction up to hours late */
  ),
  grain (day, processor, product, currency),
  /* declared so that money is NUMERIC(38, 9) on DuckDB too: SQLMesh renders casts in BigQuery SQL, */
  /* which drops NUMERIC's parameters, and DuckDB reads a bare DECIMAL as DECIMAL(18, 3) */
  columns (
    day DATE,
    processor STRING,
    product STRING,
    currency STRING,
    gross NUMERIC(38, 9),
    refunds NUMERIC(38, 9),
    fees NUMERIC(38, 9),
    fees_returned NUMERIC(38, 9),
    disputed NUMERIC(38, 9),
    dispute_reversals NUMERIC(38, 9),
    dispute_fees NUMERIC(38, 9),
    dispute_fees_returned NUMERIC(38, 9),
    net NUMERIC(38, 9),
    transactions INT64,
    refund_transactions INT64,
    disputes INT64,
    disputes_won INT64,
    customers INT64,
    new_customers INT64,
    returning_customers INT64
  ),
  description 'Revenue per day (UTC), payment processor, product and currency: what reached the processors’ balances. Amounts are in the currency the balance moved in: for Stripe the settlement currency of its balance transactions (a charge in another currency appears converted at Stripe’s rate, with the fee Stripe took in that currency), for PayPal the transaction’s own currency (currency conversions between PayPal balances are not revenue and are left out). Sums of gross, refunds, fees, disputes and net equal the processors’ balance transactions of every reporting category that moves revenue (Stripe: charge, refund, dispute, dispute_reversal; payouts only move money to the bank) to the cent. A dispute counts on the day its money moved, weeks after the charge, in the charge’s product.',
  audits (
    not_null(columns := (day, processor, product, currency, gross, refunds, fees, fees_returned, disputed, dispute_reversals, dispute_fees, dispute_fees_returned, net, transactions, refund_transactions, disputes, disputes_won, customers, new_customers, returning_customers)),
    unique_combination_of_columns(columns := (day, processor, product, currency)),
    accepted_values(column := processor, is_in := ('stripe', 'paypal')),
    accepted_range(column := gross, min_v := 0),
    accepted_range(column := refunds, min_v := 0),
    accepted_range(column := fees, min_v := 0),
    accepted_range(column := transactions, min_v := 0),
    accepted_range(column := disputed, min_v := 0),
    accepted_range(column := dispute_reversals, min_v := 0),
    accepted_range(column := dispute_fees, min_v := 0),
    forall(criteria := (
      net = gross - refunds - fees + fees_returned - disputed + dispute_reversals - dispute_fees + dispute_fees_returned,
      customers = new_customers + returning_customers,
      transactions + refund_transactions + disputes + disputes_won > 0
    ))
  )
);

WITH stripe_movements AS (
  /* Stripe balance transactions of charges, refunds and disputes; product and customer from the charge */
  SELECT
    DATE(DATETIME(bt.created_at, 'UTC')) AS day,
    'stripe' AS processor,
    COALESCE(c.sku, '(unknown)') AS product,
    bt.currency,
    IF(bt.reporting_category = 'charge', 'sale', bt.reporting_category) AS kind,
    bt.amount,
    bt.fee,
    bt.net,
    LOWER(TRIM(c.email)) AS customer_email
  FROM staging.stg_stripe__balance_transactions AS bt
  LEFT JOIN staging.stg_stripe__refunds AS r
    ON bt.reporting_category = 'refund' AND r.refund_id = bt.source_id
  LEFT JOIN staging.stg_stripe__disputes AS d
    ON bt.reporting_category IN ('dispute', 'dispute_reversal') AND d.dispute_id = bt.source_id
  LEFT JOIN staging.stg_stripe__charges AS c
    ON c.charge_id = COALESCE(r.charge_id, d.charge_id, bt.source_id)
  WHERE
    bt.reporting_category IN ('charge', 'refund', 'dispute', 'dispute_reversal')
), paypal_movements AS (
  /* completed PayPal payments, refunds and reversals; a refund takes the product of its payment */
  SELECT
    t.transaction_date AS day,
    'paypal' AS processor,
    COALESCE(t.sku, p.sku, '(unknown)') AS product,
    t.currency,
    IF(t.transaction_type = 'payment', 'sale', 'refund') AS kind,
    t.gross AS amount,
    -t.fee AS fee, /* PayPal reports fees charged as negative amounts; here, as on Stripe, positive */
    t.net,
    t.payer_email AS customer_email
  FROM staging.stg_paypal__transactions AS t
  LEFT JOIN staging.stg_paypal__transactions AS p
    ON p.transaction_id = t.reference_transaction_id
  WHERE
    t.status = 'S' AND t.transaction_type IN ('payment', 'refund', 'reversal')
), movements AS (
  SELECT * FROM stripe_movements
  UNION ALL
  SELECT * FROM paypal_movements
), first_purchases AS (
  /* the day of each customer's first purchase ever, through either processor */
  SELECT
    customer_email,
    MIN(day) AS first_purchase_day
  FROM movements
  WHERE
    kind = 'sale' AND customer_email IS NOT NULL
  GROUP BY
    customer_email
)
SELECT
  m.day, /* day of the balance transaction, UTC */
  m.processor, /* stripe or paypal */
  m.product, /* the organisation's SKU: Stripe charge metadata sku, PayPal cart item code; a refund takes its sale's SKU; (unknown) when the sale is not known */
  m.currency, /* ISO currency of every amount in the row, lower case: Stripe's settlement currency, PayPal's transaction currency */
  SUM(IF(m.kind = 'sale', m.amount, 0)) AS gross, /* sales, major units */
  SUM(IF(m.kind = 'refund', -m.amount, 0)) AS refunds, /* refunded to customers (refunds and reversals), major units, positive */
  SUM(IF(m.kind = 'sale', m.fee, 0)) AS fees, /* processor fees charged on the sales, major units, positive */
  SUM(IF(m.kind = 'refund', -m.fee, 0)) AS fees_returned, /* fees the processor gave back with refunds (PayPal returns part of its fee), major units */
  SUM(IF(m.kind = 'dispute', -m.amount, 0)) AS disputed, /* taken back by chargebacks when they opened, major units, positive */
  SUM(IF(m.kind = 'dispute_reversal', m.amount, 0)) AS dispute_reversals, /* given back when a chargeback was won, major units */
  SUM(IF(m.kind = 'dispute', m.fee, 0)) AS dispute_fees, /* the processor's dispute fees, major units, positive */
  SUM(IF(m.kind = 'dispute_reversal', -m.fee, 0)) AS dispute_fees_returned, /* dispute fees given back with a won chargeback, major units */
  SUM(m.net) AS net, /* what reached the balance: gross - refunds - fees + fees_returned - disputed + dispute_reversals - dispute_fees + dispute_fees_returned, major units */
  COUNTIF(m.kind = 'sale') AS transactions, /* sales (Stripe charges, PayPal payments) */
  COUNTIF(m.kind = 'refund') AS refund_transactions, /* refunds and reversals */
  COUNTIF(m.kind = 'dispute') AS disputes, /* chargebacks opened (inquiries move no money and are not counted) */
  COUNTIF(m.kind = 'dispute_reversal') AS disputes_won, /* chargebacks won */
  COUNT(DISTINCT IF(m.kind = 'sale', m.customer_email, NULL)) AS customers, /* distinct paying customers, by email */
  COUNT(DISTINCT IF(m.kind = 'sale' AND f.first_purchase_day = m.day, m.customer_email, NULL)) AS new_customers, /* customers whose first purchase ever, through either processor, was on this day */
  COUNT(DISTINCT IF(m.kind = 'sale' AND f.first_purchase_day < m.day, m.customer_email, NULL)) AS returning_customers /* customers who had bought before this day, through either processor */
FROM movements AS m
LEFT JOIN first_purchases AS f
  ON f.customer_email = m.customer_email
WHERE
  m.day BETWEEN @start_date AND @end_date
GROUP BY
  m.day,
  m.processor,
  m.product,
  m.currency
