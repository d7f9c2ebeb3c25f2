"""`make audit` fails on a known vulnerability and never fails (but says so) when the
advisory service cannot be reached. pip-audit itself is replaced by a small script that
writes the report a real run would write."""

import json
import stat
import sys

import pytest

from tests import audit_dependencies

pytestmark = [pytest.mark.unit]


@pytest.fixture
def fake_pip_audit(tmp_path, monkeypatch):
    def install(report: dict | None, exit_code: int = 0, stderr: str = ""):
        script = tmp_path / "pip-audit"
        write = (
            f"open(args[args.index('--output') + 1], 'w').write({json.dumps(report)!r})"
            if report is not None
            else "pass"
        )
        script.write_text(
            f"#!{sys.executable}\n"
            "import sys\n"
            "args = sys.argv\n"
            f"{write}\n"
            f"sys.stderr.write({stderr!r})\n"
            f"sys.exit({exit_code})\n"
        )
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
        monkeypatch.setattr(audit_dependencies, "PIP_AUDIT", script)

    return install


def test_audit_fails_on_a_known_vulnerability(fake_pip_audit, capsys):
    fake_pip_audit(
        {
            "dependencies": [
                {
                    "name": "django",
                    "version": "5.2.0",
                    "vulns": [{"id": "PYSEC-0000-1", "fix_versions": ["5.2.1"]}],
                },
                {"name": "nh3", "version": "0.3.7", "vulns": []},
            ]
        },
        exit_code=1,
    )

    code = audit_dependencies.main("requirements-test.lock")

    out = capsys.readouterr().out
    assert code == 1
    assert "VULNERABLE django 5.2.0: PYSEC-0000-1 (fixed in 5.2.1)" in out


def test_audit_passes_when_nothing_is_known(fake_pip_audit, capsys):
    fake_pip_audit({"dependencies": [{"name": "nh3", "version": "0.3.7", "vulns": []}]})

    code = audit_dependencies.main("requirements-test.lock")

    assert code == 0
    assert (
        capsys.readouterr().out == "pip-audit: no known vulnerabilities in 1 audited package(s)\n"
    )


def test_audit_offline_says_not_audited_and_does_not_fail(fake_pip_audit, capsys):
    fake_pip_audit(None, exit_code=1, stderr="ConnectionError: Failed to resolve 'pypi.org'\n")

    code = audit_dependencies.main("requirements-test.lock")

    out = capsys.readouterr().out
    assert code == 0
    assert "could not be reached; NOT audited" in out


def test_audit_with_no_answer_for_any_package_says_not_audited(fake_pip_audit, capsys):
    fake_pip_audit(
        {
            "dependencies": [
                {"name": "nh3", "skip_reason": "Dependency not found on PyPI"},
                {"name": "django", "skip_reason": "Dependency not found on PyPI"},
            ]
        }
    )

    code = audit_dependencies.main("requirements-test.lock")

    assert code == 0
    assert "answered for none of the 2 locked packages (offline?); NOT audited" in (
        capsys.readouterr().out
    )
