MODEL (
  name staging.stg_facebook_ads__ad_insights,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key (ad_id, day)
  ),
  grain (ad_id, day),
  columns (
    ad_id STRING,
    day DATE,
    account_id STRING,
    campaign_id STRING,
    campaign_name STRING,
    adset_id STRING,
    ad_name STRING,
    currency STRING,
    spend_minor INT64,
    spend NUMERIC(38, 9),
    impressions INT64,
    clicks INT64,
    reach INT64,
    purchases INT64,
    purchase_value NUMERIC(38, 9),
    leads INT64,
    attribution_windows STRING,
    snapshot_at TIMESTAMP,
    loaded_for_date DATE,
    _dlt_load_id STRING
  ),
  description 'Facebook ad delivery per ad and day (level=ad, time_increment=1), in its latest reported version. Each load re-reads a 7-day lookback because Facebook attributes conversions to the day of the ad interaction up to a week later; a restated day arrives in several partitions and the newest snapshot (then the newest load) wins. Reads only the partitions of the run’s interval; raw views show completed loads only.',
  audits (
    not_null(columns := (ad_id, day, account_id, campaign_id, currency, spend_minor, spend, impressions, clicks)),
    unique_combination_of_columns(columns := (ad_id, day)),
    accepted_range(column := spend, min_v := 0),
    accepted_range(column := impressions, min_v := 0),
    accepted_range(column := clicks, min_v := 0),
    accepted_range(column := purchases, min_v := 0),
    forall(criteria := (spend = @minor_to_major(spend_minor, currency)), blocking := false)
  )
);

SELECT
  ad_id, /* Graph id of the ad */
  date_start AS day, /* the day reported, in the ad account's time zone */
  account_id, /* ad account id, without the act_ prefix */
  campaign_id, /* Graph id of the ad's campaign */
  campaign_name, /* the campaign's name as the insights row gives it */
  adset_id, /* Graph id of the ad set */
  ad_name, /* the ad's name */
  LOWER(account_currency) AS currency, /* ISO currency of spend and purchase_value (the ad account's), lower case */
  CAST(ROUND(spend / @minor_to_major(1, account_currency)) AS INT64) AS spend_minor, /* amount spent, minor units of the account currency */
  spend, /* amount spent, major units of the account currency, as Graph reports it */
  impressions, /* times the ad was shown */
  clicks, /* clicks on the ad */
  reach, /* people reached by the ad that day; not additive across ads */
  purchases, /* purchase actions in the attribution windows, as of the newest read */
  purchase_value, /* their value, major units of the account currency */
  leads, /* lead actions in the attribution windows */
  attribution_windows, /* the windows the actions count, e.g. 7d_click,1d_view */
  snapshot_at, /* when this version of the day was read, UTC */
  date AS loaded_for_date, /* the lake partition this version came from (the run that read it) */
  _dlt_load_id /* the dlt load that wrote it */
FROM raw.facebook_ads__ad_insights
WHERE
  date BETWEEN @start_date AND @end_date
QUALIFY
  ROW_NUMBER() OVER (PARTITION BY ad_id, date_start ORDER BY snapshot_at DESC, _dlt_load_id DESC) = 1
