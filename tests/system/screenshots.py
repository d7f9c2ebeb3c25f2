"""Take the README's screenshots: the key pages at desktop (1280 px) and phone (375 px) width,
in the light and dark colour schemes, and three e-mails as a mail client shows their HTML,
from a live server with the demo data, in headless chromium.

    make screenshots        # or: .venv/bin/python tests/system/screenshots.py

It runs as a pytest session (live server, test database, the browser fixture of
tests/system/conftest.py) so that it shares everything with the browser tests; its name
does not start with `test_`, so `make test` does not collect it. PNGs go to docs/screenshots/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Run as a script, this module is imported before Django is set up: project imports live
# inside the functions, which only run under pytest.
OUT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE_MAX_HEIGHT = 1600


def _people():
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    alex = UserFactory(
        username="alex",
        name="Alex Morgan",
        first_name="Alex",
        last_name="Morgan",
        email="alex@example.com",
        employee_id="E1001",
        time_zone="Europe/London",
    )
    priya = UserFactory(
        username="priya",
        name="Priya Shah",
        email="priya@example.com",
        department="People Operations",
        idp_groups=["portal-admins"],
        is_staff=True,
    )
    priya.groups.add(Group.objects.get(name="Programme admins"))
    jordan = UserFactory(name="Jordan Lee", email="jordan@example.com", employee_id="E1004")
    return alex, priya, jordan


@pytest.mark.django_db(transaction=True)
def test_take_screenshots(live_server, browser):
    from django.urls import reverse
    from django.utils import timezone

    from memberships.demo import seed_demo
    from memberships.models import Event, Sponsorship
    from tests.factories import MembershipFactory, RegistrationFactory
    from tests.system.browser_support import DESKTOP, PHONE, new_context, sign_in_with_cookie

    seed_demo()
    alex, priya, jordan = _people()
    sponsorship = Sponsorship.objects.get(slug="example-corp-trust-safety")
    MembershipFactory(
        user=alex,
        sponsorship=sponsorship,
        status="active",
        member_number="TSPA-004211",
        activated_at=timezone.now(),
    )
    MembershipFactory(user=jordan, sponsorship=sponsorship, status="pending_partner")
    upcoming = list(Event.objects.filter(status="published", starts_at__gt=timezone.now()))
    for event in upcoming[:2]:
        RegistrationFactory(event=event, user=alex)
    detail = upcoming[0]

    wellness = Event.objects.filter(status="published", kind="well_being").first()
    pages = {
        "home": (alex, reverse("home")),
        "membership": (alex, reverse("memberships:membership")),
        "events": (alex, reverse("memberships:event-list")),
        "event-detail": (alex, reverse("memberships:event-detail", args=[detail.slug])),
        "well-being": (alex, reverse("memberships:well-being")),
        "well-being-event": (alex, reverse("memberships:event-detail", args=[wellness.slug])),
        "my-data": (alex, reverse("memberships:my-data")),
        "admin": (priya, reverse("admin:memberships_membership_changelist")),
        "admin-index": (priya, reverse("admin:index")),
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        suffix = "" if scheme == "light" else "-dark"
        for width_name, viewport in {"desktop": DESKTOP, "phone": PHONE}.items():
            for page_name, (user, path) in pages.items():
                context = new_context(browser, viewport=viewport, color_scheme=scheme)
                sign_in_with_cookie(context, live_server.url, user)
                page = context.new_page()
                response = page.goto(live_server.url + path)
                assert response.status == 200, (page_name, response.status)
                target = OUT_DIR / f"{page_name}-{width_name}{suffix}.png"
                _shoot(page, target, viewport, phone=width_name == "phone")
                context.close()
    _shoot_emails(browser, alex=alex, sponsorship=sponsorship, event=upcoming[2])


def _shoot(page, target, viewport, *, phone: bool, full_page: bool = False) -> None:
    if phone:  # the top of a long page, as far as a few scrolls go
        height = min(page.evaluate("() => document.body.scrollHeight"), PHONE_MAX_HEIGHT)
        page.set_viewport_size({"width": viewport["width"], "height": height})
    page.screenshot(path=str(target), full_page=full_page)
    print(f"{target.relative_to(OUT_DIR.parents[1])}: {target.stat().st_size // 1024} KB")


def _shoot_emails(browser, *, alex, sponsorship, event) -> None:
    """Three e-mails, written by the real services and rendered by the real helper."""
    from memberships.emails import make_message
    from memberships.models import Notification
    from memberships.services.claims import membership_activate, membership_claim
    from memberships.services.events import registration_create
    from tests.factories import UserFactory
    from tests.system.browser_support import new_context

    mei = UserFactory(
        name="Mei Chen",
        first_name="Mei",
        last_name="Chen",
        email="mei@example.com",
        employee_id="E1005",
        idp_groups=["trust-safety"],
        time_zone="Asia/Karachi",
    )
    membership = membership_claim(
        user=mei, sponsorship=sponsorship, consent_version=sponsorship.consent_version
    )
    membership_activate(membership=membership, member_number="TSPA-004377")
    registration_create(user=alex, event=event)
    kinds = {
        "email-registration-confirmed": ("registration_confirmed", alex),
        "email-membership-active": ("membership_active", mei),
        "email-partner-new-member": ("partner_member_claimed", None),
    }
    context = new_context(browser, viewport={"width": 720, "height": 900})
    page = context.new_page()
    for name, (kind, user) in kinds.items():
        rows = Notification.objects.filter(kind=kind, channel="email")
        notification = (rows.filter(user=user) if user else rows).latest("pk")
        page.set_content(make_message(notification).alternatives[0].content)
        _shoot(page, OUT_DIR / f"{name}.png", None, phone=False, full_page=True)
    context.close()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-s", "-p", "no:cacheprovider", "-W", "error"]))
