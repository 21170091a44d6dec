"""pytest configuration for the guest tests (run inside the VM by tests/vm/test_*.py, see
docs/vm-tests.md): the e2e lab library (tests/e2e/keel_lab) and its fixtures, and ip_vs
loaded once."""

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "e2e"))

from keel_lab.pytest_plugin import (  # noqa: E402
    keel_build_dir, lab, pytest_addoption, pytest_configure, pytest_runtest_call,
    pytest_runtest_makereport, pytest_runtest_protocol, pytest_runtest_setup,
    pytest_runtest_teardown, pytest_unconfigure)

__all__ = [  # pytest finds fixtures and hooks by these names
    "keel_build_dir", "lab", "pytest_addoption", "pytest_configure", "pytest_runtest_call",
    "pytest_runtest_makereport", "pytest_runtest_protocol", "pytest_runtest_setup",
    "pytest_runtest_teardown", "pytest_unconfigure", "ip_vs"]


@pytest.fixture(scope="session", autouse=True)
def ip_vs() -> None:
    """The kernel's IPVS (Debian's ip_vs module); a guest test cannot run without it."""
    done = subprocess.run(["modprobe", "ip_vs"], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"modprobe ip_vs: {done.stderr.strip()}")
