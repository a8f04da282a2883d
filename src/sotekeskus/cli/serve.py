"""``sotekeskus serve``: the web app (management views) over the store."""

from __future__ import annotations

from typing import Annotated

import typer

from sotekeskus.cli.common import DbOption, out


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    insecure_cookies: Annotated[bool, typer.Option(
        "--insecure-cookies", help="Allow the session cookie over plain HTTP (not localhost)")
    ] = False,
) -> None:
    """Serve the web app (management views) over the store."""
    import uvicorn

    from sotekeskus.store.database import resolve_url
    from sotekeskus.web.app import create_app

    url = resolve_url(db)
    web = create_app(url, secure_cookies=not insecure_cookies, warm_up=True)
    out.print(f"Serving on http://{host}:{port}  (Ctrl+C stops)", highlight=False)
    # no Server banner; X-Forwarded-* are read by the app from Settings.trusted_proxies only
    uvicorn.run(web, host=host, port=port, log_level="warning", server_header=False,
                proxy_headers=False)
