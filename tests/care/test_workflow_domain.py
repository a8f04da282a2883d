"""Pure workflow rules: HETU, case states and ownership, routing, schedules, deadlines."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from sotekeskus.care.catalogue import default_catalogue, load_catalogue
from sotekeskus.domain.rules import Leg
from sotekeskus.domain.vocabulary import ProfessionalGroup, ServiceArea
from sotekeskus.domain.workflow.cases import Transition, TransitionError, check_owner, move
from sotekeskus.domain.workflow.codes import (
    AssessedUrgency,
    CaseState,
    Channel,
    CloseReason,
    ServiceMode,
    SlotKind,
)
from sotekeskus.domain.workflow.deadlines import CaseTimes, case_deadlines, next_deadline
from sotekeskus.domain.workflow.hetu import HetuError, make_hetu, parse_hetu, synthetic_hetu
from sotekeskus.domain.workflow.routing import CaseFacts, CatalogueError
from sotekeskus.domain.workflow.schedule import (
    ScheduleError,
    SlotSpec,
    TemplateRow,
    Window,
    generate,
)
from sotekeskus.rules import default_rulebook

# ---- HETU ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "born"), [
    ("131052-308T", date(1952, 10, 13)),  # the example of the Digital and Population Data
    ("010181-900C", date(1981, 1, 1)),  # Services Agency
    ("010594Y9032", date(1994, 5, 1)),
    ("020516C903K", date(2016, 5, 2)),
    ("010101A905W", date(2001, 1, 1)),  # 10101905 % 31 = 28 → W
    ("311299+910K", date(1899, 12, 31)),  # 311299910 % 31 = 18 → K
])
def test_valid_codes_and_their_birth_dates(code: str, born: date) -> None:
    h = parse_hetu(code)
    assert h.birth_date == born and h.code == code


@pytest.mark.parametrize(("code", "message"), [
    ("131052-308U", "check character"),
    ("131052-30T", "11 characters"),
    ("131052G308T", "century sign"),
    ("310252-308T", "not a real date"),
    ("13105X-308T", "birth date DDMMYY"),
    ("131052-3A8T", "individual number"),
    ("131052-001N", "000 and 001"),
])
def test_invalid_codes_say_what_is_wrong(code: str, message: str) -> None:
    with pytest.raises(HetuError, match=message):
        parse_hetu(code)


def test_synthetic_codes_are_test_identities_and_round_trip() -> None:
    code = synthetic_hetu(date(2003, 3, 10), 957)
    h = parse_hetu(code)
    assert h.is_test_identity and h.birth_date == date(2003, 3, 10) and code[6] == "A"
    assert make_hetu(date(1952, 10, 13), 308) == "131052-308T"
    assert not parse_hetu("131052-308T").is_test_identity
    with pytest.raises(HetuError, match="900–999"):
        synthetic_hetu(date(2003, 3, 10), 308)


# ---- case states and ownership ---------------------------------------------------------


def test_the_happy_path_and_closing_reasons() -> None:
    state = CaseState.NEW
    for transition, expected in [(Transition.CLAIM, CaseState.CLAIMED),
                                 (Transition.ASSESS, CaseState.ASSESSED),
                                 (Transition.ROUTE, CaseState.ROUTED),
                                 (Transition.BOOK, CaseState.BOOKED),
                                 (Transition.VISIT, CaseState.CLOSED)]:
        step = move(state, transition)
        assert step.to_state is expected
        state = step.to_state
    assert move(CaseState.BOOKED, Transition.VISIT).close_reason is CloseReason.VISITED
    assert move(CaseState.ASSESSED, Transition.RESOLVE).close_reason is CloseReason.RESOLVED
    for s in (CaseState.NEW, CaseState.ROUTED, CaseState.BOOKED):
        assert move(s, Transition.CANCEL).to_state is CaseState.CLOSED
    assert move(CaseState.ROUTED, Transition.CLAIM).to_state is CaseState.ROUTED
    assert move(CaseState.CLAIMED, Transition.RELEASE).to_state is CaseState.NEW
    assert move(CaseState.BOOKED, Transition.UNBOOK).to_state is CaseState.ROUTED


@pytest.mark.parametrize(("state", "transition"), [
    (CaseState.NEW, Transition.ASSESS), (CaseState.NEW, Transition.ROUTE),
    (CaseState.CLAIMED, Transition.BOOK), (CaseState.CLOSED, Transition.CLAIM),
    (CaseState.CLOSED, Transition.CANCEL), (CaseState.ROUTED, Transition.RESOLVE),
    (CaseState.ASSESSED, Transition.VISIT),
])
def test_disallowed_moves_name_the_allowed_states(state: CaseState,
                                                  transition: Transition) -> None:
    with pytest.raises(TransitionError, match="allowed from"):
        move(state, transition)


def test_single_ownership() -> None:
    check_owner(Transition.CLAIM, None, "anna")
    with pytest.raises(TransitionError, match="already claimed by bertta"):
        check_owner(Transition.CLAIM, "bertta", "anna")
    with pytest.raises(TransitionError, match="it is claimed by bertta"):
        check_owner(Transition.ASSESS, "bertta", "anna")
    with pytest.raises(TransitionError, match="not claimed by anyone"):
        check_owner(Transition.ROUTE, None, "anna")
    check_owner(Transition.CANCEL, "bertta", "anna")  # anyone may cancel


# ---- routing ------------------------------------------------------------------------------


def facts(**kw: object) -> CaseFacts:
    base: dict[str, object] = dict(
        urgency=AssessedUrgency.NON_URGENT, service_area=ServiceArea.MEDICAL,
        professional_group=ProfessionalGroup.PHYSICIAN, channel=Channel.PHONE,
        birth_date=date(1980, 1, 1), on=date(2025, 6, 16))
    base.update(kw)
    return CaseFacts(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kw", "rule", "service"), [
    ({}, "physician", "physician_in_person"),
    ({"channel": Channel.CHAT}, "physician-digital-channel", "remote_physician"),
    ({"urgency": AssessedUrgency.URGENT}, "urgent-medical", "urgent_reception"),
    ({"service_area": ServiceArea.ORAL, "professional_group": ProfessionalGroup.DENTIST},
     "oral-dentist", "oral_dentist"),
    ({"reason_code": "P76", "birth_date": date(2008, 1, 1)}, "psych-young", "youth_mental"),
    ({"reason_code": "P76", "service_area": ServiceArea.MENTAL,
      "professional_group": ProfessionalGroup.NURSE}, "mental-adult", "mental_nurse"),
    ({"service_area": ServiceArea.SOCIAL, "professional_group": ProfessionalGroup.SOCIAL_WORKER,
      "birth_date": date(1950, 6, 16)}, "social-older", "older_service_counselling"),
    ({"service_area": ServiceArea.SOCIAL, "professional_group": ProfessionalGroup.SOCIAL_WORKER,
      "birth_date": date(1960, 6, 17)}, "social", "social_counselling"),  # 64 on the day
    ({"channel": Channel.QUESTIONNAIRE, "questionnaire_outcome": "non_urgent"},
     "questionnaire-respiratory", "remote_physician"),
])
def test_the_first_matching_rule_fires(kw: dict[str, object], rule: str, service: str) -> None:
    routed = default_catalogue().route(facts(**kw))
    assert routed is not None
    assert (routed.rule.rule_id, routed.service.service_id) == (rule, service)
    assert routed.rule.version == "2025.1"


def test_a_rule_whose_service_refuses_the_age_does_not_fire() -> None:
    # P76 at 30: psych-young's age limit (under 23) fails, no mental/social rule: physician
    routed = default_catalogue().route(facts(reason_code="P76"))
    assert routed is not None and routed.rule.rule_id == "physician"


def test_no_rule_is_an_answer() -> None:
    assert default_catalogue().route(facts(
        professional_group=ProfessionalGroup.PSYCHOLOGIST)) is None


def test_catalogue_files_are_checked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "services.yaml").write_text(
        "version: '1'\nservices:\n  - id: s1\n    names: {fi: A, sv: B, en: C}\n"
        "    service_area: medicl\n    professional_group: nurse\n    units: [U1]\n"
        "    modes: [remote]\n")
    (tmp_path / "routing.yaml").write_text("version: '1'\nrules: []\n")
    with pytest.raises(CatalogueError, match="service 's1', field 'service_area'.*allowed: "
                                             "medical, oral"):
        load_catalogue([tmp_path])
    (tmp_path / "services.yaml").write_text(
        "version: '1'\nservices:\n  - id: s1\n    names: {fi: A, sv: B, en: C}\n"
        "    service_area: medical\n    professional_group: nurse\n    units: [U1]\n"
        "    modes: [remote]\n")
    (tmp_path / "routing.yaml").write_text(
        "version: '1'\nrules:\n  - id: r1\n    service: s2\n")
    with pytest.raises(CatalogueError, match="unknown service 's2'; the catalogue has s1"):
        load_catalogue([tmp_path])
    (tmp_path / "routing.yaml").write_text(
        "version: '1'\nrules:\n  - id: r1\n    service: s1\n    when: {urgency: [soon]}\n")
    with pytest.raises(CatalogueError, match="when.urgency.*allowed: urgent, non_urgent, "
                                             "no_care_needed"):
        load_catalogue([tmp_path])


# ---- schedules ----------------------------------------------------------------------------

SPEC = SlotSpec("U1", "svc", ServiceMode.REMOTE, SlotKind.NON_URGENT)


def test_templates_make_back_to_back_slots_and_absences_remove_them() -> None:
    monday = TemplateRow(0, time(8), time(9, 10), 20, SPEC, date(2025, 6, 1))
    slots = generate([monday], [], date(2025, 6, 16), date(2025, 6, 23))
    starts = [s.start for s in slots]
    assert starts == [datetime(2025, 6, 16, 8), datetime(2025, 6, 16, 8, 20),
                      datetime(2025, 6, 16, 8, 40), datetime(2025, 6, 23, 8),
                      datetime(2025, 6, 23, 8, 20), datetime(2025, 6, 23, 8, 40)]
    absence = Window(datetime(2025, 6, 16, 8, 30), datetime(2025, 6, 16, 12))
    extra = Window(datetime(2025, 6, 18, 14), datetime(2025, 6, 18, 15), True, 30, SPEC)
    slots = generate([monday], [absence, extra], date(2025, 6, 16), date(2025, 6, 18))
    assert [s.start for s in slots] == [datetime(2025, 6, 16, 8), datetime(2025, 6, 18, 14),
                                        datetime(2025, 6, 18, 14, 30)]


def test_template_validity_and_bad_rows() -> None:
    row = TemplateRow(0, time(8), time(9), 30, SPEC, date(2025, 6, 20), date(2025, 6, 30))
    assert [s.start.date() for s in generate([row], [], date(2025, 6, 16), date(2025, 7, 7))
            ][::2] == [date(2025, 6, 23), date(2025, 6, 30)]
    with pytest.raises(ScheduleError, match="weekday"):
        TemplateRow(7, time(8), time(9), 30, SPEC, date(2025, 6, 1))
    with pytest.raises(ScheduleError, match="end: must be after start"):
        TemplateRow(0, time(9), time(8), 30, SPEC, date(2025, 6, 1))


# ---- deadlines ----------------------------------------------------------------------------


def test_case_deadlines_follow_the_rule_book() -> None:
    book = default_rulebook()
    # contact Friday 2025-06-13 evening: "same weekday" → 2025-06-13 itself (a weekday)
    times = CaseTimes(ServiceArea.MEDICAL, date(2003, 6, 20), datetime(2025, 6, 13, 18))
    (first,) = case_deadlines(book, times, date(2025, 6, 16))
    assert first.leg is Leg.CONTACT_TO_ASSESSMENT and first.due == date(2025, 6, 13)
    assert first.breached and first.open and first.rule_id == "htl51-2023-contact"
    # Saturday contact → next weekday (Monday); Midsummer Eve 2025-06-20 is a holiday
    sat = CaseTimes(ServiceArea.MEDICAL, date(1980, 1, 1), datetime(2025, 6, 14, 10))
    assert case_deadlines(book, sat, date(2025, 6, 14))[0].due == date(2025, 6, 16)
    eve = CaseTimes(ServiceArea.MEDICAL, date(1980, 1, 1), datetime(2025, 6, 20, 10))
    assert case_deadlines(book, eve, date(2025, 6, 20))[0].due == date(2025, 6, 23)
    # assessed non-urgent on 2025-06-16: aged 21 → 14 days; aged 23 → 3 months
    young = CaseTimes(ServiceArea.MEDICAL, date(2003, 6, 20), datetime(2025, 6, 16, 8),
                      datetime(2025, 6, 16, 9), AssessedUrgency.NON_URGENT)
    legs = case_deadlines(book, young, date(2025, 6, 16))
    assert [(leg.leg, leg.due, leg.breached) for leg in legs] == [
        (Leg.CONTACT_TO_ASSESSMENT, date(2025, 6, 16), False),
        (Leg.ASSESSMENT_TO_VISIT, date(2025, 6, 30), False)]
    nearest = next_deadline(legs)
    assert nearest is not None and nearest.leg is Leg.ASSESSMENT_TO_VISIT
    older = CaseTimes(ServiceArea.MEDICAL, date(2002, 6, 16), datetime(2025, 6, 16, 8),
                      datetime(2025, 6, 16, 9), AssessedUrgency.NON_URGENT)
    assert case_deadlines(book, older, date(2025, 6, 16))[1].due == date(2025, 9, 16)
    # urgent and social: no assessment → visit limit
    urgent = CaseTimes(ServiceArea.MEDICAL, date(1980, 1, 1), datetime(2025, 6, 16, 8),
                       datetime(2025, 6, 16, 9), AssessedUrgency.URGENT)
    assert len(case_deadlines(book, urgent, date(2025, 6, 16))) == 1
    social = CaseTimes(ServiceArea.SOCIAL, date(1980, 1, 1), datetime(2025, 6, 16, 8))
    assert case_deadlines(book, social, date(2025, 6, 16)) == ()


def test_a_leg_done_late_is_breached_and_one_done_on_the_due_day_is_not() -> None:
    book = default_rulebook()
    t = CaseTimes(ServiceArea.MEDICAL, date(2003, 6, 20), datetime(2025, 6, 16, 8),
                  datetime(2025, 6, 16, 9), AssessedUrgency.NON_URGENT,
                  visit_at=datetime(2025, 6, 30, 15))
    legs = case_deadlines(book, t, date(2025, 7, 10))
    assert [leg.breached for leg in legs] == [False, False] and not any(leg.open for leg in legs)
    late = CaseTimes(ServiceArea.MEDICAL, date(2003, 6, 20), datetime(2025, 6, 16, 8),
                     datetime(2025, 6, 17, 9), AssessedUrgency.NON_URGENT,
                     visit_at=datetime(2025, 7, 2, 15))
    assert [leg.breached for leg in case_deadlines(book, late, date(2025, 7, 10))] == [True,
                                                                                        True]
