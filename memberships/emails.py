"""Every e-mail is a triplet of templates, rendered here and nowhere else:
`templates/emails/<kind>-subject.txt`, `<kind>-body.txt` and `<kind>-body.html`."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .enums import NotificationRecipient
from .models import Event, Notification

# Payload keys (besides the rendered templates) that become attachments.
ATTACHMENTS_KEY = "attachments"


def email_template_names(kind: str) -> tuple[str, str, str]:
    return (
        f"emails/{kind}-subject.txt",
        f"emails/{kind}-body.txt",
        f"emails/{kind}-body.html",
    )


def email_language(notification: Notification) -> str:
    """The recipient's language: an employee's saved choice, a partner's configured one,
    else the site's default. Workers have no request, so it is never the sender's."""
    if notification.recipient == NotificationRecipient.PARTNER:
        recipient = notification.partner
    else:
        recipient = notification.user
    return getattr(recipient, "language", "") or settings.LANGUAGE_CODE


def recipient_zone(notification: Notification) -> zoneinfo.ZoneInfo:
    """The employee's chosen zone; the site's for partners and people who chose none."""
    name = getattr(notification.user, "time_zone", "") or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def reply_to_for(notification: Notification) -> str:
    """Whom a reply reaches: the hosting partner's team for an employee's event e-mail (they
    know the venue and the session), otherwise the programme team. Never `no-reply@`."""
    event_id = notification.payload.get("event_id")
    if notification.partner_id is None and event_id is not None:
        host = (
            Event.objects.filter(pk=event_id)
            .values_list("partner__operations_email", flat=True)
            .first()
        )
        if host:
            return host
    return settings.EMAIL_REPLY_TO


def _render_text(name: str, context: dict) -> str:
    # Plain text is not HTML: no escaping of "&" or quotes in names and subjects.
    return get_template(name).template.render(Context(context, autoescape=False))


def make_message(notification: Notification) -> EmailMultiAlternatives:
    """The e-mail for one outbox row. Raises TemplateDoesNotExist if a template is missing:
    there is no generic fallback, a missing template is a bug to fix.

    The payload is the template context, plus `notification`, `site_url`,
    `programme_name`, `settings_url` and `reply_to`. Every body extends
    `emails/layout.html` / `layout.txt` (the brand, and a footer saying why it was sent).
    Dates render in the recipient's zone. `payload["attachments"]`, if present, is a list of
    `{"filename", "content", "mimetype"}` with text content."""
    subject_name, text_name, html_name = email_template_names(notification.kind)
    reply_to = reply_to_for(notification)
    context = {
        **notification.payload,
        "notification": notification,
        "site_url": settings.SITE_URL,
        "programme_name": settings.PROGRAMME_NAME,
        "settings_url": settings.SITE_URL + reverse("memberships:my-settings"),
        "reply_to": reply_to,
    }
    language = email_language(notification)
    with translation.override(language), timezone.override(recipient_zone(notification)):
        subject = " ".join(_render_text(subject_name, context).split())
        text = _render_text(text_name, context)
        html = render_to_string(html_name, context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to_email],
        reply_to=[reply_to],
        headers={"X-Notification-Id": notification.idempotency_key},
    )
    message.attach_alternative(html, "text/html")
    for attachment in notification.payload.get(ATTACHMENTS_KEY, []):
        message.attach(
            attachment["filename"], attachment["content"], attachment.get("mimetype", "text/csv")
        )
    return message
