import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def break_glass(db):
    user = UserFactory(
        username="breakglass",
        is_superuser=True,
        is_staff=True,
        idp_subject=None,
        password="a-long-break-glass-passphrase",
    )
    device = TOTPDevice.objects.create(user=user, name="break-glass", confirmed=True)
    return user, device


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_admin_admits_staff_signed_in_with_sso(admin_client_sso):
    response = admin_client_sso.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "Programme administration" in response.content.decode()


def test_admin_refuses_staff_whose_session_did_not_come_from_sso(client, admin_user):
    client.force_login(admin_user)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_refuses_employee_without_staff_rights(employee_client):
    response = employee_client.get(reverse("admin:index"))

    assert response.status_code == 302


def test_admin_login_page_offers_sso_and_break_glass(client):
    response = client.get(reverse("admin:login"))

    body = response.content.decode()
    assert 'action="/accounts/oidc/sso/login/"' in body
    assert 'name="otp_token"' in body


def test_break_glass_signs_in_with_password_and_totp(client, break_glass):
    user, device = break_glass

    response = client.post(
        reverse("admin:login"),
        {
            "username": "breakglass",
            "password": "a-long-break-glass-passphrase",
            "otp_token": current_code(device),
            "next": "/admin/",
        },
    )
    index = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert index.status_code == 200


def test_break_glass_without_totp_code_is_refused(client, break_glass):
    response = client.post(
        reverse("admin:login"),
        {"username": "breakglass", "password": "a-long-break-glass-passphrase", "otp_token": ""},
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "authenticator" in response.content.decode()


def test_break_glass_with_wrong_totp_code_is_refused(client, break_glass):
    _user, device = break_glass
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    response = client.post(
        reverse("admin:login"),
        {"username": "breakglass", "password": "a-long-break-glass-passphrase", "otp_token": wrong},
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_password_login_is_refused_for_staff_who_are_not_break_glass(client):
    UserFactory(username="staffer", is_staff=True, password="a-long-staff-passphrase-1")

    response = client.post(
        reverse("admin:login"),
        {"username": "staffer", "password": "a-long-staff-passphrase-1", "otp_token": "123456"},
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_breakglass_totp_command_creates_one_confirmed_device(break_glass, capsys):
    from django.core.management import call_command

    user, _device = break_glass

    call_command("breakglass_totp", "breakglass")

    assert list(TOTPDevice.objects.filter(user=user).values_list("confirmed", flat=True)) == [True]
    assert "otpauth://totp/" in capsys.readouterr().out


GENERIC_REFUSAL = (
    "Sign-in refused: the user name, password and authenticator code do not match the "
    "break-glass administrator. Staff sign in with SSO."
)


def _errors(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


def _sign_in(client, password, code, username="breakglass", ip="198.51.100.7"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "otp_token": code, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


def test_break_glass_gives_one_error_whatever_was_wrong(client, break_glass):
    _user, device = break_glass
    right_password, right_code = "a-long-break-glass-passphrase", current_code(device)
    wrong_code = f"{(int(right_code) + 1) % 1_000_000:06d}"

    wrong_password = _sign_in(client, "not-the-passphrase", right_code)
    wrong_totp = _sign_in(client, right_password, wrong_code)
    no_totp = _sign_in(client, right_password, "")
    unknown_user = _sign_in(client, right_password, right_code, username="nobody")

    responses = (wrong_password, wrong_totp, no_totp, unknown_user)
    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    assert [_errors(r) for r in responses] == [[GENERIC_REFUSAL]] * 4
    assert "_auth_user_id" not in client.session


def test_break_glass_11th_attempt_is_locked_out_even_with_the_right_credentials(
    client, break_glass, settings
):
    settings.BREAKGLASS_LOCKOUT_SECONDS = 24 * 3600  # no window ends mid-test
    _user, device = break_glass

    failures = [_sign_in(client, f"guess-{n}", "000000").status_code for n in range(10)]
    eleventh = _sign_in(client, "a-long-break-glass-passphrase", current_code(device))

    assert failures == [200] * 10
    assert eleventh.status_code == 429
    assert 1 <= int(eleventh["Retry-After"]) <= 24 * 3600
    assert "Please slow down" in eleventh.content.decode()
    assert "_auth_user_id" not in client.session


def test_break_glass_lockout_follows_the_user_name_across_addresses(client, break_glass, settings):
    settings.BREAKGLASS_MAX_FAILURES = 3
    settings.BREAKGLASS_LOCKOUT_SECONDS = 24 * 3600
    _user, device = break_glass
    for n in range(3):
        _sign_in(client, f"guess-{n}", "000000", ip=f"198.51.100.{n}")

    from_a_new_address = _sign_in(
        client, "a-long-break-glass-passphrase", current_code(device), ip="203.0.113.9"
    )

    assert from_a_new_address.status_code == 429


def test_break_glass_lockout_follows_the_address_across_user_names(client, break_glass, settings):
    settings.BREAKGLASS_MAX_FAILURES = 3
    settings.BREAKGLASS_LOCKOUT_SECONDS = 24 * 3600
    _user, device = break_glass
    for n in range(3):
        _sign_in(client, "guess", "000000", username=f"someone-{n}")

    response = _sign_in(client, "a-long-break-glass-passphrase", current_code(device))

    assert response.status_code == 429


def test_break_glass_below_the_limit_still_signs_in(client, break_glass):
    _user, device = break_glass
    for n in range(9):
        _sign_in(client, f"guess-{n}", "000000")

    response = _sign_in(client, "a-long-break-glass-passphrase", current_code(device))

    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
