"""Web app (FastAPI + Jinja2 + htmx): situation picture, care-guarantee dashboard,
monitoring indicators and exports. Entry point: :func:`sotekeskus.web.app.create_app`."""
