MODEL (
  name staging.stg_google_analytics__traffic_daily,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key (property_id, day, session_source, session_medium, session_campaign_name)
  ),
  grain (property_id, day, session_source, session_medium, session_campaign_name),
  columns (
    property_id STRING,
    day DATE,
    session_source STRING,
    session_medium STRING,
    session_campaign_name STRING,
    sessions INT64,
    total_users INT64,
    engaged_sessions INT64,
    key_events INT64,
    total_revenue FLOAT64,
    fetched_at TIMESTAMP,
    loaded_for_date DATE,
    _dlt_load_id STRING
  ),
  description 'GA4 sessions per day and session source / medium / campaign, in their latest version. GA4 keeps processing a day’s hits for about two days, so each load re-reads a 3-day lookback; a re-read day arrives in several partitions and the newest fetch (then the newest load) wins. session_campaign_name is the utm_campaign of the session’s landing URL. Reads only the partitions of the run’s interval; raw views show completed loads only.',
  audits (
    not_null(columns := (property_id, day, session_source, session_medium, session_campaign_name, sessions, key_events)),
    unique_combination_of_columns(columns := (property_id, day, session_source, session_medium, session_campaign_name)),
    accepted_range(column := sessions, min_v := 0),
    accepted_range(column := key_events, min_v := 0),
    accepted_range(column := total_revenue, min_v := 0)
  )
);

SELECT
  property_id, /* the GA4 property */
  report_date AS day, /* the day of the sessions, in the property's time zone */
  COALESCE(session_source, '(not set)') AS session_source, /* utm_source of the session, or GA4's (direct), google (organic), ... */
  COALESCE(session_medium, '(not set)') AS session_medium, /* utm_medium of the session: cpc, paid_social, organic, (none), ... */
  COALESCE(session_campaign_name, '(not set)') AS session_campaign_name, /* utm_campaign of the session; GA4's (organic), (direct), (referral) for untagged traffic */
  COALESCE(sessions, 0) AS sessions, /* sessions */
  total_users, /* distinct users */
  engaged_sessions, /* sessions longer than 10 s, with a key event or 2+ page views */
  COALESCE(key_events, 0) AS key_events, /* key events (GA4's conversions since 2024): here, web purchases */
  total_revenue, /* revenue of the sessions, in the property's currency (GA4 computes it as a double) */
  fetched_at, /* when this version of the row was read, UTC */
  date AS loaded_for_date, /* the lake partition this version came from (the run that read it) */
  _dlt_load_id /* the dlt load that wrote it */
FROM raw.google_analytics__traffic_daily
WHERE
  date BETWEEN @start_date AND @end_date
QUALIFY
  ROW_NUMBER() OVER (
    PARTITION BY property_id, report_date, session_source, session_medium, session_campaign_name
    ORDER BY fetched_at DESC, _dlt_load_id DESC
  ) = 1
