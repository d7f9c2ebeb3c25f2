"""Every e-mail is a triplet of templates, rendered here and nowhere else:
`templates/emails/<kind>-subject.txt`, `<kind>-body.txt` and `<kind>-body.html`."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation

from .enums import NotificationRecipient
from .models import Notification

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


def _render_text(name: str, context: dict) -> str:
    # Plain text is not HTML: no escaping of "&" or quotes in names and subjects.
    return get_template(name).template.render(Context(context, autoescape=False))


def make_message(notification: Notification) -> EmailMultiAlternatives:
    """The e-mail for one outbox row. Raises TemplateDoesNotExist if a template is missing:
    there is no generic fallback, a missing template is a bug to fix.

    The payload is the template context, plus `notification`, `site_url` and
    `programme_name`. `payload["attachments"]`, if present, is a list of
    `{"filename", "content", "mimetype"}` with text content."""
    subject_name, text_name, html_name = email_template_names(notification.kind)
    context = {
        **notification.payload,
        "notification": notification,
        "site_url": settings.SITE_URL,
        "programme_name": settings.PROGRAMME_NAME,
    }
    language = email_language(notification)
    with translation.override(language):
        subject = " ".join(_render_text(subject_name, context).split())
        text = _render_text(text_name, context)
        html = render_to_string(html_name, context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to_email],
        headers={"X-Notification-Id": notification.idempotency_key},
    )
    message.attach_alternative(html, "text/html")
    for attachment in notification.payload.get(ATTACHMENTS_KEY, []):
        message.attach(
            attachment["filename"], attachment["content"], attachment.get("mimetype", "text/csv")
        )
    return message
