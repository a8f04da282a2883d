"""The malformed-input sweep of tests/web (every route of ``app.openapi()`` with hostile
path, query and form values) run as a **signed-in resident**, over every route the resident
cookie reaches (``/asiointi``, ``/test-idp``): never a server error."""

from __future__ import annotations

from tests.resident.conftest import FrontDoor, csrf_of
from tests.web.test_malformed_input import HOSTILE, _fill

PARAMS = ["q", "category", "next", "lang", "slot_id", "code", "state", "error", "hetu",
          "case_id", "csrf_token"]


def test_hostile_values_on_every_resident_route(front_door: FrontDoor) -> None:
    front_door.routed_case(0)
    c = front_door.signed_in(0)
    token = csrf_of(c.get("/asiointi/omat").text)
    paths = front_door.app.openapi()["paths"]
    routes = sorted((m.upper(), p) for p, ops in paths.items() for m in ops
                    if p.startswith("/asiointi"))
    routes += [("GET", "/test-idp/authorize"), ("POST", "/test-idp/authorize"),
               ("POST", "/test-idp/token"), ("GET", "/test-idp/jwks")]
    errors = []
    for n, (method, path) in enumerate(routes):
        for k in range(6):
            value = HOSTILE[(n * 6 + k) % len(HOSTILE)]
            param = PARAMS[(n + k) % len(PARAMS)]
            url = _fill(path, value)
            if method == "GET":
                r = c.get(url, params={param: value}, follow_redirects=False)
            else:
                r = c.request(method, url, data={param: value, "csrf_token": token},
                              follow_redirects=False)
            if r.status_code >= 500:
                errors.append((method, url, param, value, r.status_code))
    assert not errors, errors[:5]
