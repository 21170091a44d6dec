"""The man pages (docs/man/*.scd) and the bash completion (packaging/completion/) agree with what
keeld, keelctl and keel-decap say in --help: every option one lists is in the other, and the
commands of keelctl and keel-decap too. The completion functions run in bash with COMP_WORDS set as
bash sets them.
"""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MAN = REPO / "docs" / "man"
COMPLETION = REPO / "packaging" / "completion"
OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z0-9][\w-]*)")


def run(argv: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, **kw)


# -- --help ----------------------------------------------------------------------------------


def help_entries(text: str) -> list[tuple[set[str], str]]:
    """(options, description) per option of a --help text: keeld's table (`  -f, --use-file=FILE
    Use ...`, a long left column pushing its description to the next line) or CLI11's
    (`  -L,-l,--list   List ...`)."""
    entries: list[tuple[set[str], str]] = []
    for line in text.splitlines():
        m = re.match(r"^ {2,6}(-\S.*?)(?: {2,}(.*))?$", line)
        if m:
            left = re.sub(r"[=\[ ].*", "", m.group(1).replace(", ", ","))
            entries.append((set(left.split(",")), m.group(2) or ""))
        elif entries and line.startswith(" " * 20):
            entries[-1] = (entries[-1][0], entries[-1][1] + " " + line.strip())
    return entries


def help_options(text: str, implemented_only: bool = False) -> set[str]:
    return {o for opts, desc in help_entries(text)
            if not (implemented_only and "(not implemented yet)" in desc) for o in opts}


def cli11_commands(text: str) -> set[str]:
    part = text.split("Subcommands:", 1)[1]
    return {m.group(1) for m in re.finditer(r"^  ([a-z]+)\s", part, re.MULTILINE)}


@pytest.fixture(scope="module")
def keeld_help(keel_build_dir) -> str:
    out = run([str(keel_build_dir / "src/app/keeld"), "--help"])
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.fixture(scope="module")
def keelctl_help(keel_build_dir) -> str:
    out = run([str(keel_build_dir / "src/app/keelctl"), "--help"])
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.fixture(scope="module")
def keel_decap_help(keel_build_dir) -> dict[str, str]:
    """{"": `keel-decap --help`, COMMAND: `keel-decap COMMAND --help` for each command}."""
    tool = str(keel_build_dir / "src/app/keel-decap")
    out = run([tool, "--help"])
    assert out.returncode == 0, out.stderr
    texts = {"": out.stdout}
    for command in cli11_commands(out.stdout):
        out = run([tool, command, "--help"])
        assert out.returncode == 0, out.stderr
        texts[command] = out.stdout
    return texts


# -- the man pages ---------------------------------------------------------------------------


def man_section(page: str, heading: str) -> str:
    """The text of `# HEADING` (its `##` subsections included) in docs/man/PAGE.scd."""
    text = (MAN / f"{page}.scd").read_text()
    m = re.search(rf"^# {heading}\n(.*?)(?=^# |\Z)", text, re.MULTILINE | re.DOTALL)
    assert m, f"{page}.scd has no section {heading}"
    return m.group(1).replace("\\_", "_")


def bold_options(text: str) -> set[str]:
    """Options in bold (`*-f*`, `*--use-file*=_FILE_`, `*-Ln*` excepted: not one option)."""
    return {m.group(1) for m in re.finditer(r"\*(--?[A-Za-z0-9][\w-]*)\*", text)}


def test_keeld_man_page_lists_exactly_the_options_of_keeld_help(keeld_help):
    from_help = help_options(keeld_help)
    assert len(from_help) > 50  # keepalived's options, keel's own: the parse saw the table
    from_man = bold_options(man_section("keeld.8", "OPTIONS"))
    assert from_man == from_help, (f"only in the man page: {sorted(from_man - from_help)}; "
                                   f"only in --help: {sorted(from_help - from_man)}")
    not_implemented = from_help - help_options(keeld_help, implemented_only=True)
    listed = bold_options(man_section("keeld.8", "OPTIONS").split("## Not implemented")[1])
    assert not_implemented and listed == not_implemented


def test_keelctl_man_page_lists_exactly_the_options_and_commands_of_keelctl_help(keelctl_help):
    from_help = help_options(keelctl_help)
    assert {"-L", "--list", "--json", "--runtime-dir"} <= from_help
    from_man = bold_options(man_section("keelctl.8", "OPTIONS"))
    assert from_man == from_help, (f"only in the man page: {sorted(from_man - from_help)}; "
                                   f"only in --help: {sorted(from_help - from_man)}")
    commands = {m.group(1) for m in re.finditer(r"^\*([a-z]+)\*", man_section("keelctl.8",
                                                                             "COMMANDS"),
                                                re.MULTILINE)}
    assert commands == cli11_commands(keelctl_help)


def test_keel_decap_man_page_lists_exactly_the_options_and_commands_of_its_help(keel_decap_help):
    from_help = set().union(*(help_options(text) for text in keel_decap_help.values()))
    assert {"--director", "--local", "--gue-port", "--mode", "--version"} <= from_help
    from_man = bold_options(man_section("keel-decap.8", "OPTIONS"))
    assert from_man == from_help, (f"only in the man page: {sorted(from_man - from_help)}; "
                                   f"only in --help: {sorted(from_help - from_man)}")
    lines = {m.group(1): m.group(0) for m in re.finditer(r"^\*([a-z]+)\*.*$",
                                                         man_section("keel-decap.8", "COMMANDS"),
                                                         re.MULTILINE)}
    assert set(lines) == set(keel_decap_help) - {""} == {"attach", "detach", "status"}
    for command, line in lines.items():  # each command's line shows its own options
        assert bold_options(line) == help_options(keel_decap_help[command]) - {"-h", "--help"}


