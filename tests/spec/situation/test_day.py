# ruff: noqa: E501  (spec tables are as wide as their columns)
"""Situation picture of one day, 2025-03-10: contacts by channel and care-need assessments
not done the same day (``analytics/situation.py``).

The day's contacts are those whose ``contact_at`` falls on the day (s5 at 23:59 the day
before and s6 at midnight after are not). Late assessment: none recorded, or recorded on a
later date (s2, s3, s7); s4, contacted at 23:59 and assessed at 23:59:30, is on time.
U1 medical: 3 contacts, 2 late = 66.7 %; U2 oral: 2 contacts, 1 late = 50.0 %.
"""

from __future__ import annotations

from datetime import date

from sotekeskus.analytics.filters import AccessFilter

from ..tables import assert_rows, episodes

DAY = date(2025, 3, 10)

EPISODES = episodes("""
| episode_id | unit_id | service_area | professional_group | contact_at          | assessed_at         | contact_mode |
|------------|---------|--------------|--------------------|---------------------|---------------------|--------------|
| s1         | U1      | medical      | physician          | 2025-03-10 09:00    | 2025-03-10 09:30    | phone        |
| s2         | U1      | medical      | nurse              | 2025-03-10 10:00    | 2025-03-11 08:00    | phone        |
| s3         | U1      | medical      | physician          | 2025-03-10 11:00    |                     |              |
| s4         | U2      | oral         | dentist            | 2025-03-10 23:59    | 2025-03-10 23:59:30 | chat         |
| s5         | U1      | medical      | physician          | 2025-03-09 23:59    | 2025-03-10 08:00    | phone        |
| s6         | U1      | medical      | physician          | 2025-03-11 00:00    |                     | phone        |
| s7         | U2      | oral         | dental_hygienist   | 2025-03-10 12:00    | 2025-03-12 09:00    | e_service    |
""")


def test_contacts_by_channel(engine):
    an = engine(EPISODES)
    assert_rows(an.contacts_by_channel(DAY), """
    | contact_mode | contacts |
    | chat         | 1        |
    | e_service    | 1        |
    | phone        | 2        |
    |              | 1        |
    """, "all units")
    assert_rows(an.contacts_by_channel(DAY, AccessFilter(unit_ids=("U2",))), """
    | contact_mode | contacts |
    | chat         | 1        |
    | e_service    | 1        |
    """, "U2")


def test_assessments_not_same_day(engine):
    assert_rows(engine(EPISODES).assessments_not_same_day(DAY), """
    | unit_id | service_area | contacts | not_assessed_same_day | not_assessed_same_day_pct |
    | U1      | medical      | 3        | 2                     | 66.7                      |
    | U2      | oral         | 2        | 1                     | 50.0                      |
    """)
