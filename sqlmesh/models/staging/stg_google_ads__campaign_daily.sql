MODEL (
  name staging.stg_google_ads__campaign_daily,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key (customer_id, campaign_id, day)
  ),
  grain (customer_id, campaign_id, day),
  /* cost: an integer cast to NUMERIC, then divided. Exact on BigQuery; on DuckDB the quotient is */
  /* a DOUBLE that the declared NUMERIC(38, 9) column rounds back exactly. A CAST to NUMERIC(38, 9) */
  /* in the query would reach DuckDB as DECIMAL(18, 3): SQLMesh renders it through BigQuery SQL. */
  columns (
    customer_id INT64,
    campaign_id INT64,
    day DATE,
    currency STRING,
    impressions INT64,
    clicks INT64,
    cost_micros INT64,
    cost NUMERIC(38, 9),
    conversions FLOAT64,
    conversions_value FLOAT64,
    loaded_for_date DATE,
    _dlt_load_id STRING
  ),
  description 'Google Ads campaign performance per day, one row per (account, campaign, day) in its latest reported version. Each load re-reads a 14-day lookback because Google restates recent days (conversions); a restated day therefore arrives in several partitions, and the row of the newest partition (then the newest load) wins. Reads only the partitions of the run’s interval; raw views show completed loads only.',
  audits (
    not_null(columns := (customer_id, campaign_id, day, currency, impressions, clicks, cost_micros, cost)),
    unique_combination_of_columns(columns := (customer_id, campaign_id, day)),
    accepted_range(column := impressions, min_v := 0),
    accepted_range(column := clicks, min_v := 0),
    accepted_range(column := cost_micros, min_v := 0),
    accepted_range(column := conversions, min_v := 0),
    forall(criteria := (cost * 1000000 = cost_micros))
  )
);

SELECT
  customer_id, /* Google Ads account (customer) id */
  campaign_id, /* Google Ads campaign id */
  day, /* segments.date: the day of the metrics, in the account's time zone */
  LOWER(currency_code) AS currency, /* ISO currency of cost and conversions_value (the account's), lower case */
  impressions, /* times the campaign's ads were shown */
  clicks, /* clicks on them */
  cost_micros, /* cost, millionths of the account currency (Google's minor unit) */
  CAST(cost_micros AS NUMERIC) / 1000000 AS cost, /* cost, major units of the account currency, exact */
  conversions, /* conversions Google attributes to the day (fractional credit), as of the newest read */
  conversions_value, /* their value in the account currency, as of the newest read */
  date AS loaded_for_date, /* the lake partition this version came from (the run that read it) */
  _dlt_load_id /* the dlt load that wrote it */
FROM raw.google_ads__campaign_daily
WHERE
  date BETWEEN @start_date AND @end_date
QUALIFY
  ROW_NUMBER() OVER (PARTITION BY customer_id, campaign_id, day ORDER BY date DESC, _dlt_load_id DESC) = 1