def test_genhash_options_agree_between_keeld_help_and_both_man_pages(keeld_help):
    genhash_help = next(desc for opts, desc in help_entries(keeld_help) if "--genhash" in opts)
    short = set(re.findall(r"(?<![\w-])-[A-Za-z]\b", genhash_help.split(":", 1)[1]))
    assert short == {"-s", "-p", "-u", "-S", "-V", "-P", "-t"}
    in_keeld_man = {o for o in bold_options(man_section("keeld.8", "GENHASH")) if len(o) == 2}
    assert in_keeld_man == short
    keelctl_line = next(line for line in man_section("keelctl.8", "COMMANDS").splitlines()
                        if line.startswith("*genhash*"))
    assert bold_options(keelctl_line) == short


def test_the_build_renders_every_man_page(keel_build_dir):
    rendered = keel_build_dir / "packaging" / "man"
    if not rendered.is_dir():
        pytest.skip("scdoc was not found when this build was configured (scripts/deps has it)")
    pages = sorted(p.name.removesuffix(".scd") for p in MAN.glob("*.scd"))
    assert pages == ["keel-compatibility.5", "keel-decap.8", "keelctl.8", "keeld.8"]
    for page in pages:
        out = run(["man", "--warnings", "-l", str(rendered / page)], env={"MANWIDTH": "100"})
        assert out.returncode == 0 and not out.stderr.strip(), (page, out.stderr)
        assert page.split(".")[0] in out.stdout.splitlines()[0]


# -- bash completion ---------------------------------------------------------------------------


def complete(command: str, words: list[str], env: dict | None = None) -> list[str]:
    """COMPREPLY of packaging/completion/COMMAND's function for the line `words` (the last one is
    being completed), as bash would call it on TAB."""
    script = (f"source {COMPLETION / command}\n"
              f"COMP_WORDS=({' '.join(_quote(w) for w in words)})\n"
              f"COMP_CWORD={len(words) - 1}\n"
              f"COMP_LINE={_quote(' '.join(words))}; COMP_POINT=${{#COMP_LINE}}\n"
              f"_{command} {command} {_quote(words[-1])} {_quote(words[-2])}\n"
              'printf "%s\\n" "${COMPREPLY[@]}"\n')
    out = run(["bash", "--norc", "--noprofile", "-c", script], env=env)
    assert out.returncode == 0, out.stderr
    return [w for w in out.stdout.splitlines() if w]


def _quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


def test_keelctl_completion_offers_its_options_and_commands(keelctl_help, tmp_path):
    assert set(complete("keelctl", ["keelctl", "-"])) == help_options(keelctl_help)
    assert set(complete("keelctl", ["keelctl", ""])) == cli11_commands(keelctl_help)
    assert complete("keelctl", ["keelctl", "--ru"]) == ["--runtime-dir"]
    assert complete("keelctl", ["keelctl", "--json", "wh"]) == ["whereis"]
    assert complete("keelctl", ["keelctl", "vrrp", "--s"]) == ["--stats"]
    assert complete("keelctl", ["keelctl", "genhash", "-P", ""]) == ["1.0", "1.0C", "1.1"]
    assert "--use-ssl" in complete("keelctl", ["keelctl", "genhash", "--"])
    # --instance: the instances under the runtime directory given before it (a socket each).
    for name in ("lb-a", "lb-b"):
        (tmp_path / name).mkdir()
        with socket.socket(socket.AF_UNIX) as s:
            s.bind(str(tmp_path / name / "keel.sock"))
    (tmp_path / "stale").mkdir()
    words = ["keelctl", "--runtime-dir", str(tmp_path), "--instance", ""]
    assert sorted(complete("keelctl", words)) == ["lb-a", "lb-b"]


def test_keeld_completion_offers_the_implemented_options_and_values(keel_build_dir, keeld_help,
                                                                     tmp_path):
    assert set(complete("keeld", ["keeld", "-"])) == help_options(keeld_help,
                                                                  implemented_only=True)
    signals = complete("keeld", ["keeld", "--signum", ""])
    assert signals == ["STOP", "RELOAD", "DATA", "STATS", "STATS_CLEAR", "JSON", "TDUMP"]
    for name in signals:  # each is a name keeld knows
        assert run([str(keel_build_dir / "src/app/keeld"), f"--signum={name}"]).returncode == 0
    # --option=VALUE arrives as three words ("--log-facility" "=" "lo").
    assert complete("keeld", ["keeld", "--log-facility", "=", "local"]) == [
        f"local{i}" for i in range(8)]
    (tmp_path / "keepalived.conf").write_text("")
    assert complete("keeld", ["keeld", "-f", str(tmp_path / "keep")]) == [
        str(tmp_path / "keepalived.conf")]
    assert complete("keeld", ["keeld", "-T", "-s", "h", "--pro"]) == ["--protocol"]
