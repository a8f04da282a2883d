"""Synthetic region generator: a believable wellbeing services county with no real data.

>>> from datetime import date
>>> from sotekeskus.synth import generate_region, write_episodes, write_units
>>> region = generate_region(residents=2_000, start=date(2019, 1, 1), end=date(2019, 12, 31))
>>> region.episodes.column_names[:3]
['episode_id', 'person_id', 'birth_date']

See docs/synth.md for what is modelled, the calibration sources and the recorded truth.
"""

from sotekeskus.synth.calibration import DEFAULT_CALIBRATION, Calibration
from sotekeskus.synth.episodes import EPISODE_SCHEMA
from sotekeskus.synth.io import write_episodes, write_truth, write_units
from sotekeskus.synth.region import SyntheticRegion, generate_region

__all__ = [
    "DEFAULT_CALIBRATION",
    "EPISODE_SCHEMA",
    "Calibration",
    "SyntheticRegion",
    "generate_region",
    "write_episodes",
    "write_truth",
    "write_units",
]
