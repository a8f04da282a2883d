"""The administrator's staff profiles and the service catalogue / routing rules as versioned
data: errors name the bad value and list the allowed codes, nothing is written then; a new
routing version is what the workdesk routes by, and the rule shown names that version."""

from __future__ import annotations

import html
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotekeskus.care.catalogue import builtin_text, current_catalogue, list_versions
from sotekeskus.care.staff import find_staff
from sotekeskus.store.models import AuditEvent
from tests.web.conftest import csrf_from
from tests.web.workdesk.test_workdesk_pages import post


def text(r) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(r.text)


def staff_id(app, username: str) -> int:  # type: ignore[no-untyped-def]
    with Session(app.state.engine) as s:
        return find_staff(s, username).user_id


def save(admin, url: str, data: dict):  # type: ignore[no-untyped-def]
    token = csrf_from(admin.get("/admin/users").text)
    return admin.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def test_the_staff_page_is_the_administrators(as_user, workdesk_app) -> None:
    admin = as_user("admin")
    users = admin.get("/admin/users")
    assert 'href="/admin/staff"' in users.text and 'href="/admin/services"' in users.text
    page = admin.get("/admin/staff")
    assert page.status_code == 200
    assert "nurse2" in page.text and "physician" in page.text and "scheduler" in page.text
    nurse = as_user("nurse")
    assert nurse.get("/admin/staff").status_code == 403
    assert nurse.get("/admin/services").status_code == 403
    assert admin.get("/admin/staff/999999").status_code == 404


def test_a_bad_value_is_named_with_the_allowed_codes_and_nothing_is_written(
        as_user, workdesk_app) -> None:
    admin = as_user("admin")
    uid = staff_id(workdesk_app, "nurse2")
    url = f"/admin/staff/{uid}"
    good = {"professional_group": "nurse", "title": "Sairaanhoitaja", "units": ["U1"],
            "services": ["nurse_remote"]}
    r = save(admin, url, {**good, "professional_group": "surgeon"})
    assert r.status_code == 400
    assert "'surgeon'" in text(r) and "physician" in text(r) and "dental_hygienist" in text(r)
    r = save(admin, url, {**good, "units": ["U1", "U9"]})
    assert r.status_code == 400 and "'U9'" in text(r) and "U1, U2, U3" in text(r)
    r = save(admin, url, {**good, "services": ["nurse_remote", "brain_surgery"]})
    assert r.status_code == 400 and "'brain_surgery'" in text(r) and "remote_physician" in text(r)
    r = save(admin, url, {**good, "units": []})
    assert r.status_code == 400 and "at least one unit" in text(r)
    r = save(admin, url, {**good, "title": "x" * 101})
    assert r.status_code == 400 and "at most 100" in text(r)
    with Session(workdesk_app.state.engine) as s:
        unchanged = find_staff(s, "nurse2")
    assert unchanged.units == {"U1", "U2"} and unchanged.title == ""


def test_the_administrator_sets_group_title_units_and_services(as_user, workdesk_app) -> None:
    admin = as_user("admin")
    uid = staff_id(workdesk_app, "nurse2")
    form = admin.get(f"/admin/staff/{uid}")
    assert form.status_code == 200 and 'name="professional_group"' in form.text
    r = save(admin, f"/admin/staff/{uid}", {
        "professional_group": "physician", "title": "Etälääkäri", "units": ["U2", "U3"],
        "services": ["remote_physician"]})
    assert r.status_code == 303 and r.headers["location"] == "/admin/staff"
    with Session(workdesk_app.state.engine) as s:
        member = find_staff(s, "nurse2")
        audit = s.scalars(select(AuditEvent.detail).where(
            AuditEvent.target == "user:nurse2")).all()
    assert member.professional_group is not None
    assert member.professional_group.value == "physician" and member.title == "Etälääkäri"
    assert member.units == {"U2", "U3"} and member.services == {"remote_physician"}
    assert any("group=physician" in d and "units=U2,U3" in d for d in audit)
    assert "Etälääkäri" in admin.get("/admin/staff").text


