"""Bundled Chamber profiles and sample datasets (package data of smvp_engine).

Installed as ``smvp_engine.chambers``; read through ``importlib.resources``
(see :func:`smvp_engine.resources.bundled_chambers`). No code lives here.
"""
