MODEL (
  name staging.stg_google_ads__campaigns,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key (customer_id, campaign_id)
  ),
  grain (customer_id, campaign_id),
  /* budget: an integer cast to NUMERIC, then divided. Exact on BigQuery; on DuckDB the quotient is */
  /* a DOUBLE that the declared NUMERIC(38, 9) column rounds back exactly. A CAST to NUMERIC(38, 9) */
  /* in the query would reach DuckDB as DECIMAL(18, 3): SQLMesh renders it through BigQuery SQL. */
  columns (
    customer_id INT64,
    campaign_id INT64,
    name STRING,
    status STRING,
    advertising_channel_type STRING,
    start_date DATE,
    end_date DATE,
    currency STRING,
    budget_amount_micros INT64,
    budget_amount NUMERIC(38, 9),
    final_url_suffix STRING,
    utm_source STRING,
    utm_medium STRING,
    utm_campaign STRING,
    loaded_for_date DATE,
    _dlt_load_id STRING
  ),
  description 'Google Ads campaigns in their latest known settings, one row per (account, campaign). Every load lists all campaigns (raw views show completed loads only); the newest partition wins. utm_campaign comes from the campaign’s final URL suffix: it is how ad spend joins GA4 sessions and Stripe purchases.',
  audits (
    not_null(columns := (customer_id, campaign_id, name, status, currency)),
    unique_combination_of_columns(columns := (customer_id, campaign_id)),
    accepted_values(column := status, is_in := ('ENABLED', 'PAUSED', 'REMOVED', 'UNKNOWN', 'UNSPECIFIED')),
    accepted_range(column := budget_amount_micros, min_v := 0)
  )
);

SELECT
  customer_id, /* Google Ads account (customer) id, no dashes */
  campaign_id, /* Google Ads campaign id */
  name, /* campaign name */
  status, /* ENABLED, PAUSED or REMOVED */
  advertising_channel_type, /* SEARCH, SHOPPING, DISPLAY, ... */
  start_date, /* first day it serves, in the account's time zone */
  NULLIF(end_date, DATE '2037-12-30') AS end_date, /* last day it serves (account time zone); NULL when it runs without an end date (Google's 2037-12-30 sentinel) */
  LOWER(currency_code) AS currency, /* ISO currency of the account's money fields, lower case */
  budget_amount_micros, /* daily budget, millionths of the account currency (Google's minor unit) */
  CAST(budget_amount_micros AS NUMERIC) / 1000000 AS budget_amount, /* daily budget, major units of the account currency */
  final_url_suffix, /* query string appended to the ads' URLs */
  utm_source, /* utm_source of final_url_suffix */
  utm_medium, /* utm_medium of final_url_suffix */
  utm_campaign, /* utm_campaign of final_url_suffix: matches GA4 session campaign names and Stripe charge metadata */
  date AS loaded_for_date, /* the lake partition this version came from */
  _dlt_load_id /* the dlt load that wrote it */
FROM raw.google_ads__campaigns
WHERE
  date BETWEEN @start_date AND @end_date
QUALIFY
  ROW_NUMBER() OVER (PARTITION BY customer_id, campaign_id ORDER BY date DESC, _dlt_load_id DESC) = 1
