"""The service tray: the catalogue searched by residents in fi/sv/en, by kind (care, health
promotion, third sector), unknown kinds refused with the allowed ones; public (no sign-in);
the catalogue's new fields checked like the others."""

from __future__ import annotations

import pytest

from sotekeskus.care.catalogue import default_catalogue
from sotekeskus.care.service_tray import TrayError, search
from sotekeskus.domain.workflow.routing import CatalogueError, service_from_mapping
from tests.resident.conftest import FrontDoor

SERVICES = default_catalogue().services


def _ids(found) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.service_id for s in found]


def test_search_in_each_language_finds_the_same_service() -> None:
    for query in ("suuhygienisti", "munhygienist", "dental hygienist", "HYGIENIST"):
        assert "oral_hygienist" in _ids(search(SERVICES, query)), query


def test_all_words_must_match() -> None:
    assert _ids(search(SERVICES, "vertaistuki ahdistuk")) == ["example_peer_support_mental"]
    assert search(SERVICES, "vertaistuki hammas") == []


def test_categories_and_their_order() -> None:
    third = search(SERVICES, "", "third_sector")
    assert {s.service_id for s in third} == {"example_peer_support_mental",
                                             "example_carers_support"}
    promo = _ids(search(SERVICES, "", "health_promotion"))
    assert {"exercise_counselling", "smoking_cessation_group",
            "example_senior_exercise"} <= set(promo)
    everything = search(SERVICES, "")
    kinds = [s.category.value for s in everything]
    assert kinds == sorted(kinds, key=["care", "health_promotion", "third_sector"].index)
    with pytest.raises(TrayError, match="health_promotion"):
        search(SERVICES, "", "hobbies")


def test_catalogue_flags_are_checked() -> None:
    row = {"id": "x", "names": {"fi": "a", "sv": "b", "en": "c"}, "service_area": "medical",
           "professional_group": "nurse", "units": [], "modes": ["remote"]}
    assert service_from_mapping({**row, "self_booking": True}).self_booking
    with pytest.raises(CatalogueError, match="self_booking"):
        service_from_mapping({**row, "self_booking": "yes"})
    with pytest.raises(CatalogueError, match="third_sector"):
        service_from_mapping({**row, "category": "charity"})


def test_tray_page_in_three_languages(front_door: FrontDoor) -> None:
    c = front_door.client()  # public: no identification needed
    fi = c.get("/asiointi/palvelut", params={"q": "omaishoit", "lang": "fi"})
    assert fi.status_code == 200 and "Omaishoitajien tuki" in fi.text
    assert "Järjestöt ja yhdistykset" in fi.text and "1 palvelu löytyi." in fi.text
    sv = c.get("/asiointi/palvelut", params={"q": "närstående", "lang": "sv"})
    assert "Stöd och rekreation för närståendevårdare" in sv.text
    en = c.get("/asiointi/palvelut", params={"category": "health_promotion", "lang": "en"})
    assert "Stop-smoking group (example)" in en.text and "Dental hygienist" not in en.text
    bad = c.get("/asiointi/palvelut", params={"category": "x"})
    assert bad.status_code == 400 and "third_sector" in bad.text
