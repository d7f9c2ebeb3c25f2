"""What the service provider declares at /ServiceProviderConfig, /ResourceTypes and /Schemas:
the RFC 7643 User (with the enterprise extension) and Group, PATCH and filters, bearer tokens.
Bulk, sorting, ETags and password changes are declared unsupported (and so refused)."""

from __future__ import annotations

from django.conf import settings
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    Patch,
    ResourceType,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
)

USER_MODEL = User[EnterpriseUser]
GROUP_MODEL = Group

BEARER = AuthenticationScheme(
    type=AuthenticationScheme.Type.oauthbearertoken,
    name="Bearer token",
    description="A token of the IdP connection, created with `manage.py scim_token`.",
)


def build_provider() -> ScimProvider:
    config = ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=settings.SCIM_MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[BEARER],
    )
    return ScimProvider(
        models=[User, EnterpriseUser, Group],
        resource_types=[
            ResourceType.from_resource(USER_MODEL),
            ResourceType.from_resource(GROUP_MODEL),
        ],
        config=config,
    )
