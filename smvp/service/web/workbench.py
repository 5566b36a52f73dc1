"""The routers of the amministratore's and revisore's workbench pages (profile editor, cycle
dates, downloads, OIV report, profile comparison and verify), registered by ``create_app``."""

from __future__ import annotations

from smvp.service.web import cycle_pages, document_pages, profile_pages, review_pages

ROUTERS = [profile_pages.router, document_pages.router, review_pages.router, cycle_pages.router]
