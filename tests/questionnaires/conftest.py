"""The shipped example questionnaires, parsed, and a small operational store (units U001 /
U002, nurses, residents) migrated with the examples loaded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sotekeskus.care.questionnaires import store
from sotekeskus.care.questionnaires.examples import example_files
from sotekeskus.care.questionnaires.store import Stored
from tests.care.conftest import NOW, OPERATOR, Region, make_region  # noqa: F401


def shipped() -> dict[str, Stored]:
    out = {}
    for q_path, r_path in example_files():
        q, r = store.check_upload(q_path.read_bytes(), r_path.read_bytes())
        out[q.id] = Stored(0, q, r, "test", NOW)
    return out


@pytest.fixture(scope="session")
def examples() -> dict[str, Stored]:
    return shipped()


@pytest.fixture
def qregion(tmp_path) -> Iterator[Region]:  # type: ignore[no-untyped-def]
    from sotekeskus.store.database import resolve_url

    r = make_region(resolve_url(str(tmp_path / "q.db")))
    yield r
    r.engine.dispose()
