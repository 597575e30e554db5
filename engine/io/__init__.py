"""Data in and results out: readers for csv, xlsx and parquet, the panel a program runs on,
and writers that never leave a half-written file."""
