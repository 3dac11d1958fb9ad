"""The pieces every API view shares: the error shape, cursor pages, strict query parameters,
streamed CSV, masked personal fields, the access log and region scoping of reporting resources.

Errors always have one JSON shape, whatever format was asked for:

    {"code": "unknown_filter", "message": "…", "details": {…}}

`message` is in the language of `Accept-Language` (Chinese by default, English on request).
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime
import io
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar
from urllib import parse

from django.core.exceptions import FieldDoesNotExist, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signing import BadSignature, Signer
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from enrollment.access_log import person_access_record
from enrollment.api.auth import ApiPrincipal, HasScope, unmasked
from enrollment.identity import mask_id_number, mask_name, mask_phone
from enrollment.models import AccessChannel, ApiScope
from enrollment.scoping import scope_queryset

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
CSV_BATCH = 2000
# Query parameters every list accepts besides its filters.
COMMON_LIST_PARAMETERS = frozenset({"cursor", "page_size", "format"})


# --- errors -------------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """The one shape of every error answer (for the schema)."""

    code = serializers.CharField(help_text="A stable code a program can test, e.g. invalid_id_number.")
    message = serializers.CharField(help_text="For people, in the language of Accept-Language.")
    details = serializers.DictField(required=False, help_text="Per field: the messages.")


def _first_leaf(detail: Any) -> Any:
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_leaf(value)
        return None
    if isinstance(detail, list):
        return _first_leaf(detail[0]) if detail else None
    return detail


def _plain(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(key): _plain(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_plain(item) for item in detail]
    return str(detail)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "request_too_large"


def _as_api_exception(exc: Exception) -> Exception:
    """Django's own exceptions as the API's, with a stable code and a translated message."""
    if isinstance(exc, Http404):
        # get_object_or_404 says "No Person matches the given query." (English, naming the model);
        # a row of another region must read exactly like a row that does not exist.
        return exceptions.NotFound(_("Not found, or outside the regions this client serves."))
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        # Django would answer its HTML "Bad Request" page.
        return RequestTooLarge()
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with the body rewritten into the one error shape."""
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        leaf = _first_leaf(exc.detail)
        code = getattr(leaf, "code", None) or "invalid"
        details = _plain(exc.detail) if isinstance(exc.detail, dict) else {"non_field_errors": _plain(exc.detail)}
        field_errors = [
            f"{field}: {messages[0] if isinstance(messages, list) and messages else messages}"
            for field, messages in details.items()
            if field != "non_field_errors"
        ]
        general = details.get("non_field_errors") or []
        message = "; ".join([*(str(item) for item in general), *field_errors]) or str(_("The request is not valid."))
        body: dict[str, Any] = {"code": str(code), "message": message, "details": details}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        body = {"code": str(code), "message": str(detail)}
    response.data = body
    return response


def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """The API's answer to an address it does not have (e.g. /api/v1/persons/1.5): the error shape,
    not Django's HTML page. Routed last under /api/v1/ by `config.api`."""
    body = {
        "code": "not_found",
        "message": str(_("This API has no such address; the operations are listed at /api/docs/.")),
    }
    return JsonResponse(body, status=status.HTTP_404_NOT_FOUND, json_dumps_params={"ensure_ascii": False})


class ApiSchema(AutoSchema):
    """Every operation documents the error answers it can give, in the one error shape."""

    ERROR_CODES: ClassVar[dict[str, str]] = {
        "400": "The request is not valid (the message says why).",
        "401": "No token, or the token is not valid, has expired or was revoked.",
        "403": "The client lacks the scope for this operation.",
        "404": "Not found, or outside the regions the client serves.",
        "405": "Method not allowed.",
        "406": "The requested format is not available.",
        "413": "The request body is too large.",
        "415": "The request body is not JSON.",
        "429": "Too many requests for this client; retry after the time given.",
    }
    # Only an operation that reads a request body can answer these.
    BODY_ERROR_CODES: ClassVar[frozenset[str]] = frozenset({"413", "415"})

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code, description in self.ERROR_CODES.items():
            if code in self.BODY_ERROR_CODES and self.method not in ("POST", "PUT", "PATCH"):
                continue
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, ["application/json"], direction)
                response["description"] = description
                responses[code] = response
        return responses

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if isinstance(self.view, ReportingViewSet) and getattr(self.view, "action", None) == "list":
            parameters.append(
                OpenApiParameter(
                    "format",
                    str,
                    enum=["json", "csv"],
                    description="csv: every matching row, streamed as UTF-8 CSV (no pages).",
                )
            )
        return parameters


