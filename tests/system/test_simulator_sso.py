"""The eligibility simulator's answer is what the person sees after a real SSO sign-in."""

import pytest
from django.utils.html import escape

from memberships.selectors.simulator import eligibility_simulate
from tests.factories import RosterEntryFactory, SponsorshipFactory
from tests.system.idp_harness import TEST_PASSWORD, make_user, sso_sign_in

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("groups", "roster_eligible", "code"),
    [
        (["marketing"], None, "not_in_group_or_roster"),
        (["marketing"], True, "eligible"),
        (["trust-safety"], False, "roster_ineligible"),
        (["trust-safety"], None, "eligible"),
    ],
)
def test_simulator_answer_equals_the_page_after_sign_in(
    sso, new_session, groups, roster_eligible, code
):
    sponsorship = SponsorshipFactory(eligible_groups=["trust-safety"], uses_roster=True)
    if roster_eligible is not None:
        RosterEntryFactory(
            sponsorship=sponsorship, email="", employee_id="E9001", is_eligible=roster_eligible
        )
    [simulated] = eligibility_simulate(
        email="new.hire@example.com", employee_id="E9001", groups=groups
    )
    sso.idp.set_users(
        {
            "newhire": make_user(
                "newhire",
                sub="idp-sub-newhire",
                email="new.hire@example.com",
                employee_id="E9001",
                groups=groups,
            )
        }
    )
    session = new_session()

    result = sso_sign_in(session, sso.base_url, "newhire", TEST_PASSWORD)
    home = session.get(f"{sso.base_url}/", timeout=15)
    page = session.get(f"{sso.base_url}/membership/", timeout=15)

    assert result.response.status_code == 200
    assert simulated.eligibility.code == code
    if code == "eligible":
        assert 'action="/membership/claim/"' in page.text
    else:
        assert escape(simulated.eligibility.reason) in page.text
        assert escape(simulated.eligibility.reason) in home.text
        assert 'action="/membership/claim/"' not in page.text
