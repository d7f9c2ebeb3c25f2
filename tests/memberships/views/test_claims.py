import pytest
from django.urls import reverse
from django.utils.html import escape

from memberships.enums import LIVE_MEMBERSHIP_STATUSES, MembershipStatus
from memberships.models import Membership, SeatWaitlistEntry
from tests.conftest import sso_login
from tests.factories import MembershipFactory, SponsorshipFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

PAGE_URL = reverse("memberships:membership")
CLAIM_URL = reverse("memberships:membership-claim")
WAITLIST_URL = reverse("memberships:membership-waitlist")


def _claim_data(sponsorship, **overrides) -> dict:
    return {
        "sponsorship": sponsorship.slug,
        "consent_version": sponsorship.consent_version,
        "consent": "on",
        **overrides,
    }


def test_membership_page_requires_sign_in(client):
    response = client.get(PAGE_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_membership_page_shows_offer_shared_fields_with_values_and_consent(employee_client):
    sponsorship = SponsorshipFactory(seats=10, shared_fields=["email", "department"])
    MembershipFactory(sponsorship=sponsorship)

    response = employee_client.get(PAGE_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert escape(sponsorship.name) in html
    assert sponsorship.partner.name in html
    assert "9 seats left" in html
    assert '<th scope="row">Work e-mail</th><td>alex@example.com</td>' in html
    assert '<th scope="row">Department</th><td>Trust &amp; Safety</td>' in html
    assert sponsorship.consent_text in html
    assert 'name="consent"' in html
    assert "Claim my membership" in html


def test_membership_page_tells_an_ineligible_employee_why_and_whom_to_ask(client, other_employee):
    SponsorshipFactory()
    sso_login(client, other_employee)

    response = client.get(PAGE_URL)

    html = response.content.decode()
    assert (
        "This membership is for the teams the company chose, and your company account "
        "does not place you in one of them."
    ) in html
    assert "trust-safety group" not in html
    assert "mailto:tns-programme@example.com" in html
    assert "Claim my membership" not in html


def test_membership_claim_creates_membership_and_redirects(employee_client, employee):
    sponsorship = SponsorshipFactory()

    response = employee_client.post(CLAIM_URL, _claim_data(sponsorship), follow=True)

    membership = Membership.objects.get(user=employee)
    assert response.redirect_chain == [(PAGE_URL, 302)]
    assert membership.status == MembershipStatus.PENDING_PARTNER
    html = response.content.decode()
    assert "your claim for" in html
    assert "Waiting for the partner" in html
    assert "Data receipt" in html


def test_membership_claim_double_submit_yields_one_membership(employee_client, employee):
    sponsorship = SponsorshipFactory()

    employee_client.post(CLAIM_URL, _claim_data(sponsorship))
    response = employee_client.post(CLAIM_URL, _claim_data(sponsorship), follow=True)

    assert Membership.objects.filter(user=employee).count() == 1
    assert response.status_code == 200
    assert "You already hold this membership. Nothing was changed." in response.content.decode()


def test_membership_claim_without_consent_is_a_400_with_a_clear_message(employee_client):
    sponsorship = SponsorshipFactory()

    response = employee_client.post(CLAIM_URL, _claim_data(sponsorship, consent=""))

    assert response.status_code == 400
    assert "Please tick the box to agree" in response.content.decode()
    assert Membership.objects.count() == 0


def test_membership_claim_of_unknown_sponsorship_is_a_400(employee_client):
    response = employee_client.post(
        CLAIM_URL, {"sponsorship": "nope", "consent_version": "v1", "consent": "on"}
    )

    assert response.status_code == 400
    assert "That sponsorship does not exist." in response.content.decode()


def test_membership_claim_refused_shows_the_reason(client, other_employee):
    sponsorship = SponsorshipFactory()
    sso_login(client, other_employee)

    response = client.post(CLAIM_URL, _claim_data(sponsorship), follow=True)

    assert response.redirect_chain == [(PAGE_URL, 302)]
    assert "does not place you in one of them" in response.content.decode()
    assert Membership.objects.count() == 0


def test_membership_claim_get_goes_back_to_the_membership_page(employee_client):
    response = employee_client.get(CLAIM_URL)
    put = employee_client.put(CLAIM_URL)

    assert response.status_code == 302
    assert response["Location"] == reverse("memberships:membership")
    assert put.status_code == 405
    assert Membership.objects.count() == 0


def test_membership_waitlist_join_when_full(employee_client, employee):
    sponsorship = SponsorshipFactory(seats=1)
    MembershipFactory(sponsorship=sponsorship)
    page = employee_client.get(PAGE_URL).content.decode()

    response = employee_client.post(WAITLIST_URL, _claim_data(sponsorship), follow=True)

    assert "Join the seat waitlist" in page
    assert SeatWaitlistEntry.objects.filter(user=employee).count() == 1
    assert "You joined the seat waitlist" in response.content.decode()


def test_membership_waitlist_leave_takes_only_the_employee_off_the_list(employee_client):
    sponsorship = SponsorshipFactory(seats=1)
    MembershipFactory(sponsorship=sponsorship)
    colleague = UserFactory()
    sso_login(client := employee_client.__class__(), colleague)
    client.post(WAITLIST_URL, _claim_data(sponsorship))
    employee_client.post(WAITLIST_URL, _claim_data(sponsorship))

    response = employee_client.post(
        reverse("memberships:membership-waitlist-leave"),
        {"sponsorship": sponsorship.slug},
        follow=True,
    )

    waiting = SeatWaitlistEntry.objects.filter(sponsorship=sponsorship, status="waiting")
    assert list(waiting.values_list("user", flat=True)) == [colleague.pk]
    assert "You have left the seat waitlist." in response.content.decode()


def test_membership_waitlist_leave_of_unknown_sponsorship_is_a_400(employee_client):
    response = employee_client.post(
        reverse("memberships:membership-waitlist-leave"), {"sponsorship": "no-such-thing"}
    )

    assert response.status_code == 400
    assert "That sponsorship does not exist." in response.content.decode()


def test_membership_release_asks_for_confirmation_first(employee_client, employee):
    membership = MembershipFactory(user=employee)
    url = reverse("memberships:membership-release", args=[membership.public_id])

    response = employee_client.post(url)

    membership.refresh_from_db()
    assert response.status_code == 200
    assert "Yes, release my membership" in response.content.decode()
    assert membership.status == MembershipStatus.PENDING_PARTNER


def test_membership_release_confirmed_releases(employee_client, employee):
    membership = MembershipFactory(user=employee)
    url = reverse("memberships:membership-release", args=[membership.public_id])

    response = employee_client.post(url, {"confirm": "true"}, follow=True)

    membership.refresh_from_db()
    assert response.redirect_chain == [(PAGE_URL, 302)]
    assert membership.status == MembershipStatus.RELEASED
    assert "Your membership is released." in response.content.decode()


def test_membership_release_of_someone_elses_membership_is_404(employee_client, other_employee):
    theirs = MembershipFactory(user=other_employee)
    url = reverse("memberships:membership-release", args=[theirs.public_id])

    confirm_page = employee_client.post(url)
    release = employee_client.post(url, {"confirm": "true"})

    theirs.refresh_from_db()
    assert (confirm_page.status_code, release.status_code) == (404, 404)
    assert theirs.status == MembershipStatus.PENDING_PARTNER


def test_membership_page_never_shows_someone_elses_membership(employee_client, other_employee):
    sponsorship = SponsorshipFactory()
    theirs = MembershipFactory(
        user=other_employee,
        sponsorship=sponsorship,
        status=MembershipStatus.ACTIVE,
        member_number="SECRET-77",
    )

    html = employee_client.get(PAGE_URL).content.decode()

    assert "SECRET-77" not in html
    assert str(theirs.public_id) not in html
    assert "sam@example.com" not in html


def test_membership_page_shows_status_number_timeline_and_receipt(employee_client, employee):
    membership = MembershipFactory(
        user=employee, status=MembershipStatus.ACTIVE, member_number="TSPA-0042"
    )
    membership.activated_at = membership.shared_at
    membership.save()

    html = employee_client.get(PAGE_URL).content.decode()

    assert '<bdi class="member-number" dir="ltr">TSPA-0042</bdi>' in html
    assert "Activated by" in html
    assert "we sent" in html
    assert f'<th scope="row">Employee id</th><td>{employee.employee_id}</td>' in html
    assert "Release my membership" in html


def _bulk_memberships(sponsorship, count: int) -> None:
    users = UserFactory.create_batch(count)
    Membership.objects.bulk_create(
        Membership(
            user=user,
            sponsorship=sponsorship,
            status=MembershipStatus.ACTIVE if i % 2 else MembershipStatus.RELEASED,
            consent_version="v1",
            consent_text="ok",
            consented_at=sponsorship.created_at,
            consent_fields=["email"],
            shared_data={"email": user.email},
        )
        for i, user in enumerate(users)
    )


@pytest.mark.parametrize("count", [10, 1000])
def test_membership_page_runs_constant_queries(
    count, employee_client, employee, django_assert_max_num_queries
):
    sponsorships = [SponsorshipFactory(seats=None), SponsorshipFactory(seats=5000)]
    _bulk_memberships(sponsorships[0], count)
    MembershipFactory(user=employee, sponsorship=sponsorships[1])
    MembershipFactory(user=employee, sponsorship=sponsorships[1], status=MembershipStatus.RELEASED)

    with django_assert_max_num_queries(8):
        response = employee_client.get(PAGE_URL)

    assert response.status_code == 200
    assert Membership.objects.filter(status__in=LIVE_MEMBERSHIP_STATUSES).count() >= count // 2
    assert "Earlier memberships" in response.content.decode()
