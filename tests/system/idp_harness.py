"""Start and stop the test OpenID Connect identity provider (tests/idp/server.mjs), and sign in
through it, with `requests` or with a Playwright page.

The IdP runs on 127.0.0.2 by default so that its cookies never mix with the portal's, which is
served on localhost or 127.0.0.1 (browsers and cookie jars key cookies by host, not by port).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
IDP_DIR = REPO_ROOT / "tests" / "idp"
SERVER_SCRIPT = IDP_DIR / "server.mjs"
DEMO_USERS_FILE = IDP_DIR / "demo-users.json"

DEFAULT_HOST = "127.0.0.2"
DEFAULT_CLIENT_ID = "portal-test"
DEFAULT_CLIENT_SECRET = "portal-test-secret"  # a throwaway secret for a loopback IdP
TEST_PASSWORD = "secret-pass"  # the IdP password `make_user` gives test people
READY_TIMEOUT = 20.0
CALLBACK_PATH = "/accounts/oidc/sso/login/callback/"
LOGIN_PATH = "/accounts/login/"
PROVIDER_LOGIN_PATH = "/accounts/oidc/sso/login/"


class IdPError(RuntimeError):
    pass


def _require(executable: str) -> str:
    found = shutil.which(executable)
    if not found:
        raise IdPError(
            f"`{executable}` is not installed or not on PATH; the SSO tests need Node.js 20.12+ "
            "and npm to run the test identity provider (tests/idp)."
        )
    return found


def ensure_idp_installed() -> None:
    """Install the IdP's npm dependencies from the lockfile when they are missing.

    Raises when node or npm is missing: the SSO tests must fail, never skip, without them."""
    _require("node")
    npm = _require("npm")
    if (IDP_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    result = subprocess.run(
        [npm, "ci", "--prefix", str(IDP_DIR), "--no-audit", "--no-fund"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise IdPError(
            f"`npm ci --prefix tests/idp` failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )


def free_port(host: str = DEFAULT_HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def make_user(
    login: str,
    *,
    sub: str | None = None,
    password: str = TEST_PASSWORD,
    email: str | None = None,
    email_verified: bool = True,
    given_name: str | None = None,
    family_name: str = "Tester",
    name: str | None = None,
    employee_id: str = "E0000",
    department: str = "Trust & Safety",
    groups: list[str] | None = None,
    active: bool = True,
) -> dict:
    """One entry of an IdP users file, with sensible defaults for tests."""
    given = given_name if given_name is not None else login.capitalize()
    return {
        "password": password,
        "claims": {
            "sub": sub if sub is not None else f"sub-{login}",
            "email": email if email is not None else f"{login}@example.com",
            "email_verified": email_verified,
            "name": name if name is not None else f"{given} {family_name}".strip(),
            "given_name": given,
            "family_name": family_name,
            "employee_id": employee_id,
            "department": department,
            "groups": list(groups) if groups is not None else ["trust-safety"],
            "active": active,
        },
    }


class IdP:
    """A running tests/idp/server.mjs process. Use `run_idp()` to get one."""

    def __init__(
        self,
        *,
        host: str = DEFAULT_HOST,
        port: int | None = None,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        redirect_uris: list[str] | tuple[str, ...] = (),
        post_logout_redirect_uris: list[str] | tuple[str, ...] = (),
        users: dict | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = list(redirect_uris)
        self.post_logout_redirect_uris = list(post_logout_redirect_uris)
        self.issuer = f"http://{host}:{self.port}"
        self._tmpdir = tempfile.TemporaryDirectory(prefix="portal-idp-")
        self.users_file = Path(self._tmpdir.name) / "users.json"
        self.set_users(users if users is not None else {})
        self._extra_env = dict(extra_env or {})
        self._process: subprocess.Popen[str] | None = None
        self._output: list[str] = []
        self._reader: threading.Thread | None = None

    # -- process ---------------------------------------------------------------------------

    def start(self) -> IdP:
        ensure_idp_installed()
        env = {
            **os.environ,
            "IDP_HOST": self.host,
            "IDP_PORT": str(self.port),
            "IDP_CLIENT_ID": self.client_id,
            "IDP_CLIENT_SECRET": self.client_secret,
            "IDP_REDIRECT_URIS": ",".join(self.redirect_uris),
            "IDP_POST_LOGOUT_REDIRECT_URIS": ",".join(self.post_logout_redirect_uris),
            "IDP_USERS_FILE": str(self.users_file),
            "IDP_TEST_HOOKS": "1",
            **self._extra_env,
        }
        self._process = subprocess.Popen(
            [_require("node"), str(SERVER_SCRIPT)],
            cwd=IDP_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        ready = threading.Event()
        process = self._process

        def read_output() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                self._output.append(line)
                if line.startswith("IDP READY"):
                    ready.set()

        self._reader = threading.Thread(target=read_output, name="idp-output", daemon=True)
        self._reader.start()
        deadline = time.monotonic() + READY_TIMEOUT
        while not ready.wait(0.05):
            if process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                why = (
                    f"exited with {process.returncode}"
                    if process.returncode is not None
                    else f"was not ready after {READY_TIMEOUT:.0f} s"
                )
                raise IdPError(f"The test IdP {why}. Its output:\n{self.output}")
        return self

    def stop(self) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self._reader is not None:
            self._reader.join(timeout=2)
        if process is not None and process.stdout is not None:
            process.stdout.close()
        self._tmpdir.cleanup()

    @property
    def output(self) -> str:
        return "".join(self._output)

    def __enter__(self) -> IdP:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- users -----------------------------------------------------------------------------

    def set_users(self, users: dict) -> None:
        """Replace the IdP's users. The IdP reads the file at each login and account lookup."""
        tmp = self.users_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(users, indent=2), encoding="utf-8")
        tmp.replace(self.users_file)  # atomic: the IdP never reads half a file

    def get_users(self) -> dict:
        return json.loads(self.users_file.read_text(encoding="utf-8"))

    def update_claims(self, login: str, **claims: object) -> None:
        users = copy.deepcopy(self.get_users())
        users[login]["claims"].update(claims)
        self.set_users(users)

    # -- test hooks ------------------------------------------------------------------------

    def authorizations(self) -> list[dict]:
        response = requests.get(f"{self.issuer}/__test__/authorizations", timeout=5)
        response.raise_for_status()
        return response.json()

    def last_authorization(self) -> dict | None:
        """The query parameters of the last authorization request the IdP received."""
        response = requests.get(f"{self.issuer}/__test__/last-authorization", timeout=5)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def socialaccount_app(self, *, name: str = "Company SSO") -> dict:
        """The allauth `openid_connect` app entry for this IdP."""
        return {
            "provider_id": "sso",
            "name": name,
            "client_id": self.client_id,
            "secret": self.client_secret,
            "settings": {
                "server_url": self.issuer,
                "oauth_pkce_enabled": True,
                "token_auth_method": "client_secret_basic",
            },
        }


