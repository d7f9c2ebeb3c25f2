"""Run Debian's SimpleSAMLphp as a real SAML 2.0 IdP on loopback (`php -S`), and sign in
through it with `requests`.

The IdP listens on 127.0.0.3 so that its cookies never mix with the portal's (localhost) or
the OpenID Connect test IdP's (127.0.0.2). Its configuration, keys and people live in a
temporary folder written at start; `set_users` rewrites the people between tests (PHP reads
the file at every request)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import requests

from tests.system.idp_harness import parse_forms

SSP_ROOT = Path("/usr/share/simplesamlphp")
DEFAULT_HOST = "127.0.0.3"
ORGANIZATION = "company"
TEST_PASSWORD = "secret-pass"  # the password every test person has at the loopback IdP
READY_TIMEOUT = 20.0


class SamlIdPError(RuntimeError):
    pass


def ensure_simplesamlphp_installed() -> None:
    """Missing php or SimpleSAMLphp is a failure, never a skip: `make test` installs them."""
    if not shutil.which("php"):
        raise SamlIdPError("`php` is missing: `make test` installs php-cli (apt).")
    if not (SSP_ROOT / "www" / "saml2" / "idp" / "SSOService.php").exists():
        raise SamlIdPError("SimpleSAMLphp is missing: `make test` installs simplesamlphp (apt).")
    probe = subprocess.run(
        [
            "php",
            "-r",
            "echo class_exists('DOMDocument') && function_exists('mb_strlen') ? 'ok' : 'no';",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.stdout.strip() != "ok":
        raise SamlIdPError("php-xml and php-mbstring are needed (`make test` installs them).")


def saml_user(
    login: str,
    *,
    uid: str | None = None,
    email: str | None = None,
    given_name: str = "Alex",
    family_name: str = "Morgan",
    employee_id: str = "E1001",
    department: str = "Trust & Safety",
    groups: list[str] | None = None,
    active: str = "true",
) -> dict:
    return {
        "uid": [uid or f"saml-sub-{login}"],
        "email": [email or f"{login}@example.com"],
        "displayName": [f"{given_name} {family_name}"],
        "givenName": [given_name],
        "sn": [family_name],
        "employeeNumber": [employee_id],
        "department": [department],
        "groups": list(groups if groups is not None else ["trust-safety"]),
        "active": [active],
    }


def _php(value) -> str:
    """A PHP literal for JSON-like data (strings, lists, dicts, bools)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list):
        return "[" + ", ".join(_php(v) for v in value) + "]"
    if isinstance(value, dict):
        return "[" + ", ".join(f"{_php(k)} => {_php(v)}" for k, v in value.items()) + "]"
    raise TypeError(type(value))


