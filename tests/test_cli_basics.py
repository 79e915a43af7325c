import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadbatch", *args], capture_output=True, text=True, timeout=60
    )


def test_unknown_option_is_one_line_exit_2() -> None:
    res = run("--bogus")
    assert res.returncode == 2
    assert res.stderr == "leadbatch: error: No such option '--bogus'.\n"


def test_version() -> None:
    res = run("--version")
    assert res.returncode == 0
    assert "leadbatch, version" in res.stdout
