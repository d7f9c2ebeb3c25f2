"""allauth adapters: they translate allauth's objects and delegate the rules to services."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthProcess
from django.shortcuts import render
from django.utils.translation import gettext as _

from . import services


def _claims(sociallogin) -> services.IdpClaims:
    extra = sociallogin.account.extra_data or {}
    if sociallogin.account.provider in services.saml_provider_ids():
        return services.claims_from_saml(attributes=extra, subject=sociallogin.account.uid)
    if "userinfo" in extra or "id_token" in extra:
        return services.claims_from_idp(
            id_token=extra.get("id_token") or {}, userinfo=extra.get("userinfo") or {}
        )
    return services.claims_from_idp(id_token={}, userinfo=extra)


def refusal_response(request, message: str, *, status: int):
    return render(request, "portal/signin_refused.html", {"message": message}, status=status)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False  # employees only arrive through SSO; no local sign-up


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return True  # just-in-time accounts; pre_social_login has already vetted the identity

    def is_auto_signup_allowed(self, request, sociallogin) -> bool:
        # Never fall back to allauth's sign-up form, where a person could type any address:
        # pre_social_login has refused every identity it could not sign up as is.
        return True

    def pre_social_login(self, request, sociallogin) -> None:
        user = None
        try:
            if sociallogin.state.get("process") == AuthProcess.CONNECT:
                # One identity per account: linking a second IdP identity would hand its
                # e-mail, subject and staff flag to whoever is signed in.
                raise services.SignInRefused(
                    _("A portal account cannot be linked to another sign-in."), code="connect"
                )
            claims = _claims(sociallogin)
            user = sociallogin.user if sociallogin.is_existing else None
            provisioned = None
            if user is None:
                # The directory may have created the account before this first sign-in.
                provisioned = user = services.provisioned_user_for(claims=claims)
            services.sign_in_check(claims=claims, user=user)
            if provisioned is not None:
                sociallogin.connect(request, provisioned)
        except services.SignInRefused as refusal:
            if refusal.deactivate and user is not None:
                services.user_deactivate_from_idp(user=user)
            raise ImmediateHttpResponse(
                refusal_response(request, str(refusal.message), status=403)
            ) from None
        # allauth signs new people up with the addresses the provider reported; make that the
        # one vetted address, whatever the protocol's own mapping found.
        sociallogin.email_addresses = [
            EmailAddress(email=claims.email, verified=True, primary=True)
        ]
        if user is not None:
            services.user_sync_from_idp(user=user, claims=claims)

    def populate_user(self, request, sociallogin, data):
        # Built from the vetted claims only (allauth's own mapping would slice whatever the
        # IdP sent, and a hostile value would be a 500): pre_social_login refuses anything
        # that does not parse, before a row is written.
        user = sociallogin.user
        try:
            claims = _claims(sociallogin)
        except services.SignInRefused:
            return user
        user.email = claims.email
        user.first_name = claims.given_name
        user.last_name = claims.family_name
        user.idp_subject = claims.subject
        user.name = claims.name
        user.employee_id = claims.employee_id
        user.department = claims.department
        user.idp_groups = claims.groups
        return user

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form)
        return services.user_sync_from_idp(user=user, claims=_claims(sociallogin))

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        # A tampered or replayed callback (unknown state), a denied consent, a failed token
        # exchange, an unsigned or altered SAML response: one clear page, a 400, and nothing
        # created.
        raise ImmediateHttpResponse(
            refusal_response(
                request,
                _("The sign-in could not be completed. Please start again from the sign-in page."),
                status=400,
            )
        )
