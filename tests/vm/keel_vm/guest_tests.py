"""A pytest file of guest tests (tests/vm/guest/test_*.py) run in one VM boot, its cases reported
one by one to the host's pytest:

    run = GuestRun.start(GUEST_FILE, timeout=600)   # boots, runs pytest inside, powers off
    run.check("test_name")                          # passes, fails or skips like the guest case

Inside, `/usr/bin/python3 -m pytest FILE` runs with tests/vm/guest/pytest.ini and writes a JUnit
report into $KEEL_VM_OUT. `guest_test_names(FILE)` lists the file's test functions without
importing it, so the host parametrizes over them before the VM runs.
"""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .vm import VmResult, run_in_vm

GUEST_DIR = Path(__file__).resolve().parents[1] / "guest"
REPO_ROOT = Path(__file__).resolve().parents[3]


def guest_test_names(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [n.name for n in tree.body
            if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]


@dataclass
class Case:
    outcome: str  # passed, failed, skipped
    message: str = ""
    seconds: float = 0.0


@dataclass
class GuestRun:
    path: Path
    result: VmResult | None = None
    cases: dict[str, Case] = field(default_factory=dict)
    error: str = ""  # the VM or pytest itself failed

    @classmethod
    def start(cls, path: Path, timeout: float, env: dict[str, str] | None = None) -> "GuestRun":
        run = cls(path)
        argv = ["/usr/bin/python3", "-m", "pytest", "-c", str(GUEST_DIR / "pytest.ini"),
                "--rootdir", str(GUEST_DIR), str(path), "-q", "-rs", "-p", "no:cacheprovider",
                "--junitxml=${KEEL_VM_OUT}/junit.xml"]
        shell = " ".join(a if a.startswith("--junitxml") else f"'{a}'" for a in argv)
        run.result = run_in_vm(["/bin/sh", "-c", shell], timeout=timeout, cwd=str(REPO_ROOT),
                               env=env)
        report = run.result.files.get("junit.xml")
        if report is None:
            run.error = (f"no report from the guest's pytest (exit {run.result.status}):\n"
                         f"{run.result.stdout[-4000:]}\n{run.result.stderr[-4000:]}")
            return run
        rank = {"skipped": 0, "passed": 1, "failed": 2}  # a parametrized test: its worst case
        for element in ET.fromstring(report).iter("testcase"):
            name, case = element.get("name", "").split("[")[0], _case(element)
            prev = run.cases.get(name)
            if prev is None or rank[case.outcome] > rank[prev.outcome]:
                run.cases[name] = case
        return run

    def check(self, name: str) -> None:
        """Pass, fail or skip as the guest's `name` did (its output is in the failure text)."""
        if self.error:
            pytest.fail(self.error, pytrace=False)
        case = self.cases.get(name)
        if case is None:
            pytest.fail(f"{name} did not run in the VM:\n{self.result.stdout[-4000:]}",
                        pytrace=False)
        print(f"{name}: {case.outcome} in the VM after {case.seconds:.1f} s")
        if case.outcome == "skipped":
            pytest.skip(f"in the VM: {case.message}")
        if case.outcome == "failed":
            pytest.fail(f"in the VM:\n{case.message}", pytrace=False)


def _case(case: ET.Element) -> Case:
    seconds = float(case.get("time", "0") or 0)
    for tag in ("failure", "error"):
        el = case.find(tag)
        if el is not None:
            return Case("failed", f"{el.get('message', '')}\n{el.text or ''}", seconds)
    el = case.find("skipped")
    if el is not None:
        return Case("skipped", el.get("message", ""), seconds)
    return Case("passed", "", seconds)
