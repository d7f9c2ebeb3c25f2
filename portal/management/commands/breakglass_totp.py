from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Give the break-glass superuser an authenticator (TOTP) device and print its otpauth:// "
        "URL once, to be added to an authenticator app. Replaces any previous device."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}. Create it with createsuperuser.")
        if not user.is_superuser or user.idp_subject:
            raise CommandError(
                "Only a local superuser (never an SSO account) may have a TOTP device."
            )
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name="break-glass", confirmed=True)
        self.stdout.write("Add this to an authenticator app (shown only now):")
        self.stdout.write(device.config_url)
