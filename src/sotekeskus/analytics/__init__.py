"""Indicator engine: the access report, waiting lists and the situation picture.

Indicator definitions are written once as Ibis expressions (``access.py``,
``waiting_list.py``, ``situation.py``) and run on DuckDB (default, over a columnar snapshot
of the store or directly over Parquet) or on PostgreSQL.
"""
