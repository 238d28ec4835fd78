MODEL (
  name marts.enrollment_by_program,
  /* FULL: a snapshot of the roster as it stands (one row per program and term, a few dozen */
  /* rows); staging keeps no roster history to increment over, and a rebuild reads the current */
  /* roster, the program products and the staged payments (thousands of rows a year). */
  kind FULL,
  grain (program, term),
  columns (
    program STRING,
    term STRING,
    sku STRING,
    cohorts INT64,
    capacity INT64,
    enrolled INT64,
    withdrawn INT64,
    fill_rate FLOAT64,
    paid_students INT64,
    outstanding_students INT64,
    new_students INT64,
    returning_students INT64,
    as_of_at TIMESTAMP,
    as_of_date DATE
  ),
  description 'Enrolment per program and term as the roster stood at as_of_at, the moment it was read: seats taken against the capacity of the Stripe products of the program, which seats are paid (a successful Stripe or PayPal payment from the email of the student for one of the SKUs of the program, made before as_of_at and not refunded in full by refunds made before then; monthly programs count as paid from their first installment) and which are outstanding (enrolled on the roster, no such payment yet), and how many students are new (this is their first program) or returning. Every program with a Stripe product appears, enrolled or not.',
  audits (
    not_null(columns := (program, term, cohorts, enrolled, withdrawn, paid_students, outstanding_students, new_students, returning_students, as_of_at, as_of_date)),
    unique_combination_of_columns(columns := (program, term)),
    accepted_range(column := enrolled, min_v := 0),
    accepted_range(column := withdrawn, min_v := 0),
    accepted_range(column := paid_students, min_v := 0),
    accepted_range(column := outstanding_students, min_v := 0),
    accepted_range(column := new_students, min_v := 0),
    accepted_range(column := returning_students, min_v := 0),
    accepted_range(column := capacity, min_v := 0),
    forall(criteria := (
      paid_students + outstanding_students = enrolled,
      new_students + returning_students = enrolled
    )),
    /* a program typed on the roster that matches no Stripe product (name and term) has no */
    /* capacity: worth a warning, not a stopped run */
    not_null(columns := (sku, capacity), blocking := false)
  )
);

