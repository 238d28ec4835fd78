MODEL (
  name marts.inventory_by_item,
  /* FULL: a snapshot of the stock sheet as it stands (one row per SKU, a dozen rows); staging */
  /* keeps no stock history to increment over, and a rebuild reads the current sheet and the */
  /* staged payments (thousands of rows a year), of which it counts 28 days. */
  kind FULL,
  grain sku,
  columns (
    sku STRING,
    item_name STRING,
    on_hand INT64,
    reorder_point INT64,
    unit_cost NUMERIC(38, 9),
    stock_value NUMERIC(38, 9),
    units_sold_28d INT64,
    avg_daily_units_sold FLOAT64,
    days_of_cover FLOAT64,
    below_reorder_point BOOL,
    updated_date DATE,
    as_of_at TIMESTAMP,
    as_of_date DATE
  ),
  description 'Stock per item as the stock sheet stood at as_of_at, the moment it was read, against what sold in the 28 days before that same moment (units of successful Stripe charges and completed PayPal payments, refunded or not: a refund does not put the unit back on the shelf): average daily sales, days of cover at that pace, and whether the item is at or below its reorder point.',
  audits (
    not_null(columns := (sku, item_name, on_hand, reorder_point, unit_cost, stock_value, units_sold_28d, avg_daily_units_sold, below_reorder_point, as_of_at, as_of_date)),
    unique_values(columns := (sku)),
    accepted_range(column := unit_cost, min_v := 0),
    accepted_range(column := units_sold_28d, min_v := 0),
    accepted_range(column := avg_daily_units_sold, min_v := 0),
    forall(criteria := (
      below_reorder_point = (on_hand <= reorder_point),
      (days_of_cover IS NULL) = (units_sold_28d = 0)
    ))
  )
);

WITH sales AS (
  /* units of every successful sale, with its moment */
  SELECT
    sku,
    COALESCE(quantity, 1) AS units,
    created_at AS sold_at
  FROM staging.stg_stripe__charges
  WHERE
    status = 'succeeded'
  UNION ALL
  SELECT
    sku,
    COALESCE(quantity, 1) AS units,
    initiated_at AS sold_at
  FROM staging.stg_paypal__transactions
  WHERE
    status = 'S' AND transaction_type = 'payment'
), sold AS (
  SELECT
    i.sku,
    SUM(s.units) AS units_sold_28d
  FROM staging.stg_google_sheets__inventory AS i
  JOIN sales AS s
    ON s.sku = i.sku
    /* one instant: the 28 days (of 24 hours) before the moment the sheet was read, whose */
    /* on_hand already reflects every sale counted here and none after. Strictly before: the */
    /* run's windows end at that second, exclusive, so a sale in it is loaded the next night */
    AND s.sold_at >= TIMESTAMP_SUB(i.snapshot_at, INTERVAL 28 DAY)
    AND s.sold_at < i.snapshot_at
  GROUP BY
    i.sku
)
SELECT
  i.sku, /* the organisation's SKU */
  i.item_name, /* as the stock sheet names it */
  i.on_hand, /* units in stock, from the stock sheet */
  i.reorder_point, /* reorder when on_hand falls to this many units, from the stock sheet */
  i.unit_cost, /* what one unit costs the organisation, USD, from the stock sheet */
  CAST(i.on_hand * i.unit_cost AS NUMERIC(38, 9)) AS stock_value, /* on_hand * unit_cost, USD */
  COALESCE(s.units_sold_28d, 0) AS units_sold_28d, /* units sold through Stripe (successful charges) and PayPal (completed payments) in the 28 days before as_of_at (from as_of_at - 28 days, up to but excluding as_of_at) */
  COALESCE(s.units_sold_28d, 0) / 28 AS avg_daily_units_sold, /* units_sold_28d / 28 */
  SAFE_DIVIDE(i.on_hand * 28, s.units_sold_28d) AS days_of_cover, /* on_hand / avg_daily_units_sold: days the stock lasts at that pace; NULL when nothing sold */
  i.on_hand <= i.reorder_point AS below_reorder_point, /* on_hand is at or below the reorder point: time to reorder */
  i.updated_date, /* the day the sheet row was last changed, as the sheet says */
  i.snapshot_at AS as_of_at, /* the instant the row describes: when the stock sheet was read; every sale counted happened before then */
  DATE(DATETIME(i.snapshot_at, 'UTC')) AS as_of_date /* the UTC date of as_of_at */
FROM staging.stg_google_sheets__inventory AS i
LEFT JOIN sold AS s
  ON s.sku = i.sku
