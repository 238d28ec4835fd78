MODEL (
  name marts.ad_attribution_daily,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column day,
    lookback 14 /* each daily run recomputes the 14 days before it: Google Ads re-reads (restates) 14 days, Facebook 7, GA4 3 */
  ),
  grain (day, channel, campaign_id),
  /* declared so that money is NUMERIC(38, 9) on DuckDB too (SQLMesh renders casts in BigQuery SQL, */
  /* which drops NUMERIC's parameters, and DuckDB reads a bare DECIMAL as DECIMAL(18, 3)) */
  columns (
    day DATE,
    channel STRING,
    campaign_id STRING,
    campaign_name STRING,
    utm_campaign STRING,
    reporting_currency STRING,
    spend NUMERIC(38, 9),
    impressions INT64,
    clicks INT64,
    sessions INT64,
    conversions INT64,
    orders INT64,
    new_customers INT64,
    attributed_revenue NUMERIC(38, 9),
    cpc FLOAT64,
    ctr FLOAT64,
    cac FLOAT64,
    roas FLOAT64,
    account_currency STRING,
    spend_account_currency NUMERIC(38, 9),
    spend_fx_rate NUMERIC(38, 9),
    spend_fx_rate_day DATE,
    platform_conversions FLOAT64
  ),
  description 'Ad attribution per day, channel (Google Ads, Facebook Ads) and campaign: spend, delivery, the GA4 sessions and key events whose session campaign is the campaign’s utm_campaign, and the Stripe purchases tagged with it (attributed revenue, orders, new customers), with CPC, CTR, CAC and ROAS. Money is in the reporting currency (variable reporting_currency, default usd), converted at the latest exchange rate Stripe recorded on or before the day (staging.stg_fx__rates_daily); with no such rate the money column is NULL and the account-currency amounts stay. A row exists for every day a campaign spent or had matching sessions or purchases (campaigns keep bringing visitors after they end). Attribution is last touch as the checkout records it (Stripe charge metadata utm_campaign); PayPal payments carry no UTM and are not attributed. Days are each platform’s own (account time zone for ads, property time zone for GA4, UTC for purchases).',
  audits (
    not_null(columns := (day, channel, campaign_id, reporting_currency, impressions, clicks, sessions, conversions, orders, new_customers)),
    not_null(columns := (spend, attributed_revenue), blocking := false), /* NULL only while no exchange rate is known */
    unique_combination_of_columns(columns := (day, channel, campaign_id)),
    accepted_values(column := channel, is_in := ('google_ads', 'facebook_ads')),
    accepted_range(column := spend, min_v := 0),
    accepted_range(column := attributed_revenue, min_v := 0),
    accepted_range(column := impressions, min_v := 0),
    accepted_range(column := clicks, min_v := 0),
    accepted_range(column := sessions, min_v := 0),
    accepted_range(column := conversions, min_v := 0),
    accepted_range(column := orders, min_v := 0),
    forall(criteria := (
      new_customers <= orders,
      clicks > 0 OR cpc IS NULL,
      impressions > 0 OR ctr IS NULL,
      new_customers > 0 OR cac IS NULL,
      spend > 0 OR roas IS NULL,
      account_currency <> reporting_currency OR spend = spend_account_currency
    ))
  )
);