WITH as_of AS (
  /* the moment the roster was read: the one instant every row and every payment in it */
  /* refers to; no roster, no rows */
  SELECT DISTINCT
    snapshot_at AS as_of_at
  FROM staging.stg_google_sheets__enrolments
), program_products AS (
  /* one Stripe product per cohort; two cohorts of a program can start in the same term */
  SELECT
    name AS program,
    term,
    sku,
    capacity
  FROM staging.stg_stripe__products
  WHERE
    kind = 'program'
), programs AS (
  SELECT
    program,
    term,
    STRING_AGG(sku, ', ' ORDER BY sku) AS sku,
    COUNT(*) AS cohorts,
    SUM(capacity) AS capacity
  FROM program_products
  GROUP BY
    program,
    term
), refunded AS (
  /* refunded per sale before as_of_at: the sale's current refunded flag would count a refund */
  /* made after the roster was read */
  SELECT
    'stripe' AS processor,
    r.charge_id AS sale_id,
    SUM(r.amount_minor) AS refunded_minor
  FROM staging.stg_stripe__refunds AS r
  CROSS JOIN as_of
  WHERE
    r.status = 'succeeded' AND r.created_at < as_of.as_of_at
  GROUP BY
    r.charge_id
  UNION ALL
  SELECT
    'paypal' AS processor,
    t.reference_transaction_id AS sale_id,
    SUM(-t.gross_minor) AS refunded_minor
  FROM staging.stg_paypal__transactions AS t
  CROSS JOIN as_of
  WHERE
    t.status = 'S'
    AND t.transaction_type IN ('refund', 'reversal')
    AND t.initiated_at < as_of.as_of_at
  GROUP BY
    t.reference_transaction_id
), sales AS (
  /* successful Stripe charges and completed PayPal payments */
  SELECT
    'stripe' AS processor,
    charge_id AS sale_id,
    LOWER(TRIM(email)) AS email,
    sku,
    created_at AS paid_at,
    amount_minor
  FROM staging.stg_stripe__charges
  WHERE
    status = 'succeeded'
  UNION ALL
  SELECT
    'paypal' AS processor,
    transaction_id AS sale_id,
    payer_email AS email,
    sku,
    initiated_at AS paid_at,
    gross_minor AS amount_minor
  FROM staging.stg_paypal__transactions
  WHERE
    status = 'S' AND transaction_type = 'payment'
), payments AS (
  /* sales made before as_of_at that refunds made before then did not take back in full; */
  /* strictly before: the run's windows end at that second, exclusive */
  SELECT
    s.email,
    s.sku
  FROM sales AS s
  CROSS JOIN as_of
  LEFT JOIN refunded AS r
    ON r.processor = s.processor AND r.sale_id = s.sale_id
  WHERE
    s.paid_at < as_of.as_of_at AND COALESCE(r.refunded_minor, 0) < s.amount_minor
), paid_cohorts AS (
  /* per student, program and term: for how many of its cohorts (SKUs) the student has paid */
  SELECT
    pp.program,
    pp.term,
    pay.email AS student_email,
    COUNT(DISTINCT pay.sku) AS paid_cohorts
  FROM payments AS pay
  JOIN program_products AS pp
    ON pp.sku = pay.sku
  GROUP BY
    pp.program,
    pp.term,
    pay.email
), first_enrolments AS (
  /* the day of each student's first enrolment in any program, withdrawn or not */
  SELECT
    student_email,
    MIN(enrolled_date) AS first_enrolled_date
  FROM staging.stg_google_sheets__enrolments
  GROUP BY
    student_email
), students AS (
  /* per student, program and term: seats held, withdrawn, and held since their first enrolment */
  SELECT
    r.program,
    r.term,
    r.student_email,
    COUNTIF(r.status = 'enrolled') AS enrolled,
    COUNTIF(r.status = 'withdrawn') AS withdrawn,
    COUNTIF(r.status = 'enrolled' AND r.enrolled_date = f.first_enrolled_date) AS new_seats
  FROM staging.stg_google_sheets__enrolments AS r
  JOIN first_enrolments AS f
    ON f.student_email = r.student_email
  GROUP BY
    r.program,
    r.term,
    r.student_email
), roster AS (
  SELECT
    s.program,
    s.term,
    SUM(s.enrolled) AS enrolled,
    SUM(s.withdrawn) AS withdrawn,
    /* a student holding seats in two cohorts has paid for as many seats as cohorts paid for */
    SUM(LEAST(s.enrolled, COALESCE(p.paid_cohorts, 0))) AS paid_students,
    SUM(s.new_seats) AS new_students
  FROM students AS s
  LEFT JOIN paid_cohorts AS p
    ON p.program = s.program AND p.term = s.term AND p.student_email = s.student_email
  GROUP BY
    s.program,
    s.term
)
SELECT
  COALESCE(r.program, p.program) AS program, /* program name, as on the roster and the Stripe product */
  COALESCE(r.term, p.term) AS term, /* the term the program runs in, e.g. Fall 2026 */
  p.sku, /* the program's SKU; SKUs joined by ', ' when two cohorts start in the term; NULL when no Stripe product matches */
  COALESCE(p.cohorts, 0) AS cohorts, /* Stripe products (cohorts) of the program in the term, usually 1 */
  p.capacity, /* seats, from the Stripe products' metadata (summed over cohorts); NULL when unknown */
  COALESCE(r.enrolled, 0) AS enrolled, /* seats taken: roster rows with status enrolled */
  COALESCE(r.withdrawn, 0) AS withdrawn, /* roster rows with status withdrawn */
  SAFE_DIVIDE(COALESCE(r.enrolled, 0), p.capacity) AS fill_rate, /* enrolled / capacity (1 = full, above 1 = overbooked); NULL without a capacity */
  COALESCE(r.paid_students, 0) AS paid_students, /* enrolled seats paid for: a successful Stripe or PayPal payment by the student's email for the program's SKU, not refunded in full, before as_of_at (monthly programs: the first installment is enough) */
  COALESCE(r.enrolled, 0) - COALESCE(r.paid_students, 0) AS outstanding_students, /* enrolled seats with no such payment yet; paid_students + outstanding_students = enrolled */
  COALESCE(r.new_students, 0) AS new_students, /* enrolled seats of students for whom this is their first program ever (their earliest enrolment date on the roster) */
  COALESCE(r.enrolled, 0) - COALESCE(r.new_students, 0) AS returning_students, /* enrolled seats of students who had enrolled in a program before; new_students + returning_students = enrolled */
  a.as_of_at, /* the instant the row describes: when the roster was read; every payment and refund counted happened before then */
  DATE(DATETIME(a.as_of_at, 'UTC')) AS as_of_date /* the UTC date of as_of_at */
FROM roster AS r
FULL OUTER JOIN programs AS p
  ON p.program = r.program AND p.term = r.term
CROSS JOIN as_of AS a
