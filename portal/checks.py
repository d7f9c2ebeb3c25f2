"""Deploy checks (`manage.py check --deploy`): settings that must not reach production."""

from django.conf import settings
from django.core import checks

DEMO_OIDC_CLIENT_SECRET = "portal-demo-secret"  # noqa: S105 -- the published demo value
FILE_EMAIL_BACKENDS = (
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
)


@checks.register(checks.Tags.security, deploy=True)
def check_production_settings(app_configs, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    if settings.OIDC_CLIENT_SECRET == DEMO_OIDC_CLIENT_SECRET:
        errors.append(
            checks.Error(
                "OIDC_CLIENT_SECRET is the demo client's published secret.",
                hint="Set the secret your identity provider issued for the portal.",
                id="portal.E001",
            )
        )
    if not settings.OIDC_SERVER_URL.startswith("https://"):
        errors.append(
            checks.Error(
                "OIDC_SERVER_URL is not an https:// address.",
                hint="Tokens and user claims must travel over TLS: use the IdP's https issuer.",
                id="portal.E002",
            )
        )
    if settings.HTTPS and settings.EMAIL_BACKEND in FILE_EMAIL_BACKENDS:
        errors.append(
            checks.Error(
                f"EMAIL_BACKEND is {settings.EMAIL_BACKEND} although HTTPS=true: no e-mail "
                "would leave the machine.",
                hint="Set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and EMAIL_*.",
                id="portal.E003",
            )
        )
    rate_limit_cache = settings.CACHES.get(settings.RATELIMIT_USE_CACHE, {})
    if settings.HTTPS and "redis" not in rate_limit_cache.get("BACKEND", "").lower():
        errors.append(
            checks.Error(
                "Rate limits and the break-glass lockout are counted per process.",
                hint="Set REDIS_URL so every web process shares the counts.",
                id="portal.E004",
            )
        )
    return errors
