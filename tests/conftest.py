"""Every test runs with its own SMVP_HOME and none of the user's smvp settings."""

import pytest


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SMVP_HOME", str(tmp_path / "home"))
    for var in ("SMVP_DATABASE_URL", "SMVP_LANG", "SMVP_CHAMBERS_DIR", "SMVP_TODAY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COLUMNS", "250")
