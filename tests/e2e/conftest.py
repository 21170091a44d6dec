"""pytest configuration for keel's end-to-end tests.

All the machinery lives in keel_lab.pytest_plugin (so a generated pytest
session can load it with -p too); this file only exposes it to tests/e2e.
"""

from keel_lab.pytest_plugin import (
    keel_build_dir, lab, pytest_addoption, pytest_configure, pytest_runtest_call,
    pytest_runtest_makereport, pytest_runtest_protocol, pytest_runtest_setup,
    pytest_runtest_teardown, pytest_unconfigure)

__all__ = [  # pytest finds fixtures and hooks by these names
    "keel_build_dir", "lab", "pytest_addoption", "pytest_configure", "pytest_runtest_call",
    "pytest_runtest_makereport", "pytest_runtest_protocol", "pytest_runtest_setup",
    "pytest_runtest_teardown", "pytest_unconfigure"]
