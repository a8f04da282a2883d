# ruff: noqa: E501  (spec tables are as wide as their columns)
"""Legal breaches: the rule in force on the assessment date, for the age on that date
(domain.md, "Care-guarantee law as dated rules"). Each pair is one visit on time and one
late, hand-computed:

* inclusive day 14 — assessed 2025-03-10, aged 22 (14 days): seen 03-24 on time, 03-25 late;
* age 23 on the assessment date — born 2002-03-10 is 23 on 2025-03-10 (3 months), born
  2002-03-11 is 22 (14 days): both seen 2025-04-10 (31 days), only the second is late;
* calendar months clamp at the month end — assessed 2022-01-31 (3 months): deadline
  2022-04-30; seen 04-30 on time, 05-01 late;
* the cancelled 7-day step of 2024-11-01 never applies — assessed 2024-11-05 (14 days):
  seen after 10 days on time, after 15 days late;
* the rule of the assessment date, not of the visit — assessed 2023-08-31 (3 months) and
  2023-09-01 (14 days), both seen 2023-10-02: only the second is late;
* ``social`` has no care-guarantee rule: ``legal_breaches`` is null, however long the wait.
"""

from __future__ import annotations

from sotekeskus.analytics.filters import AccessFilter

from ..tables import assert_rows, episodes

EPISODES = episodes("""
| episode_id   | birth_date | service_area | professional_group | assessed_at | visit_at   |
|--------------|------------|--------------|--------------------|-------------|------------|
| day14        | 2002-03-11 | medical      | physician          | 2025-03-10  | 2025-03-24 |
| day15        | 2002-03-11 | medical      | physician          | 2025-03-10  | 2025-03-25 |
| age23        | 2002-03-10 | medical      | physician          | 2025-03-10  | 2025-04-10 |
| age22        | 2002-03-11 | medical      | physician          | 2025-03-10  | 2025-04-10 |
| clamp_ontime | 1980-01-01 | medical      | physician          | 2022-01-31  | 2022-04-30 |
| clamp_late   | 1980-01-01 | medical      | physician          | 2022-01-31  | 2022-05-01 |
| step_10d     | 1980-01-01 | medical      | physician          | 2024-11-05  | 2024-11-15 |
| step_15d     | 1980-01-01 | medical      | physician          | 2024-11-05  | 2024-11-20 |
| old_rule     | 1980-01-01 | medical      | physician          | 2023-08-31  | 2023-10-02 |
| new_rule     | 1980-01-01 | medical      | physician          | 2023-09-01  | 2023-10-02 |
| social       | 1980-01-01 | social       | social_worker      | 2024-01-02  | 2024-09-02 |
""")


def test_legal_breaches_per_month(engine):
    assert_rows(engine(EPISODES).access_report(), """
    | month   | service_area | professional_group | visits | over_90d | legal_breaches |
    | 2022-04 | medical      | physician          | 1      | 0        | 0              |
    | 2022-05 | medical      | physician          | 1      | 0        | 1              |
    | 2023-10 | medical      | physician          | 2      | 0        | 1              |
    | 2024-09 | social       | social_worker      | 1      | 1        |                |
    | 2024-11 | medical      | physician          | 2      | 0        | 1              |
    | 2025-03 | medical      | physician          | 2      | 0        | 1              |
    | 2025-04 | medical      | physician          | 2      | 0        | 1              |
    """, "access_report()")


def test_summary_counts_breaches_of_the_areas_under_a_rule(engine):
    an = engine(EPISODES)
    assert_rows(an.access_summary(by="year"), """
    | month | visits | legal_breaches |
    | 2022  | 2      | 1              |
    | 2023  | 2      | 1              |
    | 2024  | 3      | 1              |
    | 2025  | 4      | 2              |
    """, "access_summary(by=year)")
    assert_rows(an.access_summary(AccessFilter(service_areas=("social",)), by="year"), """
    | month | visits | median_wait_days | legal_breaches |
    | 2024  | 1      | 244.0            |                |
    """, "access_summary(social, by=year)")