# --- renderers and the base view ----------------------------------------------------------------


class CSVRenderer(BaseRenderer):
    """Only names the format; list views stream CSV themselves (see `ReportingViewSet.list`)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        rows = data if isinstance(data, list) else [data]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        if rows and isinstance(rows[0], dict):
            writer.writerow(rows[0].keys())
            for row in rows:
                writer.writerow([csv_cell(value) for value in row.values()])
        return buffer.getvalue().encode()


class JsonErrorsMixin:
    """Errors are the JSON error shape whatever format was asked for (?format=csv included)."""

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)  # type: ignore[misc]
        self.request.accepted_renderer = JSONRenderer()  # type: ignore[attr-defined]
        self.request.accepted_media_type = JSONRenderer.media_type  # type: ignore[attr-defined]
        return response  # type: ignore[no-any-return]


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, but a body nested too deep for Python's decoder ("[" * 5000) is a
    parse error: the decoder's RecursionError is no ValueError, and DRF let it through as a 500."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("JSON parse error - the body is nested too deeply.")) from None


class ApiView(JsonErrorsMixin, APIView):
    """Base of the API's plain views (aggregates, the eligibility check): set `required_scope`."""

    permission_classes = [HasScope]
    renderer_classes = [JSONRenderer]
    parser_classes = [SafeJSONParser]
    required_scope: ClassVar[str | None] = None


def csv_cell(value: Any) -> Any:
    """A cell safe to open in a spreadsheet: text that starts like a formula gets a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(value)
        except ValueError:
            return "'" + value
    if isinstance(value, (list, dict)):
        return "; ".join(str(item) for item in value) if isinstance(value, list) else str(value)
    if value is None:
        return ""
    return value


# --- pagination ---------------------------------------------------------------------------------


# The cursors of the next and previous links are signed (SECRET_KEY): "." cannot occur in base64.
CURSOR_SIGNER = Signer(salt="enrollment.api.cursor", sep=".")


class ReportingCursorPagination(CursorPagination):
    """Cursor pages in primary-key order: stable while rows are added, O(1) however deep."""

    ordering = "pk"
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise exceptions.ValidationError(
                {"page_size": [_("Give the page size as a whole number.")]}, code="invalid_page_size"
            ) from None
        if size < 1:
            raise exceptions.ValidationError(
                {"page_size": [_("The page size is at least 1.")]}, code="invalid_page_size"
            )
        if size > self.max_page_size:
            raise exceptions.ValidationError(
                {
                    "page_size": [
                        _("At most %(max)d rows per page: follow the next link, or ask for format=csv.")
                        % {"max": self.max_page_size}
                    ]
                },
                code="page_too_large",
            )
        return size

    def paginate_queryset(self, queryset: QuerySet[Any], request: Request, view: Any = None) -> list[Any] | None:
        self._model = queryset.model
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, DjangoValidationError):
            # A position the checks below could not judge (an ordering by an annotation) that the
            # database cannot compare with: still the client's cursor, not a server error.
            if request.query_params.get(self.cursor_query_param) is None:
                raise
            raise _invalid_cursor() from None

    def encode_cursor(self, cursor: Cursor) -> str:
        """DRF's cursor (base64 of o=…&r=…&p=…) with a signature, so a hand-made one is refused."""
        tokens = {}
        if cursor.offset != 0:
            tokens["o"] = str(cursor.offset)
        if cursor.reverse:
            tokens["r"] = "1"
        if cursor.position is not None:
            tokens["p"] = cursor.position
        encoded = base64.b64encode(parse.urlencode(tokens, doseq=True).encode("ascii")).decode("ascii")
        return replace_query_param(self.base_url, self.cursor_query_param, CURSOR_SIGNER.sign(encoded))

    def decode_cursor(self, request: Request) -> Any:
        signed = request.query_params.get(self.cursor_query_param)
        if signed is None:
            return None
        # Only cursors this API wrote pass: DRF decodes leniently ("!!!!", no base64 at all, reads as
        # the first page; a hand-made "p=abc" reaches the database as a primary key, a 500), and a
        # well-formed hand-made one ("o=5&p=0") would page from wherever the client likes.
        try:
            encoded = CURSOR_SIGNER.unsign(signed)
            tokens = parse.parse_qs(base64.b64decode(encoded.encode("ascii"), validate=True).decode("ascii"))
            offset = int(tokens.get("o", ["0"])[0])
            reverse = tokens.get("r", ["0"])[0] == "1"
            position = tokens.get("p", [None])[0]
        except (BadSignature, UnicodeError, binascii.Error, ValueError):
            raise _invalid_cursor() from None
        if not tokens.keys() & {"o", "r", "p"} or not 0 <= offset <= self.offset_cutoff:
            raise _invalid_cursor()
        if position is not None:
            self._check_position(position)
        return Cursor(offset=offset, reverse=reverse, position=position)

    def _check_position(self, position: str) -> None:
        model = getattr(self, "_model", None)
        ordering = self.ordering if isinstance(self.ordering, (list, tuple)) else [self.ordering]
        name = str(ordering[0]).lstrip("-")
        if model is None or "__" in name:
            return
        try:
            field = model._meta.pk if name == "pk" else model._meta.get_field(name)
            field.to_python(position)
        except FieldDoesNotExist:
            return
        except DjangoValidationError:
            raise _invalid_cursor() from None


