"""Where and how the indicator expressions run, behind one small interface
(:class:`~sotekeskus.analytics.backends.base.Backend`): the DuckDB snapshot of the store
(``snapshot``), an episode Parquet file in place (``parquet``) and PostgreSQL itself
(``postgres``). A new engine (Spark) is one more module here plus an entry in the shared
spec tests (``tests/spec/engines.py``)."""
