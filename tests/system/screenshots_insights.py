"""Take the README's screenshots of programme insights and the learning record, like
tests/system/screenshots.py (run by `make screenshots` too):

    .venv/bin/python tests/system/screenshots_insights.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

OUT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PAGE_MAX_HEIGHT = 2400


@pytest.mark.django_db(transaction=True)
def test_take_insights_screenshots(live_server, browser):
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.urls import reverse

    from memberships.models import Feedback
    from memberships.services.learning import learning_record_settings_update
    from tests.factories import TopicFactory, UserFactory, attended, past_event
    from tests.memberships.insights_data import seed_programme
    from tests.system.browser_support import DESKTOP, PHONE, new_context, sign_in_with_cookie

    seeded = seed_programme()
    priya = UserFactory(name="Priya Shah", email="priya@example.com", is_staff=True)
    priya.groups.add(Group.objects.get_or_create(name=settings.PROGRAMME_ADMINS_GROUP)[0])
    alex = UserFactory(name="Alex Morgan", email="alex@example.com", time_zone="Europe/London")
    moderation = TopicFactory(name="Content moderation")
    policy = TopicFactory(name="Policy")
    for days, title, kind, topics in [
        (9, "Handling graphic content safely", "workshop", [moderation]),
        (30, "Policy writing for new harms", "webinar", [policy]),
        (60, "Quiet hour: decompression after hard shifts", "well_being", []),
        (90, "Escalation paths that work", "workshop", [moderation, policy]),
    ]:
        event = past_event(days_ago=days, title=title, kind=kind)
        event.ends_at = event.starts_at + timedelta(hours=2 if kind == "workshop" else 1)
        event.save()
        event.topics.set(topics)
        registration = attended(event=event, user=alex)
        if days == 30:
            Feedback.objects.create(
                registration=registration,
                rating=5,
                submitted_at=event.ends_at,
                updated_at=event.ends_at,
            )
    learning_record_settings_update(user=alex, shows_well_being=True)
    span = f"?from_month={seeded.first:%Y-%m}&to_month={seeded.second:%Y-%m}"
    shots = [
        ("insights-desktop", priya, reverse("admin:insights") + span, DESKTOP),
        ("learning-record-desktop", alex, reverse("memberships:learning-record"), DESKTOP),
        ("learning-record-phone", alex, reverse("memberships:learning-record"), PHONE),
    ]
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name, user, path, viewport in shots:
        context = new_context(browser, viewport=viewport)
        sign_in_with_cookie(context, live_server.url, user)
        page = context.new_page()
        response = page.goto(live_server.url + path)
        assert response.status == 200, (name, response.status)
        height = min(page.evaluate("() => document.body.scrollHeight"), PAGE_MAX_HEIGHT)
        page.set_viewport_size({"width": viewport["width"], "height": height})
        target = OUT_DIR / f"{name}.png"
        page.screenshot(path=str(target))
        context.close()
        print(f"{target.relative_to(OUT_DIR.parents[1])}: {target.stat().st_size // 1024} KB")


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-s", "-p", "no:cacheprovider", "-W", "error"]))
