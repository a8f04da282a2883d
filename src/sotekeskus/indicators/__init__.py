"""WHAT each published figure is, declared once (the indicator catalogue).

This package imports no engine and no web code. The engines (``analytics``) compute the
figures; the presentation layers read their labels, units, disclosure rules and FHIR codes
from here. See :mod:`sotekeskus.indicators.catalogue`.
"""