def _invalid_cursor() -> exceptions.ValidationError:
    return exceptions.ValidationError(
        {"cursor": [_("This cursor is not valid: use the next or previous link of a page.")]},
        code="invalid_cursor",
    )


# --- masked personal fields ---------------------------------------------------------------------


class MaskedField(serializers.CharField):
    """A personal value shown in full only to a caller with `reporting:unmasked`."""

    def __init__(self, *, mask: Callable[[str], str], **kwargs: Any) -> None:
        self.mask = mask
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        text = super().to_representation(value)
        request = self.context.get("request")
        if request is not None and unmasked(request):
            return text
        return self.mask(text) if text else text


def masked_id_number(**kwargs: Any) -> MaskedField:
    kwargs.setdefault("help_text", "Masked (360102********1234) unless the client holds reporting:unmasked.")
    return MaskedField(mask=mask_id_number, **kwargs)


def masked_phone(**kwargs: Any) -> MaskedField:
    kwargs.setdefault("help_text", "Masked (138****5678) unless the client holds reporting:unmasked.")
    return MaskedField(mask=mask_phone, **kwargs)


def masked_name(**kwargs: Any) -> MaskedField:
    kwargs.setdefault("help_text", "Masked (张**) unless the client holds reporting:unmasked.")
    return MaskedField(mask=mask_name, **kwargs)


# --- access log ---------------------------------------------------------------------------------


def access_record(request: Request, *, person_ids: Iterable[int], action: str) -> None:
    """Log that the caller read these persons' data (the API's side of the PIPL access log)."""
    user = request.user
    if isinstance(user, ApiPrincipal):
        person_access_record(person_ids=person_ids, action=action, channel=AccessChannel.API, api_client=user.client)
    else:
        person_access_record(person_ids=person_ids, action=action, channel=AccessChannel.API, user=user)


# --- reporting resources ------------------------------------------------------------------------


