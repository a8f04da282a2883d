"""Data in and out: episode files (CSV / Parquet), FHIR."""
