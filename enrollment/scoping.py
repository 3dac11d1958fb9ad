"""Region scoping: which regions a staff user works in, and the one queryset filter that enforces it.

Every clerk-facing read of person data goes through `scope_queryset` (the admin through
`RegionScopedAdminMixin`, the REST API through the same function with the API client's regions), so
no screen decides scoping on its own. Who sees what:

- superusers and the administrator role: every region (`regions_of` answers `None`);
- analysts: every region, read-only. Their role holds view permissions only, so "all regions"
  never lets them write; a user who is also a clerk or supervisor is scoped like a clerk, so the
  analyst role cannot widen anyone's write access;
- clerks and supervisors: the regions of their `StaffRegion` rows; a staff user with none sees
  nothing (a new account is useless until it is attached to a service hall, never all-seeing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy

from enrollment.identity import mask_identifiers_in
from enrollment.models import Person, Region, StaffRegion
from enrollment.roles import ADMINISTRATOR, ANALYST, CLERK, SUPERVISOR

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

_CACHE_ATTR = "_scoping_regions"
_UNSET = object()

OUT_OF_SCOPE_MESSAGE = gettext_lazy("This record belongs to a region you do not serve.")
REGION_CHOICE_MESSAGE = gettext_lazy("Choose one of the regions you serve.")
PERSON_CHOICE_MESSAGE = gettext_lazy("Choose a person registered in one of the regions you serve.")


def regions_of(user: AbstractBaseUser | AnonymousUser | None) -> frozenset[int] | None:
    """The ids of the regions the user may work in; `None` means every region.

    Cached on the user object, which lives as long as the request (two queries the first time,
    none after), so the many scoped querysets of one page cost nothing extra.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    if getattr(user, "is_api_client", False):
        # An API client (enrollment/api/auth.py) carries its own region limits.
        return user.regions  # type: ignore[union-attr,no-any-return]
    if user.is_superuser:
        return None
    cached = getattr(user, _CACHE_ATTR, _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    groups = set(user.groups.values_list("name", flat=True))  # type: ignore[union-attr]
    regions: frozenset[int] | None
    if ADMINISTRATOR in groups or (ANALYST in groups and not groups & {CLERK, SUPERVISOR}):
        regions = None
    else:
        regions = frozenset(StaffRegion.objects.filter(user=user).values_list("region_id", flat=True))
    setattr(user, _CACHE_ATTR, regions)
    return regions


def regions_forget(user: Any) -> None:
    """Drop the cached answer (after the user's StaffRegion rows or groups changed in this request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def scope_queryset(*, user: Any, queryset: QuerySet[Any], region_path: str) -> QuerySet[Any]:
    """`queryset` limited to rows whose region (reached through `region_path`) the user serves.

    One SQL filter (`<path> IN (…)`, joins only along the path), never a per-row check.
    """
    regions = regions_of(user)
    if regions is None:
        return queryset
    if not regions:
        return queryset.none()
    return queryset.filter(**{f"{region_path}__in": sorted(regions)})


def regions_queryset(*, user: Any) -> QuerySet[Region]:
    return scope_queryset(user=user, queryset=Region.objects.all(), region_path="pk")


def persons_queryset(*, user: Any) -> QuerySet[Person]:
    return scope_queryset(user=user, queryset=Person.objects.all(), region_path="household_region")


# --- admin ------------------------------------------------------------------------------------


class LargeTablePaginator(Paginator):
    """A paginator that never counts millions of rows to draw a page.

    Django's ChangeList asks the paginator for `count` on every list page (even with
    `show_full_result_count = False`, which only drops the second, unfiltered count). On the
    register (1,000,000 persons) and the ledger (10,000,000 rows) an exact COUNT(*) costs more
    than the page itself, so:

    - unfiltered, on PostgreSQL: the planner's estimate (`pg_class.reltuples`, kept by autovacuum)
      when it is large; the last page may then be a little short or long, which nobody notices;
    - filtered (a search, a list filter, a clerk's regions): a count capped at `COUNT_CAP` rows
      (`SELECT COUNT(*) FROM (… LIMIT cap)`), so a clerk sees exact counts for anything one would
      page through, and beyond the cap the last pages are reached by narrowing the search.
    """

    COUNT_CAP = 10_000
    ESTIMATE_ABOVE = 100_000

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        if not queryset.query.where:
            estimate = _estimated_rows(queryset)
            if estimate is not None and estimate >= self.ESTIMATE_ABOVE:
                return estimate
        return queryset.order_by()[: self.COUNT_CAP].count()


def _estimated_rows(queryset: QuerySet[Any]) -> int | None:
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table]
        )
        row = cursor.fetchone()
    # -1 means the table was never analysed: no estimate, count instead.
    return None if row is None or row[0] < 0 else int(row[0])


class ScopedRegionListFilter(admin.RelatedFieldListFilter):
    """A region filter offering only the user's regions (one small query on the regions table)."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[tuple[Any, str]]:
        return [(region.pk, str(region)) for region in regions_queryset(user=request.user).order_by("code")]


class _ScopedChoicesMixin:
    """Foreign keys to regions and persons offer only those the user serves; any other value is
    refused by the form with a message saying why (the database row is never written)."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.related_model
        message = None
        if related is Region:
            kwargs.setdefault("queryset", regions_queryset(user=request.user))
            message = REGION_CHOICE_MESSAGE
        elif related is Person:
            kwargs.setdefault("queryset", persons_queryset(user=request.user))
            message = PERSON_CHOICE_MESSAGE
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        if field is not None and message is not None:
            field.error_messages["invalid_choice"] = message
        return field


class RegionScopedInlineMixin(_ScopedChoicesMixin):
    """For inlines: their rows hang off an already scoped object; their choices are scoped here."""


class RegionScopedAdminMixin(_ScopedChoicesMixin):
    """Mixed into every ModelAdmin holding person data. Set `region_path` to the lookup from the
    model to its Region (e.g. "household_region", "person__household_region", "region").

    - the list, the search, the actions, the autocomplete (Django's autocomplete view calls the
      target admin's `get_queryset`) and the object pages read `get_queryset`, which is scoped;
    - an object of another region opened by its URL is refused with 403 (not Django's misleading
      "doesn't exist, perhaps it was deleted" redirect), and so is any view/change/delete of it;
    - foreign keys to regions and persons offer only the user's;
    - region list filters offer only the user's regions;
    - list pages never COUNT(*) the whole table (`LargeTablePaginator`).

    Override `scope_queryset` when the region is not reached by a plain path (see ImportBatchAdmin).
    """

    region_path: str = ""
    paginator = LargeTablePaginator

    def scope_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return scope_queryset(user=request.user, queryset=queryset, region_path=self.region_path)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.scope_queryset(request, super().get_queryset(request))  # type: ignore[misc]

    def in_scope(self, request: HttpRequest, obj: Model | None) -> bool:
        """Whether the user serves the object's region; one query per object and request."""
        if obj is None or obj.pk is None or regions_of(request.user) is None:
            return True
        checked: dict[tuple[str, Any], bool] = request.__dict__.setdefault("_scope_checked", {})
        key = (self.model._meta.label, obj.pk)  # type: ignore[attr-defined]
        if key not in checked:
            rows = self.scope_queryset(request, self.model._default_manager.all())  # type: ignore[attr-defined]
            checked[key] = rows.filter(pk=obj.pk).exists()
        return checked[key]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self.in_scope(request, obj)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self.in_scope(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self.in_scope(request, obj)  # type: ignore[misc]

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is None and regions_of(request.user) is not None and self._exists(object_id, from_field):
            raise PermissionDenied(str(OUT_OF_SCOPE_MESSAGE))
        return obj

    def _exists(self, object_id: str, from_field: str | None) -> bool:
        opts = self.model._meta  # type: ignore[attr-defined]
        field = opts.pk if from_field is None else opts.get_field(from_field)
        try:
            value = field.to_python(object_id)
        except (ValidationError, ValueError):
            return False
        return bool(self.model._default_manager.filter(**{field.attname: value}).exists())  # type: ignore[attr-defined]

    def get_list_filter(self, request: HttpRequest) -> Any:
        """Plain region filters ("household_region", "person__household_region") become scoped ones."""
        scoped: list[Any] = []
        for item in super().get_list_filter(request):  # type: ignore[misc]
            if isinstance(item, str):
                try:
                    last = get_fields_from_path(self.model, item)[-1]  # type: ignore[attr-defined]
                except (FieldDoesNotExist, AttributeError):
                    last = None
                if last is not None and getattr(last, "related_model", None) is Region:
                    item = (item, ScopedRegionListFilter)
            scoped.append(item)
        return scoped


FULL_IDENTIFIERS_PERMISSION = "enrollment.view_full_identifiers"


def sees_full_identifiers(user: Any) -> bool:
    """Whether the staff user sees whole ID and phone numbers (the roles serving residents at the
    counter); others, such as analysts, see them masked (PIPL's minimum necessary)."""
    return bool(user.has_perm(FULL_IDENTIFIERS_PERMISSION))


def identifiers_shown(text: Any, *, full: bool) -> str:
    """A text as a reader may see it: whole, or with every ID and phone number in it masked."""
    value = "" if text is None else str(text)
    return value if full else mask_identifiers_in(value)


def user_shown(user: Any, *, full: bool) -> str:
    """A user's name for a reader: a resident's user name is their ID number, masked unless `full`."""
    if user is None:
        return "—"
    return identifiers_shown(user.get_username(), full=full)


class ReadOnlyAdminMixin:
    """An admin screen to read rows that only the services write (decisions, statuses, the ledger,
    the access log): nobody adds, changes or deletes them by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