def _new_rules(version: str, physician_service: str = "remote_physician") -> str:
    text = builtin_text("routing")
    text = re.sub(r'^version: ".*"$', f'version: "{version}"', text, count=1, flags=re.M)
    return text.replace("  - id: physician\n    priority: 80\n    when: {service_area: "
                        "[medical], professional_group: [physician]}\n    service: "
                        "physician_in_person",
                        "  - id: physician\n    priority: 80\n    when: {service_area: "
                        "[medical], professional_group: [physician]}\n    service: "
                        f"{physician_service}")


def test_routing_rules_are_versioned_checked_and_used_by_the_workdesk(
        as_user, workdesk_app, tmp_path: Path) -> None:
    admin = as_user("admin")
    page = admin.get("/admin/services")
    assert page.status_code == 200 and "physician@2025.1" in page.text
    # an unknown service id: named, with the services the catalogue has
    r = save(admin, "/admin/services/routing",
             {"content": _new_rules("2025.2", "brain_surgery")})
    assert r.status_code == 400
    assert "'brain_surgery'" in text(r) and "physician_in_person" in text(r)
    assert "brain_surgery" in text(r).split("<textarea", 2)[1]  # the refused text stays
    # an unknown code: named, with the allowed ones
    bad = _new_rules("2025.2").replace("when: {urgency: [urgent]", "when: {urgency: [soon]")
    r = save(admin, "/admin/services/routing", {"content": bad})
    assert r.status_code == 400 and "'soon'" in text(r) and "non_urgent" in text(r)
    # a version name already kept
    r = save(admin, "/admin/services/routing", {"content": builtin_text("routing")})
    assert r.status_code == 400 and "already kept" in text(r)
    r = save(admin, "/admin/services/routing", {"content": "rules: [\n  - id: x\n"})
    assert r.status_code == 400 and "line" in text(r)
    r = save(admin, "/admin/services/nonsense", {"content": "x"})
    assert r.status_code == 404 and "allowed: services, routing" in text(r)
    engine = workdesk_app.state.engine
    assert current_catalogue(engine).rules_version == "2025.1"
    # a valid new version, uploaded as a file
    upload = _new_rules("2025.2").encode()
    token = csrf_from(admin.get("/admin/users").text)
    r = admin.post("/admin/services/routing", data={"csrf_token": token, "content": ""},
                   files={"file": ("routing.yaml", upload, "text/yaml")},
                   follow_redirects=False)
    assert r.status_code == 303, r.text
    assert current_catalogue(engine).rules_version == "2025.2"
    versions = list_versions(engine, "routing")
    assert [(v.version, v.in_force) for v in versions] == [("2025.2", True), ("2025.1", False)]
    kept = admin.get("/admin/services/routing/2025.1")
    assert kept.status_code == 200 and "physician_in_person" in kept.text
    assert admin.get("/admin/services/routing/1999.9").status_code == 404
    # the workdesk routes by it and names the version of the rule that fired
    nurse = as_user("nurse")
    post(nurse, "/workdesk/cases/2/claim")  # a phone call: the in-person physician rule
    r = post(nurse, "/workdesk/cases/2/assess", {
        "urgency": "non_urgent", "need": "Selkäkipu", "service_area": "medical",
        "professional_group": "physician", "reason_code": ""})
    assert r.status_code == 303
    case = nurse.get("/workdesk/cases/2?purpose=assessment")
    assert "Rule physician (version 2025.2) routes this case to: Remote physician" in case.text
    # new services that drop a service a rule uses: refused, naming it
    services = builtin_text("services").replace('version: "', 'version: "x', 1)
    services = re.sub(r"  - id: remote_physician\n(    .*\n)+", "", services)
    r = save(admin, "/admin/services/services", {"content": services})
    assert r.status_code == 400 and "'remote_physician'" in text(r)