WITH campaigns AS (
  /* every campaign of both channels with the utm_campaign its ad links carry */
  SELECT
    'google_ads' AS channel,
    CAST(campaign_id AS STRING) AS campaign_id,
    name AS campaign_name,
    utm_campaign
  FROM staging.stg_google_ads__campaigns
  UNION ALL
  SELECT
    'facebook_ads' AS channel,
    campaign_id,
    name AS campaign_name,
    utm_campaign
  FROM staging.stg_facebook_ads__campaigns
), ad_days AS (
  /* spend and delivery per campaign and day, in the ad account's currency */
  SELECT
    'google_ads' AS channel,
    CAST(campaign_id AS STRING) AS campaign_id,
    CAST(NULL AS STRING) AS campaign_name,
    day,
    currency,
    cost AS spend,
    impressions,
    clicks,
    conversions AS platform_conversions
  FROM staging.stg_google_ads__campaign_daily
  WHERE
    day BETWEEN @start_date AND @end_date
  UNION ALL
  SELECT
    'facebook_ads' AS channel,
    campaign_id,
    MAX(campaign_name) AS campaign_name,
    day,
    currency,
    SUM(spend) AS spend,
    SUM(impressions) AS impressions,
    SUM(clicks) AS clicks,
    CAST(SUM(purchases) AS FLOAT64) AS platform_conversions
  FROM staging.stg_facebook_ads__ad_insights
  WHERE
    day BETWEEN @start_date AND @end_date
  GROUP BY
    campaign_id,
    day,
    currency
), campaign_sessions AS (
  /* GA4 sessions and key events per session campaign and day */
  SELECT
    day,
    session_campaign_name AS utm_campaign,
    SUM(sessions) AS sessions,
    SUM(key_events) AS conversions
  FROM staging.stg_google_analytics__traffic_daily
  WHERE
    day BETWEEN @start_date AND @end_date
  GROUP BY
    day,
    session_campaign_name
), sales AS (
  /* every completed sale through either processor, by customer email: to find first purchases */
  SELECT
    LOWER(TRIM(email)) AS customer_email,
    DATE(DATETIME(created_at, 'UTC')) AS day
  FROM staging.stg_stripe__charges
  WHERE
    status = 'succeeded'
  UNION ALL
  SELECT
    payer_email AS customer_email,
    transaction_date AS day
  FROM staging.stg_paypal__transactions
  WHERE
    status = 'S' AND transaction_type = 'payment'
), first_purchases AS (
  SELECT
    customer_email,
    MIN(day) AS first_purchase_day
  FROM sales
  WHERE
    customer_email IS NOT NULL
  GROUP BY
    customer_email
), attributed_charges AS (
  /* succeeded Stripe charges whose checkout carried a utm_campaign (last touch) */
  SELECT
    DATE(DATETIME(created_at, 'UTC')) AS day,
    utm_campaign,
    currency,
    amount,
    LOWER(TRIM(email)) AS customer_email
  FROM staging.stg_stripe__charges
  WHERE
    status = 'succeeded'
    AND utm_campaign IS NOT NULL
    AND DATE(DATETIME(created_at, 'UTC')) BETWEEN @start_date AND @end_date
), campaign_revenue AS (
  SELECT
    day,
    utm_campaign,
    currency,
    SUM(amount) AS revenue
  FROM attributed_charges
  GROUP BY
    day,
    utm_campaign,
    currency
), campaign_orders AS (
  SELECT
    a.day,
    a.utm_campaign,
    COUNT(*) AS orders,
    COUNT(DISTINCT IF(f.first_purchase_day = a.day, a.customer_email, NULL)) AS new_customers
  FROM attributed_charges AS a
  LEFT JOIN first_purchases AS f
    ON f.customer_email = a.customer_email
  GROUP BY
    a.day,
    a.utm_campaign
), facts AS (
  /* one row per thing counted, each amount in one currency; summed per campaign-day below */
  SELECT
    channel,
    campaign_id,
    campaign_name,
    day,
    currency,
    spend,
    impressions,
    clicks,
    platform_conversions,
    0 AS sessions,
    0 AS conversions,
    NULL AS revenue,
    0 AS orders,
    0 AS new_customers
  FROM ad_days
  UNION ALL
  SELECT
    c.channel,
    c.campaign_id,
    c.campaign_name,
    s.day,
    CAST(NULL AS STRING) AS currency,
    NULL AS spend,
    0 AS impressions,
    0 AS clicks,
    CAST(NULL AS FLOAT64) AS platform_conversions,
    s.sessions,
    s.conversions,
    NULL AS revenue,
    0 AS orders,
    0 AS new_customers
  FROM campaign_sessions AS s
  JOIN campaigns AS c
    ON c.utm_campaign = s.utm_campaign
  UNION ALL
  SELECT
    c.channel,
    c.campaign_id,
    c.campaign_name,
    r.day,
    r.currency,
    NULL AS spend,
    0 AS impressions,
    0 AS clicks,
    CAST(NULL AS FLOAT64) AS platform_conversions,
    0 AS sessions,
    0 AS conversions,
    r.revenue,
    0 AS orders,
    0 AS new_customers
  FROM campaign_revenue AS r
  JOIN campaigns AS c
    ON c.utm_campaign = r.utm_campaign
  UNION ALL
  SELECT
    c.channel,
    c.campaign_id,
    c.campaign_name,
    o.day,
    CAST(NULL AS STRING) AS currency,
    NULL AS spend,
    0 AS impressions,
    0 AS clicks,
    CAST(NULL AS FLOAT64) AS platform_conversions,
    0 AS sessions,
    0 AS conversions,
    NULL AS revenue,
    o.orders,
    o.new_customers
  FROM campaign_orders AS o
  JOIN campaigns AS c
    ON c.utm_campaign = o.utm_campaign
), rates AS (
  /* rates into the reporting currency, as Stripe converted or the inverse of a conversion out of */
  /* it, in integer billionths: NUMERIC arithmetic on BigQuery and exact decimals on DuckDB (a */
  /* CAST to NUMERIC(38, 9) in the query would reach DuckDB as DECIMAL(18, 3), see the columns) */
  SELECT
    day,
    from_currency AS currency,
    CAST(ROUND(rate * 1000000000) AS INT64) AS rate_nanos,
    1 AS preference
  FROM staging.stg_fx__rates_daily
  WHERE
    to_currency = @reporting_currency
  UNION ALL
  SELECT
    day,
    to_currency AS currency,
    CAST(ROUND(1000000000 / rate) AS INT64) AS rate_nanos,
    2 AS preference
  FROM staging.stg_fx__rates_daily
  WHERE
    from_currency = @reporting_currency
), fact_currencies AS (
  SELECT DISTINCT
    day,
    currency
  FROM facts
  WHERE
    currency IS NOT NULL AND currency <> @reporting_currency
), day_rates AS (
  /* the latest rate on or before each day: days without a Stripe conversion carry the last one forward */
  SELECT
    fc.day,
    fc.currency,
    r.rate_nanos,
    r.day AS rate_day
  FROM fact_currencies AS fc
  JOIN rates AS r
    ON r.currency = fc.currency AND r.day <= fc.day
  WHERE
    r.rate_nanos > 0
  QUALIFY
    ROW_NUMBER() OVER (PARTITION BY fc.day, fc.currency ORDER BY r.day DESC, r.preference) = 1
), converted AS (
  SELECT
    f.*,
    IF(f.currency = @reporting_currency, 1000000000, dr.rate_nanos) AS rate_nanos,
    IF(f.currency = @reporting_currency, f.day, dr.rate_day) AS rate_day
  FROM facts AS f
  LEFT JOIN day_rates AS dr
    ON dr.day = f.day AND dr.currency = f.currency
), campaign_days AS (
  SELECT
    day,
    channel,
    campaign_id,
    MAX(campaign_name) AS campaign_name,
    IF(
      COUNTIF(spend IS NOT NULL AND rate_nanos IS NULL) > 0,
      NULL,
      COALESCE(SUM(spend * rate_nanos / 1000000000), 0)
    ) AS spend,
    COALESCE(SUM(impressions), 0) AS impressions,
    COALESCE(SUM(clicks), 0) AS clicks,
    COALESCE(SUM(sessions), 0) AS sessions,
    COALESCE(SUM(conversions), 0) AS conversions,
    COALESCE(SUM(orders), 0) AS orders,
    COALESCE(SUM(new_customers), 0) AS new_customers,
    IF(
      COUNTIF(revenue IS NOT NULL AND rate_nanos IS NULL) > 0,
      NULL,
      COALESCE(SUM(revenue * rate_nanos / 1000000000), 0)
    ) AS attributed_revenue,
    MAX(IF(spend IS NOT NULL, currency, NULL)) AS account_currency,
    SUM(spend) AS spend_account_currency,
    CAST(MAX(IF(spend IS NOT NULL, rate_nanos, NULL)) AS NUMERIC) / 1000000000 AS spend_fx_rate,
    MAX(IF(spend IS NOT NULL, rate_day, NULL)) AS spend_fx_rate_day,
    SUM(platform_conversions) AS platform_conversions
  FROM converted
  GROUP BY
    day,
    channel,
    campaign_id
)
SELECT
  d.day, /* the day of the ads, sessions and purchases: the ad platform's day (account time zone), GA4's day (property time zone), the purchase's UTC day */
  d.channel, /* google_ads or facebook_ads */
  d.campaign_id, /* the platform's campaign id (Google's int64 as text, Facebook's Graph id) */
  COALESCE(c.campaign_name, d.campaign_name) AS campaign_name, /* the campaign's current name */
  c.utm_campaign, /* utm_campaign of the campaign's ad links (Google: final URL suffix; Facebook: derived from name and start month, see staging.stg_facebook_ads__campaigns); sessions and purchases are matched on it */
  @reporting_currency AS reporting_currency, /* ISO currency of spend, attributed_revenue, cpc and cac, lower case (variable reporting_currency) */
  d.spend, /* ad spend in the reporting currency; 0 on days the campaign only brought sessions or purchases; NULL when no exchange rate is known yet for the account's currency */
  d.impressions, /* times the campaign's ads were shown */
  d.clicks, /* clicks on them */
  d.sessions, /* GA4 sessions whose session campaign is utm_campaign */
  d.conversions, /* GA4 key events (web purchases) of those sessions */
  d.orders, /* succeeded Stripe charges whose checkout utm_campaign is the campaign's (last touch) */
  d.new_customers, /* customers among those orders whose first purchase ever, through Stripe or PayPal (by email), was this day */
  d.attributed_revenue, /* amount of those orders (gross, before refunds and fees) in the reporting currency; NULL when no exchange rate is known */
  CAST(SAFE_DIVIDE(d.spend, d.clicks) AS FLOAT64) AS cpc, /* cost per click: spend / clicks, reporting currency; NULL without clicks */
  CAST(SAFE_DIVIDE(d.clicks, d.impressions) AS FLOAT64) AS ctr, /* click-through rate: clicks / impressions; NULL without impressions */
  CAST(SAFE_DIVIDE(d.spend, d.new_customers) AS FLOAT64) AS cac, /* customer acquisition cost: spend / new_customers, reporting currency; NULL without new customers */
  CAST(SAFE_DIVIDE(d.attributed_revenue, d.spend) AS FLOAT64) AS roas, /* return on ad spend: attributed_revenue / spend; NULL without spend */
  d.account_currency, /* ISO currency of the ad account, lower case; NULL on days without ad delivery */
  d.spend_account_currency, /* ad spend in the ad account's currency, as the platform reports it; NULL on days without ad delivery */
  d.spend_fx_rate, /* reporting-currency units per account-currency unit used for spend (1 when they are the same) */
  d.spend_fx_rate_day, /* the day that rate was observed (before the row's day when that day had no Stripe conversion) */
  d.platform_conversions /* conversions the ad platform itself reports (Google: attributed conversions, Facebook: purchases), as of the newest read; not comparable across platforms */
FROM campaign_days AS d
LEFT JOIN campaigns AS c
  ON c.channel = d.channel AND c.campaign_id = d.campaign_id
