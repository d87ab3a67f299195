"""Pytest plugin, loaded by `-p opora.pytest_env` (pyproject.toml).

Plugins named with -p are imported before pytest-django reads the settings,
so plain `pytest` gets the test configuration (fast hasher, in-memory email,
immediate jobs) without wrapper scripts.
"""

import os

os.environ.setdefault("OPORA_ENV", "test")
