"""Questionnaires of the resident front door (docs/questionnaires.md).

FHIR R4 (4.0.1) ``Questionnaire`` definitions, read into a typed form model
(:mod:`.parse`, :mod:`.model`), ``enableWhen`` evaluated server-side (:mod:`.enable`),
answers read and checked (:mod:`.answers`), written as an R4 ``QuestionnaireResponse``
(:mod:`.response`), outcome rules as data (:mod:`.rules`), versions and responses kept in the
store (:mod:`.store`), the shipped example content (:mod:`.examples`) and the use case that
stores a response and opens its case (:mod:`.submit`).
"""
