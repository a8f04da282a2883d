"""FHIR R4 (docs/fhir.md): bulk export and import of episodes, units and pseudonymised
persons (:mod:`resources` the mapping, :mod:`validate` R4 validation, :mod:`bulk_export`,
:mod:`bulk_import`), and the REST API's resources (:mod:`api_resources`,
:mod:`api_directory`, :mod:`api_records`), booking requests (:mod:`api_booking`), clients
and their tokens (:mod:`clients`, :mod:`oauth`)."""
