MODEL (
  name staging.stg_facebook_ads__campaigns,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key campaign_id
  ),
  grain campaign_id,
  columns (
    campaign_id STRING,
    account_id STRING,
    name STRING,
    status STRING,
    effective_status STRING,
    objective STRING,
    buying_type STRING,
    daily_budget_minor INT64,
    lifetime_budget_minor INT64,
    start_time TIMESTAMP,
    stop_time TIMESTAMP,
    created_at TIMESTAMP,
    updated_at TIMESTAMP,
    utm_campaign STRING,
    snapshot_at TIMESTAMP,
    loaded_for_date DATE,
    _dlt_load_id STRING
  ),
  description 'Facebook campaigns in their latest known state, one row per campaign (every load lists them all; the newest snapshot wins; raw views show completed loads only). Graph does not give the UTM tags of a campaign (they live on the ads’ creatives, which the source does not load), so utm_campaign is derived with the organisation’s tagging convention: the campaign name in snake case, then the month it starts (name "Shop Retargeting" starting 2026-08-24 -> shop_retargeting_202608). A campaign tagged otherwise gets no GA4 sessions or purchases in the ad attribution mart.',
  audits (
    not_null(columns := (campaign_id, account_id, name, status, snapshot_at)),
    unique_values(columns := (campaign_id)),
    accepted_values(column := status, is_in := ('ACTIVE', 'PAUSED', 'DELETED', 'ARCHIVED')),
    accepted_range(column := daily_budget_minor, min_v := 0),
    accepted_range(column := lifetime_budget_minor, min_v := 0)
  )
);

SELECT
  id AS campaign_id, /* Graph id of the campaign */
  account_id, /* ad account id, without the act_ prefix */
  name, /* campaign name */
  status, /* ACTIVE, PAUSED, DELETED or ARCHIVED, as configured */
  effective_status, /* status including its parents' */
  objective, /* OUTCOME_SALES, OUTCOME_LEADS, ... */
  buying_type, /* AUCTION or RESERVED */
  daily_budget AS daily_budget_minor, /* daily budget, minor units of the ad account's currency (insights carry that currency) */
  lifetime_budget AS lifetime_budget_minor, /* lifetime budget, minor units of the ad account's currency */
  start_time, /* when it starts serving, UTC */
  stop_time, /* when it stops serving, UTC */
  created_time AS created_at, /* UTC */
  updated_time AS updated_at, /* UTC */
  CONCAT(
    REGEXP_REPLACE(TRIM(LOWER(REPLACE(name, '-', ' '))), '[[:space:]]+', '_'),
    '_',
    FORMAT_DATE('%Y%m', DATE(DATETIME(start_time, 'UTC')))
  ) AS utm_campaign, /* derived by the organisation's tagging convention: snake-case name, _, start month (YYYYMM); matches GA4 session campaign names and Stripe charge metadata */
  snapshot_at, /* when this version was read, UTC */
  date AS loaded_for_date, /* the lake partition this version came from */
  _dlt_load_id /* the dlt load that wrote it */
FROM raw.facebook_ads__campaigns
WHERE
  date BETWEEN @start_date AND @end_date
QUALIFY
  ROW_NUMBER() OVER (PARTITION BY id ORDER BY snapshot_at DESC, _dlt_load_id DESC) = 1
