"""``sotekeskus migrate``: bring the store to this version's schema (Alembic, all heads).

The import commands and ``serve`` migrate by themselves; reports never do (a read path does
not write) and ask for this command when the store is behind.
"""

from __future__ import annotations

from sotekeskus.cli.common import DbOption, fail, out


def migrate(db: DbOption = None) -> None:
    """Apply pending schema migrations to the store (creates an empty store if none)."""
    from sotekeskus.store.database import make_engine, resolve_url, sqlite_path
    from sotekeskus.store.migrate import heads, revisions, upgrade

    try:
        url = resolve_url(db)
    except ValueError as exc:
        raise fail(str(exc)) from None
    engine = make_engine(url)
    before = revisions(engine) or frozenset()
    upgrade(engine)
    from sotekeskus.care.questionnaires.examples import seed_examples

    added = seed_examples(engine)  # shipped example questionnaires the store lacks
    where = sqlite_path(url) or engine.url.render_as_string(hide_password=True)
    done = "already current" if before == heads() else f"was {', '.join(sorted(before)) or 'empty'}"
    out.print(f"Store {where} at schema {', '.join(sorted(heads()))} ({done}).", highlight=False)
    if added:
        out.print(f"Example questionnaires added: {added}.", highlight=False)
