"""Use cases shared by the command line and the service.

Each function takes a store (an engine) and plain values, and returns plain results or
raises the project's errors (``smvp.errors``, ``smvp_engine.errors``): no printing, no
HTTP. ``smvp.cli`` renders them in a terminal, ``smvp.service`` as JSON.
"""
