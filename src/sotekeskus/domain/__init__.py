"""Pure domain model and rules: no I/O, no web, no store."""
