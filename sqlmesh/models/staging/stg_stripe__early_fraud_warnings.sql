MODEL (
  name staging.stg_stripe__early_fraud_warnings,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key early_fraud_warning_id
  ),
  grain early_fraud_warning_id,
  description 'Stripe Radar early fraud warnings, one row per warning in its latest known state: a card network saying a charge was fraudulent, often days before a dispute (join stg_stripe__disputes on charge_id).',
  audits (
    not_null(columns := (early_fraud_warning_id, created_at, charge_id, fraud_type, is_actionable)),
    unique_values(columns := (early_fraud_warning_id))
  )
);

SELECT
  id AS early_fraud_warning_id, /* Stripe id (issfr_...) */
  created AS created_at, /* when the network warned, UTC */
  charge AS charge_id, /* the charge warned about */
  payment_intent AS payment_intent_id,
  fraud_type, /* made_with_stolen_card, unauthorized_use_of_card, card_never_received, ... */
  actionable AS is_actionable, /* false once the charge was refunded or disputed */
  snapshot_at,
  date AS loaded_for_date,
  _dlt_load_id
FROM raw.stripe__early_fraud_warnings
WHERE
  date BETWEEN @start_date AND @end_date
QUALIFY
  ROW_NUMBER() OVER (PARTITION BY id ORDER BY snapshot_at DESC, _dlt_load_id DESC) = 1
