from django.conf import settings
from django.utils import translation

from .forms import LanguageForm


def portal(request) -> dict:
    return {
        "PROGRAMME_NAME": settings.PROGRAMME_NAME,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "SSO_PROVIDER_NAME": settings.OIDC_PROVIDER_NAME,
        "language_form": LanguageForm(
            auto_id="language-switch-%s",
            initial={"language": translation.get_language(), "next": request.get_full_path()},
        ),
        "OIDC_ENABLED": settings.OIDC_ENABLED,
        "SAML_ENABLED": settings.SAML_ENABLED,
        "SAML_ORGANIZATION_SLUG": settings.SAML_ORGANIZATION_SLUG,
        "SAML_PROVIDER_NAME": settings.SAML_PROVIDER_NAME,
    }
