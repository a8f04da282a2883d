"""FHIR R4 bulk export and import of episodes, units and pseudonymised persons
(docs/fhir.md): :mod:`resources` (the mapping), :mod:`validate` (R4 validation),
:mod:`bulk_export`, :mod:`bulk_import`."""
