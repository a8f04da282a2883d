# ruff: noqa: E501  (spec tables are as wide as their columns)
"""Access summaries over a filter: unit, service area, professional group, age group (age on
the contact date) and months of the visit (inclusive); periods by month, quarter or year.

Hand-computed (all visits in 2025; every one on time):

| episode | unit | area / group | age on contact | visit | wait |
|---|---|---|---|---|---|
| f1 | U1 | medical physician | 22 (born 2002-03-11, contact 03-10) | 2025-03-12 | 2 |
| f2 | U1 | medical physician | 23 (contact 03-11, the birthday) | 2025-03-31 | 20 |
| f3 | U2 | medical physician | 74 | 2025-04-03 | 2 |
| f4 | U2 | medical nurse | 45 | 2025-07-01 | 1 |
| f5 | U1 | oral dentist | 45 | 2025-02-14 | 30 |
| f6 | U1 | social social_worker | 45 | 2025-03-03 | 28 |

The whole year: waits 1, 2, 2, 20, 28, 30 → median (2 + 20) / 2 = 11, within 7 days 3/6.
"""

from __future__ import annotations

from sotekeskus.analytics.filters import AccessFilter

from ..tables import assert_rows, episodes

EPISODES = episodes("""
| episode_id | unit_id | birth_date | service_area | professional_group | contact_at | assessed_at | visit_at   |
|------------|---------|------------|--------------|--------------------|------------|-------------|------------|
| f1         | U1      | 2002-03-11 | medical      | physician          | 2025-03-10 | 2025-03-10  | 2025-03-12 |
| f2         | U1      | 2002-03-11 | medical      | physician          | 2025-03-11 | 2025-03-11  | 2025-03-31 |
| f3         | U2      | 1950-06-01 | medical      | physician          | 2025-04-01 | 2025-04-01  | 2025-04-03 |
| f4         | U2      | 1980-01-01 | medical      | nurse              | 2025-06-30 | 2025-06-30  | 2025-07-01 |
| f5         | U1      | 1980-01-01 | oral         | dentist            | 2025-01-15 | 2025-01-15  | 2025-02-14 |
| f6         | U1      | 1980-01-01 | social       | social_worker      | 2025-02-03 | 2025-02-03  | 2025-03-03 |
""")


def test_whole_year(engine):
    assert_rows(engine(EPISODES).access_summary(by="year"), """
    | month | visits | within_7d_pct | within_14d_pct | median_wait_days | legal_breaches |
    | 2025  | 6      | 50.0          | 50.0           | 11.0             | 0              |
    """)


def test_age_group_is_the_age_on_the_contact_date(engine):
    an = engine(EPISODES)
    assert_rows(an.access_summary(AccessFilter(age_group="0-22")), """
    | month   | visits | median_wait_days | within_7d_pct |
    | 2025-03 | 1      | 2.0              | 100.0         |
    """, "0-22")
    assert_rows(an.access_summary(AccessFilter(age_group="23-64", month_from="2025-03",
                                               month_to="2025-06")), """
    | month   | visits | median_wait_days | within_14d_pct | legal_breaches |
    | 2025-03 | 2      | 24.0             | 0.0            | 0              |
    """, "23-64, 2025-03..2025-06")
    assert_rows(an.access_summary(AccessFilter(age_group="65+", unit_ids=("U1",))), """
    | month | visits |
    """, "65+ in U1: nobody")


def test_unit_by_quarter(engine):
    assert_rows(engine(EPISODES).access_summary(AccessFilter(unit_ids=("U2",)),
                                                by="quarter"), """
    | month   | visits | median_wait_days |
    | 2025-Q2 | 1      | 2.0              |
    | 2025-Q3 | 1      | 1.0              |
    """)


def test_group_and_area_filters_on_the_report(engine):
    an = engine(EPISODES)
    assert_rows(an.access_report(AccessFilter(professional_groups=("nurse",))), """
    | month   | service_area | professional_group | visits |
    | 2025-07 | medical      | nurse              | 1      |
    """, "nurse")
    assert_rows(an.access_report(AccessFilter(service_areas=("oral", "social"),
                                              month_to="2025-02")), """
    | month   | service_area | professional_group | visits | median_wait_days |
    | 2025-02 | oral         | dentist            | 1      | 30.0             |
    """, "oral + social up to 2025-02")
