"""Running a plan: the backend protocol and registry, the runtime every backend shares
(warnings, relevance, constant folding), and the pandas, DuckDB and Spark lowerings."""
