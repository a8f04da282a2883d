# ruff: noqa: E501  (spec tables are as wide as their columns)
"""Channel share (domain.md, "Channel measures"): done episodes in a remote contact mode ÷
done episodes, per period of the visit; the remote modes and a minimum age (on the visit
date) are parameters.

Hand-computed: Q1 = c1 phone, c2 in person, c3 chat → 2/3; Q2 = c4 video, c5 home visit,
c7 e-service (urgent, still a done episode), c8 no mode → 2/4. c6 is not done. With
``min_age=20``: c3 (born 2005-04-01, seen 2025-03-31) is 19 and left out; c4 (seen on the
20th birthday) counts.
"""

from __future__ import annotations

import pytest

from sotekeskus.analytics.filters import AccessFilter

from ..tables import assert_rows, episodes

EPISODES = episodes("""
| episode_id | birth_date | urgency    | contact_at | visit_at         | contact_mode | status  |
|------------|------------|------------|------------|------------------|--------------|---------|
| c1         | 1980-01-01 | non_urgent | 2025-01-14 | 2025-01-15       | phone        | done    |
| c2         | 1980-01-01 | non_urgent | 2025-02-09 | 2025-02-10       | in_person    | done    |
| c3         | 2005-04-01 | non_urgent | 2025-03-30 | 2025-03-31 23:00 | chat         | done    |
| c4         | 2005-04-01 | non_urgent | 2025-03-31 | 2025-04-01       | video        | done    |
| c5         | 1980-01-01 | non_urgent | 2025-04-01 | 2025-04-02       | home_visit   | done    |
| c6         | 1980-01-01 | non_urgent | 2025-04-01 |                  | phone        | waiting |
| c7         | 1980-01-01 | urgent     | 2025-05-05 | 2025-05-05       | e_service    | done    |
| c8         | 1980-01-01 | non_urgent | 2025-05-31 | 2025-06-01       |              | done    |
""")


def test_default_remote_modes_by_quarter(engine):
    assert_rows(engine(EPISODES).channel_share(), """
    | period  | done | remote | remote_share_pct |
    | 2025-Q1 | 3    | 2      | 66.7             |
    | 2025-Q2 | 4    | 2      | 50.0             |
    """)


def test_regional_definitions(engine):
    an = engine(EPISODES)
    assert_rows(an.channel_share(remote_modes=("chat", "e_service")), """
    | period  | done | remote | remote_share_pct |
    | 2025-Q1 | 3    | 1      | 33.3             |
    | 2025-Q2 | 4    | 1      | 25.0             |
    """, "chat and e-service only")
    assert_rows(an.channel_share(min_age=20, by="month"), """
    | period  | done | remote | remote_share_pct |
    | 2025-01 | 1    | 1      | 100.0            |
    | 2025-02 | 1    | 0      | 0.0              |
    | 2025-04 | 2    | 1      | 50.0             |
    | 2025-05 | 1    | 1      | 100.0            |
    | 2025-06 | 1    | 0      | 0.0              |
    """, "aged 20 or over, by month")
    assert_rows(an.channel_share(AccessFilter(month_from="2025-03", month_to="2025-04"),
                                 by="year"), """
    | period | done | remote | remote_share_pct |
    | 2025   | 3    | 2      | 66.7             |
    """, "visits in 2025-03..2025-04")


def test_unknown_mode_is_refused(engine):
    an = engine(EPISODES)
    with pytest.raises(ValueError, match="fax"):
        an.channel_share(remote_modes=("phone", "fax"))
