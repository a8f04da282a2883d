"""Machine-facing APIs (``/fhir``: the FHIR R4 REST API), each with its own guard."""
