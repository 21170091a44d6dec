"""keeld on the kernel's IPVS, in a VM (tests/vm/guest/test_ipvs_guest.py runs inside; one boot
for the file): keelctl -Ln/--stats/--rate/-Lnc against ipvsadm, someone else's service left
alone, a fwmark service marked by nftables, exact wlc and lc, a reload that keeps connections."""

from pathlib import Path

import pytest

from keel_vm.guest_tests import GuestRun, guest_test_names

GUEST = Path(__file__).parent / "guest" / "test_ipvs_guest.py"
TIMEOUT = 900  # the whole guest file, boot included (docs/vm-tests.md has the measured times)


@pytest.fixture(scope="module")
def guest(vm_kernel) -> GuestRun:
    return GuestRun.start(GUEST, timeout=TIMEOUT)


@pytest.mark.parametrize("name", guest_test_names(GUEST))
def test_in_vm(guest, name):
    guest.check(name)
