from django.conf import settings


def portal(request) -> dict:
    return {
        "PROGRAMME_NAME": settings.PROGRAMME_NAME,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "SSO_PROVIDER_NAME": settings.OIDC_PROVIDER_NAME,
    }
