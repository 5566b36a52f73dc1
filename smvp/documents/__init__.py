"""The documents a Chamber hands out, rendered from a stored run.

* :mod:`smvp.documents.scheda` — la scheda di valutazione (one per person);
* :mod:`smvp.documents.trasparenza` — the tables of art. 20 d.lgs. 33/2013;
* :mod:`smvp.documents.oiv` — the OIV's differentiation report.

All three read a stored run through :mod:`smvp.documents.runs` (the store
functions ``smvp explain`` and ``smvp verify`` use), render HTML from the
Jinja2 templates in ``smvp/documents/templates/`` (package data, read through
importlib.resources) with one stylesheet, and PDF from that HTML with
WeasyPrint. Numbers, money and dates are formatted by :mod:`smvp.i18n`.
"""