def free_port(host: str = DEFAULT_HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class SamlIdP:
    sp_base_url: str
    host: str = DEFAULT_HOST
    port: int = 0
    run_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ssp-")))
    process: subprocess.Popen | None = None
    log_file: object = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}saml2/idp/metadata.php"

    @property
    def entity_id(self) -> str:
        return self.metadata_url

    @property
    def sp_entity_id(self) -> str:
        return f"{self.sp_base_url}/accounts/saml/{ORGANIZATION}/metadata/"

    @property
    def acs_url(self) -> str:
        return f"{self.sp_base_url}/accounts/saml/{ORGANIZATION}/acs/"

    def _write_config(self) -> None:
        config_dir, metadata_dir, cert_dir = (
            self.run_dir / "config",
            self.run_dir / "metadata",
            self.run_dir / "cert",
        )
        for folder in (
            config_dir,
            metadata_dir,
            cert_dir,
            self.run_dir / "data",
            self.run_dir / "tmp",
        ):
            folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=loopback-test-idp",
                "-keyout", str(cert_dir / "idp.pem"), "-out", str(cert_dir / "idp.crt"),
            ],
            capture_output=True,
            check=True,
        )  # fmt: skip
        config = {
            "baseurlpath": self.base_url,
            "certdir": f"{cert_dir}/",
            "loggingdir": f"{self.run_dir}/",
            "datadir": f"{self.run_dir}/data/",
            "tempdir": str(self.run_dir / "tmp") + "/",
            "metadatadir": f"{metadata_dir}/",
            "metadata.sources": [{"type": "flatfile", "directory": f"{metadata_dir}/"}],
            "technicalcontact_name": "Loopback test",
            "technicalcontact_email": "idp-admin@example.com",
            "timezone": "UTC",
            "secretsalt": "loopback-test-salt-not-a-secret",
            "auth.adminpassword": "loopback-test-admin-not-a-secret",
            "admin.protectindexpage": False,
            "admin.protectmetadata": False,
            "enable.saml20-idp": True,
            "module.enable": {"exampleauth": True, "core": True, "saml": True, "admin": True},
            "session.cookie.secure": False,
            "session.cookie.samesite": "Lax",
            "session.phpsession.cookiename": "SSP_TEST_SESSION",
            "store.type": "phpsession",
            "logging.handler": "errorlog",
            "logging.level": 4,
            "language.default": "en",
            "debug": {"saml": False, "backtraces": True, "validatexml": False},
            "showerrors": True,
        }
        (config_dir / "config.php").write_text(f"<?php\n$config = {_php(config)};\n")
        idp_hosted = {
            "host": "__DEFAULT__",
            "privatekey": "idp.pem",
            "certificate": "idp.crt",
            "auth": "example-userpass",
            "attributes.NameFormat": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
            "saml20.sign.response": True,
            "saml20.sign.assertion": True,
            "signature.algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        }
        (metadata_dir / "saml20-idp-hosted.php").write_text(
            f"<?php\n$metadata['__DYNAMIC:1__'] = {_php(idp_hosted)};\n"
        )
        sp_remote = {
            "AssertionConsumerService": self.acs_url,
            "NameIDFormat": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
            "simplesaml.nameidattribute": "uid",
            "saml20.sign.response": True,
            "saml20.sign.assertion": True,
            "signature.algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        }
        (metadata_dir / "saml20-sp-remote.php").write_text(
            f"<?php\n$metadata[{_php(self.sp_entity_id)}] = {_php(sp_remote)};\n"
        )

    def set_users(self, users: dict[str, dict]) -> None:
        """Replace the people the IdP knows (login -> attributes), all with TEST_PASSWORD."""
        source: dict = {0: "exampleauth:UserPass"}
        source.update({f"{login}:{TEST_PASSWORD}": attrs for login, attrs in users.items()})
        authsources = {"admin": ["core:AdminPassword"], "example-userpass": source}
        (self.run_dir / "config" / "authsources.php").write_text(
            f"<?php\n$config = {_php(authsources)};\n"
        )

    def start(self, users: dict[str, dict]) -> SamlIdP:
        ensure_simplesamlphp_installed()
        self.port = self.port or free_port(self.host)
        self._write_config()
        self.set_users(users)
        self.log_file = open(self.run_dir / "php.log", "wb")  # noqa: SIM115 -- closed in stop()
        self.process = subprocess.Popen(
            ["php", "-S", f"{self.host}:{self.port}", "-t", str(SSP_ROOT / "www")],
            env={"SIMPLESAMLPHP_CONFIG_DIR": str(self.run_dir / "config"), "PATH": "/usr/bin:/bin"},
            stdout=subprocess.DEVNULL,
            stderr=self.log_file,
        )
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                response = requests.get(self.metadata_url, timeout=2)
                if response.status_code == 200 and b"EntityDescriptor" in response.content:
                    return self
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise SamlIdPError(f"SimpleSAMLphp did not start:\n{self.log()}")

    def log(self) -> str:
        path = self.run_dir / "php.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.log_file is not None:
            self.log_file.close()
        shutil.rmtree(self.run_dir, ignore_errors=True)


@contextlib.contextmanager
def run_saml_idp(*, sp_base_url: str, users: dict[str, dict]) -> Iterator[SamlIdP]:
    idp = SamlIdP(sp_base_url=sp_base_url.rstrip("/")).start(users)
    try:
        yield idp
    finally:
        idp.stop()


def _form(response: requests.Response) -> dict:
    forms = parse_forms(response.text)
    if not forms:
        raise SamlIdPError(f"no form at {response.url}: {response.text[:1500]}")
    return forms[0]


def saml_assertion_post(
    session: requests.Session, portal_url: str, login: str, password: str = TEST_PASSWORD
):
    """Start a sign-in at the portal, sign in at the IdP, and return (acs_url, fields) of
    the IdP's auto-submitting form: the signed response, not yet posted."""
    page = session.get(f"{portal_url}/accounts/login/", timeout=30)
    token = session.cookies.get("csrftoken")
    started = session.post(
        f"{portal_url}/accounts/saml/{ORGANIZATION}/login/",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": page.url},
        timeout=30,
    )
    login_form = _form(started)
    fields = dict(login_form["inputs"])
    fields.update({"username": login, "password": password})
    answered = session.post(urljoin(started.url, login_form["action"]), data=fields, timeout=30)
    post_form = _form(answered)
    return urljoin(answered.url, post_form["action"]), dict(post_form["inputs"])


def saml_sign_in(
    session: requests.Session, portal_url: str, login: str, password: str = TEST_PASSWORD
):
    """The whole sign-in over HTTP; returns the portal's final response."""
    acs_url, fields = saml_assertion_post(session, portal_url, login, password)
    return session.post(acs_url, data=fields, timeout=30)


def sp_idp_settings(idp: SamlIdP) -> dict:
    """The `idp` part of allauth's SAML app, as SAML_IDP_METADATA_URL makes it."""
    return {"entity_id": idp.entity_id, "metadata_url": idp.metadata_url}
