"""Deprovisioning, group changes and the eligibility grace period (portal/provisioning.py),
driven the way the IdP drives them: through /scim/v2/."""

import datetime
import json

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from memberships.enums import MembershipStatus, NotificationKind, RegistrationStatus, WaitlistStatus
from memberships.models import Membership, Notification, SeatWaitlistEntry
from memberships.services.claims import membership_claim, waitlist_join
from portal import provisioning
from portal.models import EligibilityGrace, IdpConnection, User
from portal.scim.services import scim_group_save, scim_user_save
from portal.scim.tokens import scim_token_create
from tests.conftest import sso_login
from tests.factories import EventFactory, RegistrationFactory, SponsorshipFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def connection(db):
    return IdpConnection.objects.create(name="Okta", slug="okta")


def provision(connection, user, *, groups=()):
    """The IdP's view of an existing employee: a SCIM user linked to `user`, in `groups`."""
    scim_user = scim_user_save(
        connection=connection,
        scim_user=None,
        data={
            "userName": user.email,
            "externalId": user.idp_subject,
            "emails": [{"value": user.email, "primary": True}],
            "active": True,
        },
    )
    for name in groups:
        scim_group_save(
            connection=connection,
            scim_group=None,
            data={"displayName": name},
            member_ids=[str(scim_user.scim_id)],
        )
    return scim_user


def scim_patch(client, connection, path, *operations):
    _token, raw = scim_token_create(connection=connection)
    return client.patch(
        f"/scim/v2/{path}",
        data=json.dumps({"schemas": [PATCH_SCHEMA], "Operations": list(operations)}),
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )


def test_scim_deactivation_deprovisions_in_one_go(
    client, connection, django_capture_on_commit_callbacks
):
    sponsorship = SponsorshipFactory(seats=1)
    leaver = UserFactory(
        email="leaver@example.com", is_staff=True, idp_groups=["trust-safety", "portal-admins"]
    )
    Group.objects.get_or_create(name="Programme admins")[0].user_set.add(leaver)
    next_in_line = UserFactory(email="next@example.com")
    membership = membership_claim(user=leaver, sponsorship=sponsorship, consent_version="v1")
    waitlist_join(user=next_in_line, sponsorship=sponsorship, consent_version="v1")
    event = EventFactory(capacity=1)
    past_event = EventFactory(
        starts_at=timezone.now() - datetime.timedelta(days=2),
        ends_at=timezone.now() - datetime.timedelta(days=2) + datetime.timedelta(hours=1),
    )
    seat = RegistrationFactory(event=event, user=leaver, status=RegistrationStatus.CONFIRMED)
    waiting = RegistrationFactory(event=event, status=RegistrationStatus.WAITLISTED)
    attended = RegistrationFactory(
        event=past_event, user=leaver, status=RegistrationStatus.CONFIRMED
    )
    scim_user = provision(connection, leaver, groups=["trust-safety", "portal-admins"])
    browser = client.__class__()
    leaver.refresh_from_db()
    sso_login(browser, leaver)
    assert browser.get("/").status_code == 200
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        response = scim_patch(
            client,
            connection,
            f"Users/{scim_user.scim_id}",
            {"op": "replace", "value": {"active": False}},
        )

    assert response.status_code in {200, 204}
    leaver.refresh_from_db()
    assert (leaver.is_active, leaver.is_staff, list(leaver.groups.all())) == (False, False, [])
    membership.refresh_from_db()
    assert (membership.status, membership.end_reason) == (
        MembershipStatus.REVOKED,
        "Left the company",
    )
    assert Membership.objects.get(user=next_in_line).status == MembershipStatus.PENDING_PARTNER
    assert SeatWaitlistEntry.objects.get(user=next_in_line).status == WaitlistStatus.OFFERED
    seat.refresh_from_db()
    waiting.refresh_from_db()
    attended.refresh_from_db()
    assert (seat.status, waiting.status, attended.status) == (
        RegistrationStatus.CANCELLED,
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.CONFIRMED,
    )
    partner_revoked = Notification.objects.filter(kind=NotificationKind.PARTNER_MEMBER_REVOKED)
    assert partner_revoked.count() == 1
    # Told once of each: the membership revoked, and the registration the portal cancelled.
    assert sorted(Notification.objects.filter(user=leaver).values_list("kind", flat=True)) == [
        NotificationKind.MEMBERSHIP_REVOKED,
        NotificationKind.REGISTRATION_CANCELLED,
    ]
    assert browser.get("/").status_code == 302  # the session ended with the account


def test_scim_deprovisioning_twice_notifies_once(client, connection):
    sponsorship = SponsorshipFactory()
    leaver = UserFactory()
    membership_claim(user=leaver, sponsorship=sponsorship, consent_version="v1")
    scim_user = provision(connection, leaver, groups=["trust-safety"])

    scim_patch(
        client,
        connection,
        f"Users/{scim_user.scim_id}",
        {"op": "replace", "value": {"active": False}},
    )
    response = client.delete(
        f"/scim/v2/Users/{scim_user.scim_id}",
        HTTP_AUTHORIZATION=f"Bearer {scim_token_create(connection=connection)[1]}",
    )

    assert response.status_code == 204
    assert Notification.objects.filter(kind=NotificationKind.PARTNER_MEMBER_REVOKED).count() == 1
    assert Notification.objects.filter(kind=NotificationKind.MEMBERSHIP_REVOKED).count() == 1
    assert User.objects.get(pk=leaver.pk).is_active is False


