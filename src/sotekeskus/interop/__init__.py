"""Interoperability: Avohilmo-style extracts through code maps (``avohilmo``, ``codes``),
quarantine and data quality (``quarantine``, ``quality``), FHIR R4 bulk export and import
(``fhir``)."""
