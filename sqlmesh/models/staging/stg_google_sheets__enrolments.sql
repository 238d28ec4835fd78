MODEL (
  name staging.stg_google_sheets__enrolments,
  /* FULL: every load is a whole snapshot of the roster, so the current roster is the newest */
  /* partition, and replacing the table with it makes rows deleted from the sheet disappear (a */
  /* merge on a key would keep them). A FULL model gets no interval, only the run's execution */
  /* time: each run reads the partitions of the week up to it (a sheets load that failed for a */
  /* few days leaves the last snapshot in place rather than an empty table; a week of a small */
  /* sheet is cheap) and keeps the one read last (raw already keeps the newest load of each */
  /* date; only a date's own nightly run reads the sheets, so the newest date is the newest read). */
  kind FULL,
  grain (student_email, program, term, enrolled_date),
  columns (
    student_email STRING,
    student_name STRING,
    program STRING,
    term STRING,
    enrolled_date DATE,
    status STRING,
    paid_amount NUMERIC(38, 9),
    currency STRING,
    row_number INT64,
    snapshot_at TIMESTAMP,
    snapshot_date DATE,
    _dlt_load_id STRING
  ),
  description 'The enrolment roster (Google Sheets, tab Roster) as it stands in its newest snapshot: one row per seat, i.e. per student, program, term and enrolment date. Rows deleted from the sheet are gone here. A student may hold two seats of the same program and term when two cohorts of it start in one term.',
  audits (
    not_null(columns := (student_email, program, term, enrolled_date, status, currency, row_number, snapshot_at, snapshot_date)),
    unique_combination_of_columns(columns := (student_email, program, term, enrolled_date)),
    unique_values(columns := (row_number)),
    accepted_values(column := status, is_in := ('enrolled', 'withdrawn')),
    accepted_range(column := paid_amount, min_v := 0),
    /* nobody enrols after the sheet was read: a date typed wrong warns, it does not stop the run */
    forall(criteria := (enrolled_date <= DATE(snapshot_at)), blocking := false)
  )
);

SELECT
  LOWER(TRIM(student_email)) AS student_email, /* the student's email, lower case: joins to Stripe and PayPal payer emails */
  student_name, /* as typed in the sheet */
  TRIM(program) AS program, /* program name; with term, matches the Stripe product's name and term metadata */
  TRIM(term) AS term, /* the term the program runs in, e.g. Fall 2026 */
  enrolled_date, /* the day the student enrolled */
  status, /* enrolled (holds a seat) or withdrawn */
  CAST(paid AS NUMERIC(38, 9)) AS paid_amount, /* what the sheet says the student paid, major units of currency (kept by hand; the marts use the processors' payments) */
  LOWER(currency) AS currency, /* ISO currency of paid_amount, lower case */
  row_number, /* the row in the sheet (the header is row 1) */
  snapshot_at, /* when the sheet was read, UTC (the run's clock): the instant its rows describe */
  date AS snapshot_date, /* the lake partition (run date) the snapshot was loaded into, read in that date's nightly run */
  _dlt_load_id /* the load that wrote the snapshot */
FROM raw.google_sheets__enrolments
WHERE
  date BETWEEN DATE_SUB(@execution_date, INTERVAL 7 DAY) AND @execution_date
QUALIFY
  snapshot_at = MAX(snapshot_at) OVER ()
  AND ROW_NUMBER() OVER (
    PARTITION BY date, student_email, program, term, enrolled_date
    ORDER BY row_number DESC
  ) = 1
