"""The documentation stands alone: every relative link and every repository path that README.md,
docs/ and the modules' README files name exists inside the repository.

Checked in each tracked *.md file:
- Markdown links and images `[text](target)` whose target is not a URL or an anchor: the target,
  relative to the file, must exist and stay inside the repository.
- Repository paths in the text (backticked or not): a word starting with one of the repository's
  top-level directories (`docs/x.md`, `src/y/z.h`, `tests/e2e/`), relative to the root, and a
  backticked bare file name ending in .md, relative to the file or the root. Words with a
  placeholder (`<module>`, `test_X.py`, `*`, `{a,b}`, `...`) are patterns, not paths, and are
  skipped, as are paths inside a longer path (`build/debug/src/app/keeld`) and URLs.
  docs/reference/ holds research notes on other projects, which cite those projects' own files
  (katran's `README.md`, glb-director's `src/...`): only its links are checked.

Run: /usr/bin/python3 -m pytest tests/lint -q -p no:cacheprovider
"""

from __future__ import annotations

import re
import subprocess
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOP_DIRS = ("bench", "cmake", "debian", "docs", "examples", "packaging", "scripts", "src", "tests")

LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REPO_PATH = re.compile(r"(?<![\w./~$:-])((?:%s)/[\w.+/*<>{},-]*)" % "|".join(TOP_DIRS))
BACKTICKED_MD = re.compile(r"`([\w.-]+\.md)`")
CITES_OTHER_PROJECTS = ("docs/reference/",)
# Files being written on another branch at the same time (docs/compatibility.md is generated
# from the configuration's keyword table): a link to one passes while it is missing.
PENDING = {"docs/compatibility.md"}
PLACEHOLDER = re.compile(r"[<>*{}]|\.\.\.|(?:^|[/_])[A-Z]+(?:[._/]|$)")


def markdown_files(root: Path) -> list[Path]:
    """The tracked (and new, not ignored) *.md files of a git tree, else every *.md under root."""
    try:
        out = subprocess.run(["git", "-C", str(root), "ls-files", "--cached", "--others",
                              "--exclude-standard", "*.md"], capture_output=True, text=True,
                             check=True, timeout=30).stdout
        files = [root / line for line in out.splitlines() if line]
    except (subprocess.CalledProcessError, FileNotFoundError):
        files = list(root.rglob("*.md"))
    return sorted(f for f in files if f.is_file() and "build" not in f.relative_to(root).parts)


def inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def link_problem(root: Path, md: Path, target: str) -> str | None:
    if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
        return None  # a URL (https:, mailto:) or an anchor in the same page
    path = (md.parent / target.split("#", 1)[0]).resolve()
    if not inside(root, path):
        return f"link {target} leaves the repository"
    if not path.exists() and str(path.relative_to(root.resolve())) not in PENDING:
        return f"link {target}: no such file"
    return None


def path_problem(root: Path, word: str) -> str | None:
    word = word.rstrip(".,;:")
    if PLACEHOLDER.search(word):
        return None
    if not (root / word).exists():
        return f"{word}: no such file or directory in the repository"
    return None


def problems_in(root: Path, md: Path) -> list[str]:
    out = []
    rel = md.relative_to(root)
    for number, line in enumerate(md.read_text(encoding="utf-8").splitlines(), 1):
        found = [link_problem(root, md, m.group(1)) for m in LINK.finditer(line)]
        prose = LINK.sub(" ", line)
        if str(rel).startswith(CITES_OTHER_PROJECTS):
            prose = ""
        found += [path_problem(root, m.group(1)) for m in REPO_PATH.finditer(prose)]
        for m in BACKTICKED_MD.finditer(prose):
            if "/" not in m.group(1) and not (md.parent / m.group(1)).exists() \
                    and not (root / m.group(1)).exists():
                found.append(f"{m.group(1)}: no such file next to {rel} or at the root")
        out += [f"{rel}:{number}: {p}" for p in found if p]
    return out


def broken_references(root: Path) -> list[str]:
    return [p for md in markdown_files(root) for p in problems_in(root, md)]


def test_the_repository_documentation_names_only_what_it_holds():
    problems = broken_references(REPO)
    assert not problems, "\n".join(problems)


def plant(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


def test_the_check_finds_each_kind_of_broken_reference(tmp_path):
    plant(tmp_path, {
        "src/app/daemon.h": "",
        "docs/design.md": "",
        "docs/img.png": "",
        "README.md": """
            See [design](docs/design.md#layers), ![plot](docs/img.png), [web](https://x.org/a)
            and [here](#top); `src/app/daemon.h` and src/app/daemon.h, `docs/design.md` §2.
            Patterns: `src/<module>/README.md`, `tests/e2e/test_X.py`, `build/debug/src/app/k`.
            Broken: [gone](docs/gone.md), [out](../shared/DESIGN.md), `src/app/gone.h`,
            docs/missing.md, `notes.md`.
            """,
        "docs/sub.md": "[up](../README.md) and [design](design.md), `design.md`.\n",
        "docs/reference/notes.md": "katran's `src/katran/lib.h`, `USAGE.md`; [x](../gone.md)\n",
    })
    assert broken_references(tmp_path) == [
        "README.md:4: link docs/gone.md: no such file",
        "README.md:4: link ../shared/DESIGN.md leaves the repository",
        "README.md:4: src/app/gone.h: no such file or directory in the repository",
        "README.md:5: docs/missing.md: no such file or directory in the repository",
        "README.md:5: notes.md: no such file next to README.md or at the root",
        "docs/reference/notes.md:1: link ../gone.md: no such file",
    ]
