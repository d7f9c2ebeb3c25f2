"""The Django side of /scim/v2/: authenticate the connection's bearer token, smooth over
what Microsoft Entra ID and Okta send differently from RFC 7644's examples, then hand the
request to scim2-server and return its response."""

from __future__ import annotations

import json
import logging
from functools import cache

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from scim2_models import SCIMException, UnauthorizedException
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.routing import Operation
from scim2_server.service import ScimService

from .provider import build_provider
from .storage import PortalStorage
from .tokens import scim_token_authenticate

logger = logging.getLogger(__name__)

PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
# Attributes a PATCH may carry in a path-less value that are not the client's to change
# (Okta sends the id back when it renames a group).
READ_ONLY_IN_VALUE = {"id", "meta", "schemas"}


@cache
def scim_service() -> ScimService:
    return ScimService(build_provider())


def _bool_of(value):
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    return value


def _member(member):
    if isinstance(member, dict) and "displayName" in member and "display" not in member:
        member = {**member, "display": member["displayName"]}
        del member["displayName"]
    return member


def normalize_patch(body: dict) -> dict:
    """Rewrite the PATCH dialects of Entra ID and Okta into RFC 7644 §3.5.2 operations:

    - `"op": "Replace"` (Entra capitalises ops) becomes `"replace"`;
    - `"active": "False"` (Entra, before its 2023 fix, sent booleans as strings) is a bool;
    - a path-less op whose value is an object becomes one op per attribute (Entra puts
      `name.givenName` and extension URNs as keys there), without read-only keys (Okta
      sends `id` back when renaming a group);
    - `remove` on `members` with a value list (Entra) removes only those members, where the
      RFC would remove every member;
    - a member's `displayName` (Entra) is the RFC's `display`."""
    operations = body.get("Operations")
    if not isinstance(operations, list):
        return body
    rewritten = []
    for operation in operations:
        if not isinstance(operation, dict):
            rewritten.append(operation)
            continue
        op = operation.get("op")
        op = op.lower() if isinstance(op, str) else op
        path = operation.get("path")
        value = operation.get("value")
        if path is None and isinstance(value, dict):
            for key, item in value.items():
                if key in READ_ONLY_IN_VALUE:
                    continue
                item = _bool_of(item) if key.lower() == "active" else item
                rewritten.append({"op": op, "path": key, "value": item})
            continue
        if isinstance(path, str) and path.lower() == "active":
            value = _bool_of(value)
        if op == "remove" and isinstance(path, str) and path.lower() == "members":
            if isinstance(value, list) and value:
                for member in value:
                    member_id = member.get("value") if isinstance(member, dict) else None
                    if not isinstance(member_id, str) or '"' in member_id:
                        rewritten.append({"op": op, "path": path, "value": value})
                        break
                    rewritten.append({"op": op, "path": f'members[value eq "{member_id}"]'})
                continue
        if isinstance(path, str) and path.lower() == "members" and isinstance(value, list):
            value = [_member(member) for member in value]
        rewritten_op = {"op": op, "path": path}
        if "value" in operation:
            rewritten_op["value"] = value
        if path is None:
            rewritten_op.pop("path")
        rewritten.append(rewritten_op)
    return {**body, "schemas": body.get("schemas") or [PATCH_OP_SCHEMA], "Operations": rewritten}


def _body(request, operation: Operation) -> bytes:
    if operation is not Operation.patch or not request.body:
        return request.body
    try:
        parsed = json.loads(request.body)
    except ValueError:
        return request.body  # scim2-server answers invalidSyntax
    if not isinstance(parsed, dict):
        return request.body
    return json.dumps(normalize_patch(parsed)).encode()


def _connection(scim_request: ScimRequest):
    scheme, _sep, token = (scim_request.header("Authorization") or "").partition(" ")
    connection = scim_token_authenticate(raw=token.strip()) if scheme.lower() == "bearer" else None
    if connection is None:
        raise UnauthorizedException(detail="a valid bearer token of an IdP connection is needed")
    return connection


def _response(scim_response) -> HttpResponse:
    body = b"" if scim_response.body is None else json.dumps(scim_response.body).encode()
    response = HttpResponse(body, status=scim_response.status.value)
    for name, value in scim_response.headers.items():
        response[name] = value
    response.setdefault("Cache-Control", "no-store")
    return response


@csrf_exempt  # a bearer-token API, never used from a browser session
def scim_endpoint(request, path: str) -> HttpResponse:
    service = scim_service()
    base_url = request.build_absolute_uri("/scim/v2").rstrip("/")
    scim_request = ScimRequest(
        method=request.method,
        base_url=base_url,
        path="/" + path.removesuffix(".scim"),
        query={key: request.GET.get(key) for key in request.GET},
        headers=dict(request.headers),
    )
    try:
        target = service.match(scim_request)
        scim_request.body = _body(request, target.operation)
        connection = None
        if target.operation is not Operation.service_provider_config:
            connection = _connection(scim_request)
        scim_request.subject = connection
        scim_response = ScimHandler(service, PortalStorage(connection)).handle(scim_request)
    except SCIMException as exception:
        logger.info("SCIM %s %s: %s %s", request.method, path, exception.status, exception)
        scim_response = service.error_response(exception)
    return _response(scim_response)
