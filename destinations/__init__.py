"""The lake (Parquet files partitioned by source, table and date) and the raw tables over it."""
