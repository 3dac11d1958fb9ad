"""API views of the register that are not reporting lists: who am I (the trivial endpoint)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from enrollment.api.auth import ApiPrincipal, scopes_of
from enrollment.api.support import ApiView
from enrollment.models import Region
from enrollment.scoping import regions_of


class WhoAmISerializer(serializers.Serializer):
    client = serializers.CharField(help_text="The API client's name, or the staff user's.")
    scopes = serializers.ListField(child=serializers.CharField())
    regions = serializers.ListField(child=serializers.CharField(), allow_null=True, help_text="null: every region.")
    server_time = serializers.DateTimeField()


class WhoAmIView(ApiView):
    """Who the token belongs to, its scopes and regions: for a hospital's IT to test its set-up."""

    def has_any_scope(self, request: Request) -> bool:
        return bool(scopes_of(request))

    def get_permissions(self) -> list[Any]:
        return [_AnyScope()]

    @extend_schema(responses=WhoAmISerializer, operation_id="whoami", tags=["client"])
    def get(self, request: Request) -> Response:
        user = request.user
        regions = regions_of(user)
        codes = (
            None if regions is None else sorted(Region.objects.filter(pk__in=regions).values_list("code", flat=True))
        )
        name = user.client.name if isinstance(user, ApiPrincipal) else user.get_username()
        return Response(
            {"client": name, "scopes": sorted(scopes_of(request)), "regions": codes, "server_time": timezone.now()}
        )


class _AnyScope:
    message = "This account has no API scopes."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and scopes_of(request))

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return True
