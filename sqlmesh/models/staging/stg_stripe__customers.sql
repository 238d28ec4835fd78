MODEL (
  name staging.stg_stripe__customers,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key customer_id
  ),
  grain customer_id,
  description 'Stripe customers in their latest known state; deleted ones are kept and flagged.',
  audits (
    not_null(columns := (customer_id, created_at)),
    unique_values(columns := (customer_id))
  )
);

SELECT
  id AS customer_id, /* Stripe customer id (cus_...) */
  created AS created_at,
  LOWER(email) AS email, /* lower case, for joins to PayPal payers and the enrolment sheet */
  name,
  address_country AS country,
  deleted AS is_deleted,
  snapshot_at,
  date AS loaded_for_date,
  _dlt_load_id
FROM raw.stripe__customers
WHERE
  date BETWEEN @start_date AND @end_date
QUALIFY
  ROW_NUMBER() OVER (PARTITION BY id ORDER BY snapshot_at DESC, _dlt_load_id DESC) = 1
