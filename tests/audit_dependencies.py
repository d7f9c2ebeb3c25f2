"""`make audit`: check every locked Python dependency against known vulnerabilities.

Runs pip-audit on the lock file (hash-checked, pip not involved) and reads its JSON report:
- a known vulnerability fails the run (exit 1) and names the package, version and advisory;
- when the advisory service cannot be reached (no network, or the service answers nothing for
  the packages), it says so plainly and does not fail: an offline build stays green, but never
  claims to have audited what it could not.

Usage: python tests/audit_dependencies.py requirements-test.lock
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


def run_pip_audit(lock_file: str) -> tuple[int, dict | None, str]:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        completed = subprocess.run(  # noqa: S603 -- our own venv's pip-audit, fixed arguments
            [
                str(PIP_AUDIT),
                "--requirement",
                lock_file,
                "--require-hashes",
                "--disable-pip",
                "--progress-spinner",
                "off",
                "--format",
                "json",
                "--output",
                str(report),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        data = json.loads(report.read_text()) if report.exists() and report.stat().st_size else None
    return completed.returncode, data, completed.stderr


def main(lock_file: str) -> int:
    returncode, data, stderr = run_pip_audit(lock_file)
    if data is None:
        last_line = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit {returncode}"
        print(f"pip-audit: the advisory service could not be reached; NOT audited ({last_line})")
        return 0
    dependencies = data.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            print(
                f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} "
                f"(fixed in {fixes})"
            )
    if vulnerable:
        print(f"pip-audit: {len(vulnerable)} locked package(s) have known vulnerabilities")
        return 1
    if audited == 0:
        print(
            f"pip-audit: the advisory service answered for none of the {len(dependencies)} "
            "locked packages (offline?); NOT audited"
        )
        return 0
    if skipped:
        names = ", ".join(d["name"] for d in skipped)
        print(f"pip-audit: {len(skipped)} package(s) could not be audited: {names}")
    print(f"pip-audit: no known vulnerabilities in {audited} audited package(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
