"""JSON Schemas of smvp (package data of smvp_engine).

Installed as ``smvp_engine.schema``; read through ``importlib.resources``
(see :func:`smvp_engine.resources.schema_path`). No code lives here.
"""
