from django.conf import settings


def portal(request) -> dict:
    return {
        "PROGRAMME_NAME": settings.PROGRAMME_NAME,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "SSO_PROVIDER_NAME": settings.OIDC_PROVIDER_NAME,
        "OIDC_ENABLED": settings.OIDC_ENABLED,
        "SAML_ENABLED": settings.SAML_ENABLED,
        "SAML_ORGANIZATION_SLUG": settings.SAML_ORGANIZATION_SLUG,
        "SAML_PROVIDER_NAME": settings.SAML_PROVIDER_NAME,
    }
