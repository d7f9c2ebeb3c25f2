"""scim2-server's storage contract over the portal's tables, for one IdP connection.

Reads build resources from `ScimUser`/`ScimGroup` rows; writes go through `services.py`.
A connection sees only its own resources."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.db.models import Q
from scim2_models import (
    NotFoundException,
    PreconditionFailedException,
    Resource,
    ResourceType,
    ResponseParameters,
    SearchRequest,
)
from scim2_models.path import CompareOperator, Comparison
from scim2_server.storage import ScimStorage, SearchPage

from ..models import IdpConnection, ScimGroup, ScimUser
from . import services
from .provider import GROUP_MODEL, USER_MODEL

# Filters the IdPs send, answered by the database; anything else is evaluated by
# scim2-models on the connection's resources.
USER_COLUMNS = {"username": "user_name__iexact", "externalid": "external_id", "id": "scim_id"}
GROUP_COLUMNS = {
    "displayname": "display_name__iexact",
    "externalid": "external_id",
    "id": "scim_id",
}


def _version(number: int) -> str:
    return f'W/"{number}"'


def _meta(row, resource_type: str) -> dict:
    return {
        "resourceType": resource_type,
        "created": row.created_at.isoformat(),
        "lastModified": row.updated_at.isoformat(),
        "version": _version(row.version),
    }


def user_resource(row: ScimUser) -> Resource[Any]:
    data = dict(row.data)
    data["id"] = str(row.scim_id)
    data["userName"] = row.user_name
    if row.external_id:
        data["externalId"] = row.external_id
    groups = [
        {"value": str(g.scim_id), "display": g.display_name, "$ref": f"Groups/{g.scim_id}"}
        for g in row.scim_groups.all()
    ]
    if groups:
        data["groups"] = groups
    data["meta"] = _meta(row, "User")
    return USER_MODEL.model_validate(data)


def group_resource(row: ScimGroup) -> Resource[Any]:
    data = dict(row.data)
    data["id"] = str(row.scim_id)
    data["displayName"] = row.display_name
    if row.external_id:
        data["externalId"] = row.external_id
    # The members as the IdP last sent them (display, type), limited to those still present.
    current = {str(m.scim_id): m for m in row.members.all()}
    sent = {m.get("value"): m for m in data.pop("members", []) if isinstance(m, dict)}
    members = [
        {
            **sent.get(value, {"display": member.user_name, "type": "User"}),
            "value": value,
            "$ref": f"Users/{value}",
        }
        for value, member in current.items()
    ]
    if members:
        data["members"] = members
    data["meta"] = _meta(row, "Group")
    return GROUP_MODEL.model_validate(data)


def _dump(resource: Resource[Any]) -> dict:
    return resource.model_dump(mode="json", by_alias=True, exclude_none=True)


def _equality(scim_filter, columns: dict) -> Q | None:
    """A Q for `attr eq "value"` on an indexed column, or None."""
    node = getattr(scim_filter, "ast", None)
    if (
        not isinstance(node, Comparison)
        or node.op != CompareOperator.eq
        or not isinstance(node.value, str)
        or node.attr_path.sub_attr is not None
    ):
        return None
    column = columns.get(node.attr_path.attr.lower())
    if column is None:
        return None
    if column == "scim_id":
        try:
            return Q(scim_id=uuid.UUID(node.value))
        except ValueError:
            return Q(pk__in=[])
    return Q(**{column: node.value})


class PortalStorage(ScimStorage):
    """Users and Groups of one connection. Each write is one database transaction."""

    def __init__(self, connection: IdpConnection) -> None:
        self.connection = connection

    @contextmanager
    def operation(self):
        with transaction.atomic():
            yield

    def _users(self):
        return (
            ScimUser.objects.filter(connection=self.connection)
            .select_related("user")
            .prefetch_related("scim_groups")
            .order_by("pk")
        )

    def _groups(self):
        return (
            ScimGroup.objects.filter(connection=self.connection)
            .prefetch_related("members")
            .order_by("pk")
        )

    def _row(self, resource_type: ResourceType, resource_id: str | None, *, lock=False):
        rows = self._users() if resource_type.name == "User" else self._groups()
        if lock:
            rows = rows.select_for_update(of=("self",))
        try:
            return rows.get(scim_id=uuid.UUID(str(resource_id)))
        except (ValueError, ScimUser.DoesNotExist, ScimGroup.DoesNotExist):
            raise NotFoundException(
                detail=f"{resource_type.name} {resource_id!r} not found"
            ) from None

    @staticmethod
    def _resource(resource_type: ResourceType, row) -> Resource[Any]:
        return user_resource(row) if resource_type.name == "User" else group_resource(row)

    @staticmethod
    def _check_version(row, expected_version: str | None) -> None:
        if expected_version is not None and expected_version != _version(row.version):
            raise PreconditionFailedException()

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        return self._resource(resource_type, self._row(resource_type, resource_id))

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        if len(resource_types) != 1:
            return self._search_all(resource_types, search_request)
        resource_type = resource_types[0]
        is_user = resource_type.name == "User"
        rows = self._users() if is_user else self._groups()
        scim_filter = search_request.filter
        start = search_request.start_index_0 or 0
        count = search_request.count
        if scim_filter is not None:
            q = _equality(scim_filter, USER_COLUMNS if is_user else GROUP_COLUMNS)
            if q is None:
                found = [
                    resource
                    for resource in (self._resource(resource_type, row) for row in rows)
                    if scim_filter.match(resource)
                ]
                stop = None if count is None else start + count
                return SearchPage(len(found), found[start:stop])
            rows = rows.filter(q)
        total = rows.count()
        page = rows[start:] if count is None else rows[start : start + count]
        return SearchPage(total, [self._resource(resource_type, row) for row in page])

    def _search_all(self, resource_types, search_request) -> SearchPage:
        """A search at the root (every resource type), evaluated by scim2-models."""
        found = []
        for resource_type in resource_types:
            rows = self._users() if resource_type.name == "User" else self._groups()
            found.extend(self._resource(resource_type, row) for row in rows)
        if search_request.filter is not None:
            found = [r for r in found if search_request.filter.match(r)]
        start = search_request.start_index_0 or 0
        stop = None if search_request.count is None else start + search_request.count
        return SearchPage(len(found), found[start:stop])

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        data = _dump(resource)
        if resource_type.name == "User":
            row = services.scim_user_save(connection=self.connection, scim_user=None, data=data)
        else:
            row = services.scim_group_save(
                connection=self.connection,
                scim_group=None,
                data=data,
                member_ids=[m.get("value") for m in data.get("members") or []],
            )
        return self.get(resource_type, str(row.scim_id))

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        row = self._row(resource_type, resource.id, lock=True)
        self._check_version(row, expected_version)
        data = _dump(resource)
        if resource_type.name == "User":
            services.scim_user_save(connection=self.connection, scim_user=row, data=data)
        else:
            services.scim_group_save(
                connection=self.connection,
                scim_group=row,
                data=data,
                member_ids=[m.get("value") for m in data.get("members") or []],
            )
        return self.get(resource_type, str(row.scim_id))

    def delete(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        expected_version: str | None = None,
    ) -> None:
        row = self._row(resource_type, resource_id, lock=True)
        self._check_version(row, expected_version)
        if resource_type.name == "User":
            services.scim_user_delete(scim_user=row)
        else:
            services.scim_group_delete(scim_group=row)
