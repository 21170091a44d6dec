"""The seed on IPVS and the sync daemon across a SIGKILL, keeld beside Debian's keepalived, in a
VM (tests/vm/guest/test_seed_ipvs_guest.py runs inside; one boot for the file). The figures of
the keepalived comparison come back in the guest's sync-*.json files and are printed."""

import json
from pathlib import Path

import pytest

from keel_vm.guest_tests import GuestRun, guest_test_names

GUEST = Path(__file__).parent / "guest" / "test_seed_ipvs_guest.py"
TIMEOUT = 900  # the whole guest file, boot included (docs/vm-tests.md has the measured times)


@pytest.fixture(scope="module")
def guest(vm_kernel) -> GuestRun:
    return GuestRun.start(GUEST, timeout=TIMEOUT)


@pytest.mark.parametrize("name", guest_test_names(GUEST))
def test_in_vm(guest, name):
    if name == "test_keel_and_keepalived_agree" and guest.result is not None:
        for file, data in sorted(guest.result.files.items()):
            if file.startswith("sync-"):
                figures = json.loads(data)
                figures.pop("table", None)
                print(f"{file}: {figures}")
    guest.check(name)
