MODEL (
  name staging.stg_stripe__products,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key product_id
  ),
  grain product_id,
  description 'Stripe products (programs and goods) in their latest known state.',
  audits (
    not_null(columns := (product_id, name)),
    unique_values(columns := (product_id)),
    accepted_values(column := kind, is_in := ('program', 'good'))
  )
);

SELECT
  id AS product_id, /* Stripe product id (prod_...) */
  name,
  active AS is_active,
  JSON_VALUE(metadata, '$.sku') AS sku, /* the organisation's SKU */
  JSON_VALUE(metadata, '$.kind') AS kind, /* program or good */
  JSON_VALUE(metadata, '$.term') AS term, /* programs: the term they run in */
  SAFE_CAST(JSON_VALUE(metadata, '$.capacity') AS INT64) AS capacity, /* programs: seats */
  created AS created_at,
  snapshot_at,
  date AS loaded_for_date,
  _dlt_load_id
FROM raw.stripe__products
WHERE
  date BETWEEN @start_date AND @end_date
QUALIFY
  ROW_NUMBER() OVER (PARTITION BY id ORDER BY snapshot_at DESC, _dlt_load_id DESC) = 1
