"""Take the README's screenshots of the portal in other languages: the home and membership
pages in Arabic (right to left) and Spanish, at desktop and phone width, like
tests/system/screenshots.py (run by `make screenshots` too):

    .venv/bin/python tests/system/screenshots_languages.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

OUT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE_MAX_HEIGHT = 1600


@pytest.mark.django_db(transaction=True)
def test_take_language_screenshots(live_server, browser):
    from django.urls import reverse
    from django.utils import timezone

    from memberships.demo import seed_demo
    from memberships.models import Event, Sponsorship
    from tests.factories import MembershipFactory, RegistrationFactory, UserFactory
    from tests.system.browser_support import DESKTOP, PHONE, new_context, sign_in_with_cookie

    seed_demo()
    alex = UserFactory(
        username="alex",
        name="Alex Morgan",
        email="alex@example.com",
        employee_id="E1001",
        time_zone="Europe/London",
    )
    sponsorship = Sponsorship.objects.get(slug="example-corp-trust-safety")
    MembershipFactory(
        user=alex,
        sponsorship=sponsorship,
        status="active",
        member_number="TSPA-004211",
        activated_at=timezone.now(),
    )
    for event in Event.objects.filter(status="published", starts_at__gt=timezone.now())[:2]:
        RegistrationFactory(event=event, user=alex)

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for language in ("ar", "es"):
        alex.language = language
        alex.save(update_fields=["language"])
        for page_name, path in (
            ("home", reverse("home")),
            ("membership", reverse("memberships:membership")),
        ):
            for width_name, viewport in {"desktop": DESKTOP, "phone": PHONE}.items():
                context = new_context(browser, viewport=viewport)
                sign_in_with_cookie(context, live_server.url, alex)
                page = context.new_page()
                response = page.goto(live_server.url + path)
                assert response.status == 200, (page_name, response.status)
                assert page.locator("html").get_attribute("lang") == language
                if width_name == "phone":
                    height = min(
                        page.evaluate("() => document.body.scrollHeight"), PHONE_MAX_HEIGHT
                    )
                    page.set_viewport_size({"width": viewport["width"], "height": height})
                target = OUT_DIR / f"{page_name}-{width_name}-{language}.png"
                page.screenshot(path=str(target))
                print(
                    f"{target.relative_to(OUT_DIR.parents[1])}: {target.stat().st_size // 1024} KB"
                )
                context.close()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-s", "-p", "no:cacheprovider", "-W", "error"]))