class ReportingViewSet(JsonErrorsMixin, viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """A read-only reporting resource: scoped to the caller's regions, filtered (unknown filters are
    an error, not silently ignored), in cursor pages or streamed as CSV, every person read logged.

    Subclasses set `queryset`, `serializer_class`, `filterset_class`, `region_path` (the lookup from
    a row to its Region, as in the admin; None for rows without personal data) and `person_field`
    (the attribute holding the person's id, for the access log; None when rows carry no person).
    """

    permission_classes = [HasScope]
    required_scope: ClassVar[str] = ApiScope.REPORTING_READ
    pagination_class = ReportingCursorPagination
    filter_backends = [DjangoFilterBackend]
    renderer_classes = [JSONRenderer, CSVRenderer]
    parser_classes = [SafeJSONParser]
    region_path: ClassVar[str | None] = None
    person_field: ClassVar[str | None] = None

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()
        if self.region_path is not None:
            queryset = scope_queryset(user=self.request.user, queryset=queryset, region_path=self.region_path)
        return queryset

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if self.action == "list":
            self._reject_unknown_parameters(request, known=self._list_parameters())
        else:
            # One row: no filters, no pages; a stray parameter is as much an error as on a list.
            unknown = sorted(set(request.query_params) - {"format"})
            if unknown:
                raise exceptions.ValidationError(
                    {
                        "unknown": [
                            _("Unknown parameter: %(names)s. One row takes no filters.") % {"names": ", ".join(unknown)}
                        ]
                    },
                    code="unknown_filter",
                )
            if request.query_params.get("format") not in (None, "json"):
                raise exceptions.ValidationError(
                    {"format": [_("CSV is available for lists only.")]}, code="csv_for_lists_only"
                )

    def _list_parameters(self) -> set[str]:
        filterset_class = getattr(self, "filterset_class", None)
        known = set(COMMON_LIST_PARAMETERS)
        if filterset_class is not None:
            known |= set(filterset_class.base_filters)
        return known

    def _reject_unknown_parameters(self, request: Request, *, known: set[str]) -> None:
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise exceptions.ValidationError(
                {
                    "unknown": [
                        _("Unknown filter: %(names)s. This list accepts: %(known)s.")
                        % {"names": ", ".join(unknown), "known": ", ".join(sorted(known))}
                    ]
                },
                code="unknown_filter",
            )
        for name in known:
            if len(request.query_params.getlist(name)) > 1:
                raise exceptions.ValidationError({name: [_("Give this parameter once.")]}, code="repeated_parameter")
        # django-filter reads `?paid_to=` as "no filter": a client whose date went missing would get
        # every row instead of the ones it asked for. An empty value is an error; leave the parameter out.
        empty = sorted(name for name, value in request.query_params.items() if value.strip() == "")
        if empty:
            raise exceptions.ValidationError(
                {name: [_("Give a value, or leave the parameter out.")] for name in empty}, code="empty_parameter"
            )

    def _action_name(self) -> str:
        return f"api:{self.basename}.{self.action}"

    def _log_rows(self, rows: Iterable[Model]) -> None:
        if self.person_field is None:
            return
        access_record(
            self.request, person_ids=[getattr(row, self.person_field) for row in rows], action=self._action_name()
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        queryset = self.filter_queryset(self.get_queryset())
        if request.accepted_renderer.format == "csv":
            return self._csv_response(queryset)
        page = self.paginate_queryset(queryset)
        assert page is not None
        self._log_rows(page)
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        self._log_rows([instance])
        return Response(self.get_serializer(instance).data)

    def _csv_response(self, queryset: QuerySet[Any]) -> StreamingHttpResponse:
        today = timezone.localdate().isoformat()
        response = StreamingHttpResponse(self._csv_lines(queryset), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.basename}-{today}.csv"'
        return response

    def _csv_lines(self, queryset: QuerySet[Any]) -> Iterator[str]:
        """Keyset batches in primary-key order: constant memory whatever the size of the export."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def flush() -> str:
            text = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            return text

        serializer = self.get_serializer(many=False)
        header = list(serializer.fields)
        # The byte-order mark lets Excel open the Chinese text as UTF-8.
        writer.writerow(header)
        yield "\ufeff" + flush()
        last_pk: Any = None
        ordered = queryset.order_by("pk")
        while True:
            batch_query = ordered if last_pk is None else ordered.filter(pk__gt=last_pk)
            batch = list(batch_query[:CSV_BATCH])
            if not batch:
                return
            self._log_rows(batch)
            for row in self.get_serializer(batch, many=True).data:
                writer.writerow([csv_cell(row.get(name)) for name in header])
            yield flush()
            last_pk = batch[-1].pk


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date_param(value: str, *, name: str) -> datetime.date:
    """A query or body date as YYYY-MM-DD, or a 400 naming the parameter.

    Python 3.11's `fromisoformat` also takes 20260301 and other ISO 8601 spellings; the schema
    documents `format: date` (YYYY-MM-DD), so those are refused as the message says."""
    try:
        if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise exceptions.ValidationError(
            {name: [_("Give a real calendar date as YYYY-MM-DD, e.g. 2026-03-01.")]}, code="invalid_date"
        ) from None


__all__ = [
    "ApiSchema",
    "ApiView",
    "CSVRenderer",
    "ErrorSerializer",
    "ReportingCursorPagination",
    "ReportingViewSet",
    "SafeJSONParser",
    "access_record",
    "api_not_found",
    "csv_cell",
    "exception_handler",
    "masked_id_number",
    "masked_name",
    "masked_phone",
    "parse_date_param",
    "status",
]