def test_scim_reactivation_restores_the_account_not_the_memberships(client, connection):
    sponsorship = SponsorshipFactory()
    person = UserFactory()
    membership = membership_claim(user=person, sponsorship=sponsorship, consent_version="v1")
    scim_user = provision(connection, person, groups=["trust-safety"])
    scim_patch(
        client,
        connection,
        f"Users/{scim_user.scim_id}",
        {"op": "replace", "value": {"active": False}},
    )

    scim_patch(
        client,
        connection,
        f"Users/{scim_user.scim_id}",
        {"op": "replace", "value": {"active": True}},
    )

    person.refresh_from_db()
    membership.refresh_from_db()
    assert person.is_active is True
    assert membership.status == MembershipStatus.REVOKED
    assert list(Membership.objects.filter(user=person).values_list("status", flat=True)) == [
        "revoked"
    ]


def test_group_loss_starts_a_grace_period_and_tells_the_employee(
    connection, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.ELIGIBILITY_GRACE_DAYS = 30
    sponsorship = SponsorshipFactory(eligible_groups=["trust-safety"])
    person = UserFactory(time_zone="Europe/Dublin")
    membership = membership_claim(user=person, sponsorship=sponsorship, consent_version="v1")
    scim_user = provision(connection, person, groups=["trust-safety"])
    group = scim_user.scim_groups.get()
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        scim_group_save(
            connection=connection,
            scim_group=group,
            data={"displayName": "trust-safety"},
            member_ids=[],
        )

    grace = EligibilityGrace.objects.get()
    membership.refresh_from_db()
    assert grace.membership == membership
    assert (
        before + datetime.timedelta(days=30)
        <= grace.ends_at
        <= timezone.now() + datetime.timedelta(days=30)
    )
    assert membership.status == MembershipStatus.PENDING_PARTNER
    notice = Notification.objects.get(kind=NotificationKind.MEMBERSHIP_GRACE)
    assert notice.payload["ends_at_display"].endswith("(Europe/Dublin)")
    assert [m.subject for m in mailoutbox if m.to == [person.email]][-1].startswith(
        f"Your membership ({sponsorship.name}) ends on "
    )


def test_grace_ends_the_membership_unless_eligible_again(connection):
    sponsorship = SponsorshipFactory(eligible_groups=["trust-safety"])
    leaving, returning = UserFactory(), UserFactory()
    kept = membership_claim(user=returning, sponsorship=sponsorship, consent_version="v1")
    lost = membership_claim(user=leaving, sponsorship=sponsorship, consent_version="v1")
    for person in (leaving, returning):
        provisioning.user_groups_apply(user=person, groups=[], actor_label="test")
    provisioning.user_groups_apply(user=returning, groups=["trust-safety"], actor_label="test")
    assert list(EligibilityGrace.objects.values_list("membership_id", flat=True)) == [lost.pk]
    EligibilityGrace.objects.update(ends_at=timezone.now() - datetime.timedelta(minutes=1))

    revoked = provisioning.eligibility_graces_end()
    again = provisioning.eligibility_graces_end()

    lost.refresh_from_db()
    kept.refresh_from_db()
    assert (revoked, again) == (1, 0)
    assert lost.status == MembershipStatus.REVOKED
    assert kept.status == MembershipStatus.PENDING_PARTNER
    assert EligibilityGrace.objects.count() == 0


def test_grace_not_yet_due_is_left_alone(connection):
    person = UserFactory()
    membership = membership_claim(
        user=person, sponsorship=SponsorshipFactory(), consent_version="v1"
    )
    provisioning.user_groups_apply(user=person, groups=[], actor_label="test")

    assert provisioning.eligibility_graces_end() == 0
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.PENDING_PARTNER


def test_staff_session_ends_when_the_admin_group_is_lost(client, admin_user):
    sso_login(client, admin_user)
    assert client.get("/admin/").status_code == 200

    provisioning.user_groups_apply(user=admin_user, groups=["marketing"], actor_label="test")

    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert client.get("/").status_code == 302


def test_staff_sign_in_lasts_at_most_staff_session_age(client, admin_user, employee, settings):
    settings.STAFF_SESSION_AGE = 7200
    staff_browser, employee_browser = client, client.__class__()

    sso_login(staff_browser, admin_user)
    sso_login(employee_browser, employee)

    assert staff_browser.session.get_expiry_age() == 7200
    assert employee_browser.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_admin_refuses_a_session_older_than_staff_session_age(client, employee, settings):
    settings.STAFF_SESSION_AGE = 7200
    sso_login(client, employee)
    User.objects.filter(pk=employee.pk).update(is_staff=True)  # promoted mid-session
    session = client.session
    session["portal_signed_in_at"] -= 7201
    session.save()

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_registrations_cancel_future_for_user_locks_each_event():
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from memberships.services.events import registrations_cancel_future_for_user

    person = UserFactory()
    for _ in range(3):
        RegistrationFactory(user=person, status=RegistrationStatus.CONFIRMED)

    with CaptureQueriesContext(db) as captured:
        cancelled = registrations_cancel_future_for_user(user=person)

    assert [r.status for r in cancelled] == [RegistrationStatus.CANCELLED] * 3
    assert any("FOR UPDATE" in q["sql"] and "memberships_event" in q["sql"] for q in captured)


def test_grace_task_is_scheduled_daily_and_ends_due_graces():
    from memberships.schedules import BEAT_SCHEDULE
    from memberships.tasks import task_end_eligibility_graces

    person = UserFactory()
    membership = membership_claim(
        user=person, sponsorship=SponsorshipFactory(), consent_version="v1"
    )
    provisioning.user_groups_apply(user=person, groups=[], actor_label="test")
    EligibilityGrace.objects.update(ends_at=timezone.now() - datetime.timedelta(seconds=1))

    task_end_eligibility_graces.delay()

    membership.refresh_from_db()
    assert BEAT_SCHEDULE["end-eligibility-graces"]["task"] == task_end_eligibility_graces.name
    assert membership.status == MembershipStatus.REVOKED
