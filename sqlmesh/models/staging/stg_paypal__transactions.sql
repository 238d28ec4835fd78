MODEL (
  name staging.stg_paypal__transactions,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key transaction_id
  ),
  grain transaction_id,
  /* types declared so money is NUMERIC(38, 9) on DuckDB too (see tests/sqlmesh/test_model_contracts.py) */
  columns (
    transaction_id STRING,
    event_code STRING,
    transaction_type STRING,
    status STRING,
    initiated_at TIMESTAMP,
    transaction_date DATE,
    updated_at TIMESTAMP,
    reference_transaction_id STRING,
    reference_type STRING,
    currency STRING,
    gross_minor INT64,
    gross NUMERIC(38, 9),
    fee_minor INT64,
    fee NUMERIC(38, 9),
    fee_currency STRING,
    net_minor INT64,
    net NUMERIC(38, 9),
    invoice_id STRING,
    customer_ref STRING,
    payer_email STRING,
    payer_account_id STRING,
    payer_full_name STRING,
    payer_country_code STRING,
    sku STRING,
    quantity INT64,
    cart_item_count INT64,
    description STRING,
    instrument_type STRING,
    loaded_for_date DATE,
    _dlt_load_id STRING
  ),
  description 'PayPal transactions that moved the balance (payments, refunds, reversals, currency conversions, ...), one row per transaction in its latest known state. Windows read again after PayPal’s reporting delay bring rows back; the latest version wins.',
  audits (
    not_null(columns := (transaction_id, event_code, transaction_type, status, initiated_at, transaction_date, currency, gross_minor, net_minor)),
    unique_values(columns := (transaction_id)),
    accepted_values(column := status, is_in := ('S', 'P', 'D', 'V')),
    accepted_values(column := transaction_type, is_in := ('payment', 'refund', 'reversal', 'currency_conversion', 'other')),
    accepted_range(column := cart_item_count, max_v := 1, blocking := false)
  )
);

SELECT
  transaction_id, /* PayPal transaction id */
  event_code, /* PayPal T-code: T0006 checkout payment, T1107 refund, T1106 reversal, T02xx currency conversion, ... */
  CASE
    WHEN STARTS_WITH(event_code, 'T00') AND gross_amount > 0 THEN 'payment'
    WHEN event_code = 'T1107' THEN 'refund'
    WHEN event_code IN ('T1106', 'T1201') THEN 'reversal'
    WHEN STARTS_WITH(event_code, 'T02') THEN 'currency_conversion'
    ELSE 'other'
  END AS transaction_type, /* payment (money received), refund, reversal (chargeback), currency_conversion or other, from the event code */
  status, /* S success, P pending, D denied, V reversed */
  initiated_at, /* when the transaction was made, UTC */
  DATE(DATETIME(initiated_at, 'UTC')) AS transaction_date, /* the day of the transaction, UTC */
  updated_at, /* when PayPal last changed the transaction, UTC */
  paypal_reference_id AS reference_transaction_id, /* refunds and conversions: the payment they belong to */
  paypal_reference_id_type AS reference_type, /* TXN (a transaction) or ODR (an order) */
  LOWER(currency) AS currency, /* ISO currency of the amounts, lower case */
  gross_amount AS gross_minor, /* gross, minor units; negative for refunds */
  @minor_to_major(gross_amount, currency) AS gross, /* gross, major units */
  COALESCE(fee_amount, 0) AS fee_minor, /* PayPal fee, minor units: negative when charged, positive when a refund returns part of it */
  @minor_to_major(COALESCE(fee_amount, 0), currency) AS fee, /* PayPal fee, major units */
  LOWER(fee_currency) AS fee_currency, /* currency of the fee (PayPal charges it in the transaction's currency) */
  net_amount AS net_minor, /* gross + fee, minor units: what the balance moved by */
  @minor_to_major(net_amount, currency) AS net, /* gross + fee, major units */
  invoice_id, /* the organisation's purchase id (PUR...), the same on a payment and its refunds */
  custom_field AS customer_ref, /* the organisation's customer id (CUS...) sent with the payment */
  LOWER(TRIM(payer_email)) AS payer_email, /* lower case, for joins to Stripe customers and the enrolment sheet */
  payer_account_id,
  payer_full_name,
  payer_country_code,
  cart_items[SAFE_OFFSET(0)].item_code AS sku, /* catalogue SKU of the (first) cart item */
  cart_items[SAFE_OFFSET(0)].quantity AS quantity, /* units of that item */
  ARRAY_LENGTH(cart_items) AS cart_item_count, /* items in the cart; the revenue mart assumes one (a non-blocking audit flags more) */
  transaction_subject AS description,
  instrument_type,
  date AS loaded_for_date, /* the lake partition the version came from */
  _dlt_load_id
FROM raw.paypal__transactions
WHERE
  date BETWEEN @start_date AND @end_date
QUALIFY
  ROW_NUMBER() OVER (PARTITION BY transaction_id ORDER BY updated_at DESC, _dlt_load_id DESC) = 1
