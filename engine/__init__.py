"""smvp rules engine: pure evaluation of an SMVP profile over a year's dataset.

No CLI, rendering or database code lives here (see docs/design.md).
"""

__version__ = "0.1.0"
