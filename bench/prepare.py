"""Run inside a benchmark database: print what the load needs as one JSON line (a session
cookie of the benchmark employee, the URLs of one event and one search term)."""

import json

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.utils import timezone  # noqa: E402

from memberships.enums import EventStatus  # noqa: E402
from memberships.management.commands.bench_data import BENCH_USERNAME  # noqa: E402
from memberships.models import Event  # noqa: E402
from portal.admin_site import SSO_SESSION_KEY  # noqa: E402
from portal.models import User  # noqa: E402


def main() -> None:
    user = User.objects.get(username=BENCH_USERNAME)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[SSO_SESSION_KEY] = True
    session.create()
    event = (
        Event.objects.filter(
            status=EventStatus.PUBLISHED,
            starts_at__gt=timezone.now(),
            registrations__user=user,
        )
        .order_by("starts_at")
        .first()
    )
    print(
        json.dumps(
            {
                "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
                "event_slug": event.slug,
            }
        )
    )


if __name__ == "__main__":
    main()