@contextlib.contextmanager
def run_idp(
    *,
    host: str = DEFAULT_HOST,
    port: int | None = None,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    redirect_uris: list[str] | tuple[str, ...] = (),
    post_logout_redirect_uris: list[str] | tuple[str, ...] = (),
    users: dict | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[IdP]:
    idp = IdP(
        host=host,
        port=port,
        client_id=client_id,
        client_secret=client_secret,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris,
        users=users,
        extra_env=extra_env,
    )
    with idp:
        yield idp


# -- signing in with requests --------------------------------------------------------------


class _FormParser(HTMLParser):
    """Collects the forms of a page: action, method and input values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._current: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._current = {
                "action": values.get("action", ""),
                "method": values.get("method", "get").lower(),
                "inputs": {},
            }
            self.forms.append(self._current)
        elif tag in {"input", "button"} and self._current is not None and values.get("name"):
            self._current["inputs"].setdefault(values["name"], values.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def parse_forms(html: str) -> list[dict]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


class SignInResult:
    """What an HTTP sign-in went through. `response` is the final page."""

    def __init__(self, response: requests.Response, callback_url: str | None) -> None:
        self.response = response
        self.callback_url = callback_url

    @property
    def status_code(self) -> int:
        return self.response.status_code


def _follow(
    session: requests.Session,
    response: requests.Response,
    seen: list[str],
    *,
    stop_at_callback: bool = False,
) -> requests.Response:
    """Follow redirects by hand so that every URL visited is recorded."""
    for _ in range(20):
        if not response.is_redirect:
            return response
        url = urljoin(response.url, response.headers["Location"])
        seen.append(url)
        if stop_at_callback and CALLBACK_PATH in url:
            return response
        response = session.get(url, allow_redirects=False, timeout=15)
    raise IdPError(f"too many redirects: {seen}")


def start_sign_in(
    session: requests.Session,
    live_server_url: str,
    *,
    seen: list[str] | None = None,
    stop_at_callback: bool = False,
) -> requests.Response:
    """Open the portal's sign-in page and press the SSO button; returns the IdP's page (or,
    when the IdP already knows the browser, the page the redirects ended on)."""
    base = live_server_url.rstrip("/")
    page = session.get(f"{base}{LOGIN_PATH}", timeout=15)
    page.raise_for_status()
    forms = [f for f in parse_forms(page.text) if PROVIDER_LOGIN_PATH in f["action"]]
    if not forms:
        raise IdPError(
            f"no form posting to {PROVIDER_LOGIN_PATH} on {page.url}:\n{page.text[:2000]}"
        )
    form = forms[0]
    data = dict(form["inputs"])
    if "csrfmiddlewaretoken" not in data:
        raise IdPError(f"the SSO form on {page.url} has no CSRF token")
    seen = seen if seen is not None else []
    response = session.post(
        urljoin(page.url, form["action"]),
        data=data,
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=15,
    )
    return _follow(session, response, seen, stop_at_callback=stop_at_callback)


def sso_sign_in(
    session: requests.Session | object,
    live_server_url: str,
    username: str,
    password: str,
    *,
    follow_callback: bool = True,
):
    """Sign in to the portal through the IdP.

    With a `requests.Session`: drives the whole flow over HTTP and returns a `SignInResult`
    (final response after the callback and its redirects, and the callback URL used). With
    `follow_callback=False` it stops before calling the portal's callback: `callback_url`
    holds the URL (code and state) the IdP sent the browser to, and nothing was signed in.
    With a Playwright page: delegates to `browser_sign_in`."""
    if not isinstance(session, requests.Session):
        return browser_sign_in(session, live_server_url, username, password)
    base = live_server_url.rstrip("/")
    seen: list[str] = []
    response = start_sign_in(session, base, seen=seen, stop_at_callback=not follow_callback)
    if urlsplit(response.url).path.startswith("/interaction/") and not response.is_redirect:
        forms = [f for f in parse_forms(response.text) if f["action"].endswith("/login")]
        if not forms:
            raise IdPError(f"the IdP did not show its login form:\n{response.text[:2000]}")
        response = session.post(
            urljoin(response.url, forms[0]["action"]),
            data={"username": username, "password": password},
            allow_redirects=False,
            timeout=15,
        )
        if not response.is_redirect:
            # A refused password stays on the IdP with a 401 page.
            return SignInResult(response, None)
        response = _follow(session, response, seen, stop_at_callback=not follow_callback)
    callback_url = next((url for url in seen if CALLBACK_PATH in url), None)
    return SignInResult(response, callback_url)


def sign_out(session: requests.Session, live_server_url: str) -> requests.Response:
    """Sign out as a person would: open the sign-out page and submit its form (CSRF)."""
    base = live_server_url.rstrip("/")
    page = session.get(f"{base}/accounts/logout/", timeout=15)
    page.raise_for_status()
    forms = [
        f
        for f in parse_forms(page.text)
        if "/accounts/logout/" in f["action"] and "csrfmiddlewaretoken" in f["inputs"]
    ]
    if not forms:
        raise IdPError(f"no sign-out form on {page.url}:\n{page.text[:2000]}")
    return session.post(
        urljoin(page.url, forms[0]["action"] or page.url),
        data=forms[0]["inputs"],
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=15,
    )


# -- signing in with a browser -------------------------------------------------------------


def browser_sign_in(page, base_url: str, username: str, password: str, *, timeout: float = 15):
    """Sign in with a Playwright (sync API) page: portal sign-in page, SSO button, IdP form.

    Returns the page once the browser is back on the portal (wherever the portal sent it:
    the home page, or a refusal page)."""
    base = base_url.rstrip("/")
    portal_origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
    ms = timeout * 1000
    if urlsplit(page.url).path != LOGIN_PATH or not page.url.startswith(portal_origin):
        page.goto(f"{base}{LOGIN_PATH}", timeout=ms)
    page.locator(f"form[action*='{PROVIDER_LOGIN_PATH}'] [type=submit]").first.click(timeout=ms)
    page.wait_for_url(
        lambda url: "/interaction/" in url or CALLBACK_PATH in url or not url.startswith(base),
        timeout=ms,
    )
    page.wait_for_load_state("domcontentloaded", timeout=ms)
    if "/interaction/" in page.url:
        page.get_by_label("User name").fill(username, timeout=ms)
        page.get_by_label("Password").fill(password, timeout=ms)
        with page.expect_navigation(timeout=ms):
            page.get_by_role("button", name="Sign in").click(timeout=ms)
        if "/interaction/" in page.url:
            return page  # refused by the IdP (wrong password); the form is shown again
    page.wait_for_url(lambda url: url.startswith(portal_origin), timeout=ms)
    page.wait_for_load_state("domcontentloaded", timeout=ms)
    return page
