"""The files in deploy/ are checked by the tools that will run them: systemd-analyze verify
(units), haproxy -c (proxy) and promtool (scrape config, alert rules and their unit tests)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.system]

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
INSTALL_DIR = "/opt/portal"  # where the units expect the release


def tool(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if p.exists()), None
    )
    if found is None:
        pytest.fail(f"{name} is missing: `make test` installs it (Debian packages)", pytrace=False)
    return found


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, env=env, check=False)


def units_for_this_checkout(tmp_path: Path) -> list[Path]:
    """The units with their instance names, pointing at this checkout instead of /opt/portal
    (verify checks that every ExecStart binary exists)."""
    copies = []
    for source, name in [
        ("portal-web@.service", "portal-web@8001.service"),
        ("portal-worker@.service", "portal-worker@1.service"),
        ("portal-beat.service", "portal-beat.service"),
    ]:
        text = (DEPLOY / "systemd" / source).read_text().replace(INSTALL_DIR, str(ROOT))
        (tmp_path / source).write_text(text)
        copy = tmp_path / name
        copy.write_text(text)
        copies.append(copy)
    return copies


def test_systemd_units_verify_cleanly(tmp_path):
    result = run(tool("systemd-analyze"), "verify", *map(str, units_for_this_checkout(tmp_path)))

    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_systemd_verify_would_catch_a_broken_unit(tmp_path):
    [web, *_] = units_for_this_checkout(tmp_path)
    web.write_text(web.read_text().replace("KillMode=mixed", "KillMode=mixd"))

    result = run(tool("systemd-analyze"), "verify", str(web))

    assert "Failed to parse kill mode" in result.stderr


def test_haproxy_configuration_is_valid():
    env = {
        **os.environ,
        "PORTAL_LISTEN": "127.0.0.1:18080",
        "PORTAL_WEB_1": "127.0.0.1:18081",
        "PORTAL_WEB_2": "127.0.0.1:18082",
    }

    result = run(tool("haproxy"), "-c", "-f", str(DEPLOY / "haproxy.cfg"), env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration file is valid" in result.stdout


def test_prometheus_config_and_alert_rules(tmp_path):
    promtool = tool("promtool")
    token = tmp_path / "token"
    token.write_text("scrape-token")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        (DEPLOY / "prometheus" / "prometheus.yml")
        .read_text()
        .replace("/etc/prometheus/portal-metrics-token", str(token))
    )
    shutil.copy(DEPLOY / "prometheus" / "portal-alerts.yml", tmp_path)

    checked = run(promtool, "check", "config", str(config))
    tested = run(promtool, "test", "rules", str(DEPLOY / "prometheus" / "portal-alerts.test.yml"))

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 3 rules found" in checked.stdout
    assert tested.returncode == 0, tested.stdout + tested.stderr
