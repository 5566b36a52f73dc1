"""One module per command group; each ``run(...)`` returns the process exit code.

Errors are not caught here: ``smvp.cli.handle`` is the one error handler.
"""
