"""Where partner webhooks may point. Checked when a webhook URL is saved, and again by
`senders.py` for every connection it opens (after DNS resolution, on the address it then
connects to), so neither a private address typed in nor a DNS answer that changes later
(DNS rebinding) gets a request into our own network.

Refused: anything that is not a globally routable unicast address, which covers loopback,
private (RFC 1918, fc00::/7), link-local (169.254.0.0/16, where cloud metadata services
live, and fe80::/10), carrier-grade NAT, reserved, documentation and multicast ranges, and
IPv4 addresses written as IPv6. WEBHOOK_ALLOW_PRIVATE=true lifts this for local development."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def is_public_address(text: str) -> bool:
    """True for a globally routable unicast IP address (a string such as getaddrinfo gives)."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False  # includes scoped IPv6 ("fe80::1%eth0")
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int | None) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def validate_webhook_url(url: str) -> None:
    """Raise ValidationError unless `url` may receive webhooks (see the module docstring).

    A host name that does not resolve now is accepted: the check at send time still applies."""
    if not url:
        return
    parts = urlsplit(url)
    allowed_schemes = ("https",) if settings.HTTPS else ("https", "http")
    if parts.scheme not in allowed_schemes:
        raise ValidationError(
            _("Webhook URLs must start with https://.")
            if settings.HTTPS
            else _("Webhook URLs must start with https:// or http://."),
            code="scheme",
        )
    if parts.username or parts.password:
        raise ValidationError(
            _("Webhook URLs must not carry a user name or password."), code="credentials"
        )
    if not parts.hostname:
        raise ValidationError(_("Webhook URLs need a host name."), code="host")
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return
    try:
        port = parts.port
        addresses = resolve(parts.hostname, port)
    except ValueError as exc:
        raise ValidationError(_("That port is not valid."), code="port") from exc
    except OSError:
        return
    if not all(is_public_address(address) for address in addresses):
        raise ValidationError(
            _(
                "Webhooks cannot go to %(host)s: it is a loopback, private, link-local or "
                "otherwise internal address."
            )
            % {"host": parts.hostname},
            code="internal_address",
        )
