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
