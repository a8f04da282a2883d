"""Administration: the service catalogue and the routing rules, as versioned data.

The page lists the services and the rules in force and every version kept of each. An
administrator makes a new version by editing the text in force (YAML, the shapes of
``care/data/services.yaml`` and ``routing.yaml``) or by uploading a file; it is checked whole
(:func:`sotekeskus.care.catalogue.save_version`: unknown service ids, unknown codes and
fields are errors listing the allowed ones; new rules against the services in force, new
services against the rules in force) and, when valid, becomes the version in force while the
previous ones are kept. The workdesk then routes by it and shows the rule that fired as
``rule-id@version``. Every new version is written to the audit log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from sotekeskus.care.catalogue import (
    KINDS,
    MAX_TEXT,
    ROUTING,
    SERVICES,
    current_catalogue,
    current_text,
    list_versions,
    save_version,
    version_text,
)
from sotekeskus.domain.workflow.routing import CatalogueError, RoutingRule
from sotekeskus.store import audit
from sotekeskus.store.users import Account
from sotekeskus.web.deps import AdminAccount, require_csrf
from sotekeskus.web.render import render

router = APIRouter()


def _page(request: Request, account: Account, *, error: str | None = None,
          kind: str | None = None, text: str | None = None, status_code: int = 200
          ) -> Response:
    engine = request.app.state.engine
    catalogue = current_catalogue(engine)
    texts = {k: current_text(engine, k) for k in KINDS}
    if kind in KINDS and text is not None:
        texts[kind] = text  # the refused text stays in the editor
    return render(request, "admin_services.html", status_code=status_code, account=account,
                  catalogue=catalogue, when={r.rule_id: when_text(r) for r in catalogue.rules},
                  services=sorted(catalogue.services.values(), key=lambda s: s.service_id),
                  rules=sorted(catalogue.rules, key=lambda r: r.priority),
                  versions={k: list_versions(engine, k) for k in KINDS}, texts=texts,
                  error=error, error_kind=kind, SERVICES=SERVICES, ROUTING=ROUTING)


def when_text(rule: RoutingRule) -> str:
    """A rule's conditions as in its file (``urgency=urgent; age_below=23``)."""
    parts = []
    for name in ("urgency", "service_area", "professional_group", "channel"):
        values = getattr(rule, name)
        if values:
            parts.append(f"{name}={', '.join(sorted(v.value for v in values))}")
    if rule.reason_codes:
        parts.append(f"reason_codes={', '.join(rule.reason_codes)}")
    if rule.questionnaire_outcome:
        parts.append(f"questionnaire_outcome={', '.join(sorted(rule.questionnaire_outcome))}")
    for name in ("age_from", "age_below"):
        if getattr(rule, name) is not None:
            parts.append(f"{name}={getattr(rule, name)}")
    return "; ".join(parts)


@router.get("/services")
def services_page(request: Request, account: AdminAccount) -> Response:
    return _page(request, account)


def _text_of(content: str, upload: bytes | None) -> str:
    """The new version's text: the uploaded file when one was sent, else the editor's."""
    if upload:
        if len(upload) > MAX_TEXT:
            raise CatalogueError(f"file: larger than {MAX_TEXT} bytes")
        try:
            content = upload.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CatalogueError(f"file: not UTF-8 text (byte {exc.start})") from None
    bad = next((i for i, ch in enumerate(content)
                if ord(ch) < 32 and ch not in "\t\n\r"), None)
    if bad is not None:
        line = content.count("\n", 0, bad) + 1
        raise CatalogueError(f"line {line}: contains a control character "
                             f"(U+{ord(content[bad]):04X})")
    return content.replace("\r\n", "\n")


@router.post("/services/{kind}", dependencies=[Depends(require_csrf)])
def new_version(
    kind: str,
    request: Request,
    account: AdminAccount,
    content: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    if kind not in KINDS:
        return _page(request, account, status_code=404,
                     error=f"kind: unknown kind {kind[:20]!r}; allowed: {', '.join(KINDS)}")
    engine = request.app.state.engine
    upload = file.file.read(MAX_TEXT + 1) if file is not None and file.filename else None
    try:
        text = _text_of(content, upload)
        catalogue = save_version(engine, kind, text, account.username)
    except CatalogueError as exc:
        return _page(request, account, error=str(exc), kind=kind,
                     text=content if not upload else None, status_code=400)
    version = catalogue.services_version if kind == SERVICES else catalogue.rules_version
    audit.record(engine, account.username, audit.ADMIN_CHANGE, f"catalogue:{kind}",
                 f"new version {version}")
    return RedirectResponse("/admin/services", status_code=303)


@router.get("/services/{kind}/{version}")
def show_version(kind: str, version: str, request: Request, account: AdminAccount
                 ) -> Response:
    engine = request.app.state.engine
    try:
        if kind not in KINDS:
            raise CatalogueError(f"kind: unknown kind {kind[:20]!r}; allowed: "
                                 + ", ".join(KINDS))
        text = version_text(engine, kind, version[:64])
    except CatalogueError as exc:
        return _page(request, account, error=str(exc), status_code=404)
    return render(request, "admin_services_version.html", account=account, kind=kind,
                  version=version[:64], text=text, SERVICES=SERVICES)
