"""Every UI string is translated in fi, sv and en; pages render in all three."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from sotekeskus.store.users import get_account
from sotekeskus.web import i18n
from tests.web.conftest import PASSWORDS, TODAY, csrf_from, sign_in
from tests.web.helpers import visible_text

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "src/sotekeskus/web/templates"
LANGS = ("fi", "sv", "en")


def extracted_msgids() -> set[str]:
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    ids: set[str] = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
            str(ROOT), method_map, options_map, keywords={"_": None, "gettext": None,
                                                          "ngettext": (1, 2), "N_": None}):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def catalog(lang: str):  # type: ignore[no-untyped-def]
    with i18n.po_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang)


def test_extraction_finds_templates_and_python() -> None:
    ids = extracted_msgids()
    assert "Situation picture" in ids  # templates
    assert "Outpatient medical care" in ids  # labels.py (N_)
    assert "Wrong username or password." in ids  # routes
    assert len(ids) > 150


@pytest.mark.parametrize("lang", LANGS)
def test_every_msgid_is_translated(lang: str) -> None:
    cat = catalog(lang)
    missing = sorted(m for m in extracted_msgids() if not (cat.get(m) and cat.get(m).string))
    assert not missing, f"untranslated in {lang}: {missing[:10]}"
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy in {lang}: {fuzzy[:5]}"
    for m in cat:
        if m.id:
            msgid = m.id[0] if isinstance(m.id, tuple) else m.id  # plural: (singular, plural)
            forms = m.string if isinstance(m.string, tuple) else (m.string,)
            for ph in re.findall(r"%\(\w+\)s", msgid):
                assert all(ph in form for form in forms), (lang, m.id)


ALLOWED_LITERALS = {"sotekeskus", "–", ":", "(", ")", ",", ";", ".", "%"}


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_templates_have_no_literal_text(template: str) -> None:
    """All human text in templates goes through gettext (no hard-coded words)."""
    src = (TEMPLATES / template).read_text(encoding="utf-8")
    for attr in ("aria-label", "alt", "title", "placeholder"):
        for value in re.findall(rf'{attr}="([^"]*)"', src):
            rest = re.sub(r"\{\{.*?\}\}", "", value)
            assert not re.search(r"[A-Za-zÅÄÖåäö]{2,}", rest), (template, attr, value)
    text = re.sub(r"\{#.*?#\}", "", src, flags=re.S)
    text = re.sub(r"\{%.*?%\}", "", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}", "", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", "", text, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text, flags=re.S)
    text = re.sub(r"&\w+;", " ", text)
    words = [w for w in text.split() if w not in ALLOWED_LITERALS]
    assert not [w for w in words if re.search(r"[A-Za-zÅÄÖåäö]", w)], (template, words)


PAGES = {
    "manager": ["/situation?on=2025-06-16", "/situation/waiting-list?on=2025-06-16",
                "/access?month_from=2025-01&month_to=2025-03"],
    "leadership": ["/situation?on=2025-06-16", "/access?month_from=2024-12&month_to=2025-02",
                   "/monitoring"],
    "admin": ["/admin/indicators", "/admin/indicators/new", "/admin/indicators/1",
              "/admin/users", "/admin/audit", "/access?unit=U9"],
}


def english_only(lang: str) -> set[str]:
    """Source strings whose translation differs (their English text must not show)."""
    cat = catalog(lang)
    return {m.id for m in cat if m.id and m.string and m.string != m.id and len(m.id) > 3}


def switch(client: TestClient, lang: str) -> None:
    token = csrf_from(client.get("/situation?on=2025-06-16").text)
    r = client.post("/language", data={"language": lang, "next": "/situation",
                                       "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303


@pytest.mark.parametrize("lang", LANGS)
def test_pages_render_in_every_language(client_for, lang: str) -> None:
    forbidden = english_only(lang) if lang != "en" else set()
    for role, paths in PAGES.items():
        c = client_for(role)
        before = re.search(r'<html lang="(\w+)">', c.get("/situation?on=2025-06-16").text)
        switch(c, lang)
        for path in paths:
            r = c.get(path)
            assert r.status_code in (200, 400, 403), path
            assert f'<html lang="{lang}">' in r.text, path
            leaked = [t for t in visible_text(r.text) if t in forbidden]
            assert not leaked, (lang, path, leaked)
        switch(c, before.group(1) if before else "fi")  # leave the stored preference as it was
    anon = TestClient(c.app, base_url="https://testserver")
    anon.cookies.set("sotekeskus_lang", lang)
    page = anon.get("/login")
    assert f'<html lang="{lang}">' in page.text
    assert not [t for t in visible_text(page.text) if t in forbidden]


def test_language_choice_is_remembered_in_cookie_and_preference(app) -> None:
    c = TestClient(app, base_url="https://testserver")
    sign_in(c, "leader", PASSWORDS["leadership"])
    token = csrf_from(c.get("/situation").text)
    r = c.post("/language", data={"language": "sv", "next": "/access", "csrf_token": token},
               follow_redirects=False)
    assert r.headers["location"] == "/access"
    assert "sotekeskus_lang=sv" in r.headers["set-cookie"]
    assert "Vårdgaranti" in c.get("/access?month_from=2025-01&month_to=2025-01").text
    # a new browser session: the user's preference applies after sign-in
    fresh = TestClient(app, base_url="https://testserver")
    sign_in(fresh, "leader", PASSWORDS["leadership"])
    assert '<html lang="sv">' in fresh.get(f"/situation?on={TODAY}").text
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from sotekeskus.store.models import User

    with Session(app.state.engine) as s:
        uid = s.scalar(select(User.id).where(User.username == "leader"))
    assert get_account(app.state.engine, uid).language == "sv"
    # back to Finnish for the other tests
    token = csrf_from(fresh.get("/situation").text)
    fresh.post("/language", data={"language": "fi", "csrf_token": token})


def test_numbers_and_dates_follow_the_locale() -> None:
    token = i18n.current_language.set("fi")
    try:
        assert i18n.fmt_pct(1234.5) == "1\u00a0234,5\u00a0%"
        assert i18n.fmt_date(TODAY) == "16.6.2025"
        assert i18n.fmt_period("2025-Q4") == "Q4/2025"
    finally:
        i18n.current_language.reset(token)
    token = i18n.current_language.set("en")
    try:
        assert i18n.fmt_pct(1234.5) == "1,234.5\u00a0%"
        assert i18n.fmt_date(TODAY) == "Jun 16, 2025"
    finally:
        i18n.current_language.reset(token)
    token = i18n.current_language.set("sv")
    try:
        assert i18n.fmt_num(0.5) == "0,5"
        assert "2025" in i18n.fmt_month("2025-03") and "mars" in i18n.fmt_month("2025-03")
    finally:
        i18n.current_language.reset(token)
