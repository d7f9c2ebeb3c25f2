"""The system status page's checks: each part the portal depends on, green, amber or red,
with what to do. Network probes run side by side with a short timeout each
(STATUS_PROBE_TIMEOUT), so the page answers within a few seconds even when parts are down.
`/healthz` stays the cheap probe for load balancers; this is for people."""

from __future__ import annotations

import datetime
import smtplib
import ssl
import time
import xml.etree.ElementTree as ET  # noqa: S405 -- staff-configured metadata; expat is safe
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests
from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from kombu import Connection

from memberships.enums import NotificationKind, NotificationStatus
from memberships.models import AuditEntry, Notification, Sponsorship

from .models import Heartbeat

GREEN, AMBER, RED, OFF = "green", "amber", "red", "off"
_STATE_ORDER = {RED: 0, AMBER: 1, GREEN: 2, OFF: 3}
SAML_NS = "{urn:oasis:names:tc:SAML:2.0:metadata}"


@dataclass(frozen=True)
class Check:
    name: str
    state: str
    detail: str
    action: str = ""


def _when(value: datetime.datetime) -> str:
    return (
        date_format(timezone.localtime(value), "DATETIME_FORMAT")
        + " "
        + timezone.localtime(value).strftime("%Z")
    )


def _ago(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return _("%(n)s seconds ago") % {"n": seconds}
    if seconds < 7200:
        return _("%(n)s minutes ago") % {"n": seconds // 60}
    if seconds < 172800:
        return _("%(n)s hours ago") % {"n": seconds // 3600}
    return _("%(n)s days ago") % {"n": seconds // 86400}


# -- network probes (run in threads; no database) ------------------------------------------


def check_oidc(*, name: str, server_url: str, timeout: float) -> Check:
    """Discovery document reachable, names the expected issuer, and its signing keys load."""
    title = _("Sign-in (OpenID Connect): %(name)s") % {"name": name}
    discovery_url = server_url.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(discovery_url, timeout=timeout)
        response.raise_for_status()
        discovery = response.json()
    except (requests.RequestException, ValueError) as exc:
        return Check(
            title,
            RED,
            _("The IdP's discovery document at %(url)s cannot be read (%(error)s).")
            % {"url": discovery_url, "error": type(exc).__name__},
            _(
                "Nobody can sign in. Check that the IdP is up and that OIDC_SERVER_URL is right; "
                "ask the identity team."
            ),
        )
    if discovery.get("issuer", "").rstrip("/") != server_url.rstrip("/"):
        return Check(
            title,
            RED,
            _("The IdP calls itself %(issuer)s, not %(expected)s.")
            % {"issuer": discovery.get("issuer", "?"), "expected": server_url},
            _("Sign-in will fail the issuer check. Set OIDC_SERVER_URL to the IdP's issuer."),
        )
    try:
        keys_response = requests.get(discovery["jwks_uri"], timeout=timeout)
        keys_response.raise_for_status()
        keys = [k for k in keys_response.json().get("keys", []) if k.get("use", "sig") == "sig"]
    except (requests.RequestException, ValueError, KeyError) as exc:
        return Check(
            title,
            AMBER,
            _("Discovery works but the signing keys cannot be read (%(error)s).")
            % {"error": type(exc).__name__},
            _("Ask the identity team to check the IdP's key set (jwks_uri)."),
        )
    if not keys:
        return Check(
            title,
            AMBER,
            _("The IdP publishes no signing key."),
            _("Ask the identity team to check the IdP's key set (jwks_uri)."),
        )
    return Check(
        title,
        GREEN,
        _("Discovery answered and %(count)s signing keys were fetched just now.")
        % {"count": len(keys)},
    )


def check_saml_metadata(*, name: str, metadata_url: str, timeout: float) -> Check:
    title = _("Sign-in (SAML): %(name)s") % {"name": name}
    action = _("Employees of this IdP cannot sign in. Ask the identity team for valid metadata.")
    try:
        response = requests.get(metadata_url, timeout=timeout)
        response.raise_for_status()
        root = ET.fromstring(response.content)  # noqa: S314 -- see the import
    except (requests.RequestException, ET.ParseError) as exc:
        return Check(
            title,
            RED,
            _("The IdP metadata cannot be read (%(error)s).") % {"error": type(exc).__name__},
            action,
        )
    descriptor = root if root.tag == f"{SAML_NS}EntityDescriptor" else None
    if descriptor is None or descriptor.find(f"{SAML_NS}IDPSSODescriptor") is None:
        return Check(title, RED, _("The metadata describes no identity provider."), action)
    valid_until = descriptor.get("validUntil")
    if valid_until:
        until = datetime.datetime.fromisoformat(valid_until.replace("Z", "+00:00"))
        if until <= timezone.now():
            return Check(
                title, RED, _("The metadata expired on %(when)s.") % {"when": until}, action
            )
    return Check(title, GREEN, _("Metadata read and valid."))


def check_broker(*, timeout: float) -> Check:
    title = _("Message broker")
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            connect_timeout=timeout,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 -- any failure means unreachable
        return Check(
            title,
            RED,
            _("The broker cannot be reached (%(error)s).") % {"error": type(exc).__name__},
            _(
                "Background work is not being queued; the outbox keeps every message and the "
                "sweep queues it when the broker is back. Restart Redis or fix "
                "CELERY_BROKER_URL."
            ),
        )
    return Check(title, GREEN, _("Reachable."))


def check_mail(*, timeout: float) -> Check:
    title = _("Mail server")
    if settings.EMAIL_BACKEND != "django.core.mail.backends.smtp.EmailBackend":
        return Check(
            title,
            AMBER,
            _("E-mail is not sent through SMTP (backend %(backend)s).")
            % {"backend": settings.EMAIL_BACKEND.rsplit(".", 2)[-2]},
            _("Fine for development; in production set EMAIL_BACKEND to the SMTP backend."),
        )
    try:
        smtp_class = smtplib.SMTP_SSL if settings.EMAIL_USE_SSL else smtplib.SMTP
        with smtp_class(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=timeout) as smtp:
            if settings.EMAIL_USE_TLS:
                smtp.starttls(context=ssl.create_default_context())
            code, _message = smtp.noop()
    except (OSError, smtplib.SMTPException) as exc:
        code, error = None, type(exc).__name__
    else:
        error = ""
    if code != 250:
        return Check(
            title,
            RED,
            _("%(host)s:%(port)s does not answer NOOP (%(error)s).")
            % {"host": settings.EMAIL_HOST, "port": settings.EMAIL_PORT, "error": error or code},
            _("E-mails wait in the outbox and are retried. Check the mail relay and EMAIL_HOST."),
        )
    return Check(
        title,
        GREEN,
        _("%(host)s:%(port)s answered NOOP.")
        % {"host": settings.EMAIL_HOST, "port": settings.EMAIL_PORT},
    )


# -- database checks (in the request's thread) ----------------------------------------------


def check_database() -> Check:
    title = _("Database")
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 -- any failure means unreachable
        return Check(
            title,
            RED,
            _("The database does not answer (%(error)s).") % {"error": type(exc).__name__},
            _("Nothing works without it. Check PostgreSQL and DATABASE_URL."),
        )
    return Check(
        title,
        GREEN,
        _("Answered in %(ms)s ms.") % {"ms": round((time.monotonic() - started) * 1000)},
    )


def check_beat(*, now: datetime.datetime) -> Check:
    title = _("Scheduler (Celery beat)")
    action = _(
        "No sweep, reminder, expiry, digest or retention runs while beat is silent. Start "
        "exactly one `celery -A portal beat` (see the README)."
    )
    beat_at = (
        Heartbeat.objects.filter(name=Heartbeat.BEAT).values_list("beat_at", flat=True).first()
    )
    if beat_at is None:
        return Check(title, RED, _("Beat has never reported."), action)
    age = (now - beat_at).total_seconds()
    detail = _("Last heartbeat %(ago)s (%(when)s).") % {"ago": _ago(age), "when": _when(beat_at)}
    if age >= settings.STATUS_BEAT_RED_SECONDS:
        return Check(title, RED, detail, action)
    if age >= settings.STATUS_BEAT_AMBER_SECONDS:
        return Check(title, AMBER, detail, _("Beat may be stuck; watch this for a minute."))
    return Check(title, GREEN, detail)


def check_outbox(*, now: datetime.datetime) -> Check:
    title = _("Notification outbox")
    counts = dict(
        Notification.objects.filter(
            status__in=[
                NotificationStatus.PENDING,
                NotificationStatus.FAILED,
                NotificationStatus.DEAD,
            ]
        )
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    oldest = Notification.objects.filter(status=NotificationStatus.PENDING).aggregate(
        oldest=Min("created_at")
    )["oldest"]
    pending = counts.get(NotificationStatus.PENDING, 0)
    failed = counts.get(NotificationStatus.FAILED, 0)
    dead = counts.get(NotificationStatus.DEAD, 0)
    detail = _("%(pending)s pending, %(failed)s waiting to retry, %(dead)s dead.") % {
        "pending": pending,
        "failed": failed,
        "dead": dead,
    }
    if oldest is not None:
        detail += " " + _("Oldest pending: %(ago)s.") % {
            "ago": _ago((now - oldest).total_seconds())
        }
    if dead:
        return Check(
            title,
            RED,
            detail,
            _(
                "Open the dead notifications in the admin, fix the cause (address, partner "
                "endpoint) and resend them."
            ),
        )
    if oldest is not None and (now - oldest).total_seconds() > settings.STATUS_OUTBOX_RED_SECONDS:
        return Check(
            title,
            RED,
            detail,
            _("Messages are not going out: check that a worker runs and the broker is up."),
        )
    return Check(title, GREEN, detail)


def check_digest(*, now: datetime.datetime) -> Check:
    title = _("Weekly digest to partners")
    last = (
        Notification.objects.filter(kind=NotificationKind.PARTNER_WEEKLY_DIGEST)
        .order_by("-created_at")
        .values("created_at", "status")
        .first()
    )
    if last is None:
        return Check(
            title,
            AMBER,
            _("No digest has been queued yet."),
            _("The first one is queued on Monday at 07:00 if beat runs."),
        )
    detail = _("Last queued %(when)s, %(status)s.") % {
        "when": _when(last["created_at"]),
        "status": NotificationStatus(last["status"]).label,
    }
    if last["status"] == NotificationStatus.DEAD:
        return Check(title, RED, detail, _("Resend it from the notifications in the admin."))
    if (now - last["created_at"]).days > 8:
        return Check(
            title, RED, detail, _("Last Monday's digest is missing: check beat and the worker.")
        )
    return Check(title, GREEN, detail)


def check_roster() -> Check:
    title = _("Roster import")
    if not Sponsorship.objects.filter(uses_roster=True).exists():
        return Check(title, OFF, _("No sponsorship uses a roster."))
    last = (
        AuditEntry.objects.filter(action="roster_imported")
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    action = _("Import the current HR roster from the sponsorship's page in the admin.")
    if last is None:
        return Check(title, AMBER, _("No roster has been imported yet."), action)
    detail = _("Last import %(when)s.") % {"when": _when(last)}
    if (timezone.now() - last).days > 35:
        return Check(title, AMBER, detail, action)
    return Check(title, GREEN, detail)


def _configured_apps(provider: str) -> list[dict]:
    return list(settings.SOCIALACCOUNT_PROVIDERS.get(provider, {}).get("APPS", []))


def system_status() -> list[Check]:
    """Every check, worst first."""
    timeout = settings.STATUS_PROBE_TIMEOUT
    now = timezone.now()
    probes = [
        (
            check_oidc,
            {
                "name": app.get("name") or app["provider_id"],
                "server_url": app["settings"]["server_url"],
                "timeout": timeout,
            },
        )
        for app in _configured_apps("openid_connect")
    ]
    probes += [
        (
            check_saml_metadata,
            {
                "name": app.get("name") or app.get("provider_id", "saml"),
                "metadata_url": app["settings"]["idp"]["metadata_url"],
                "timeout": timeout,
            },
        )
        for app in _configured_apps("saml")
        if app.get("settings", {}).get("idp", {}).get("metadata_url")
    ]
    probes += [(check_broker, {"timeout": timeout}), (check_mail, {"timeout": timeout})]
    with ThreadPoolExecutor(max_workers=len(probes)) as pool:
        futures = [pool.submit(probe, **kwargs) for probe, kwargs in probes]
        checks = [check_database()]
        if checks[0].state != RED:
            checks += [
                check_beat(now=now),
                check_outbox(now=now),
                check_digest(now=now),
                check_roster(),
            ]
        checks += [future.result() for future in futures]
    return sorted(checks, key=lambda check: _STATE_ORDER[check.state])
