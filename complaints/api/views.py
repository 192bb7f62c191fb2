from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import access
from complaints import services
from complaints.filtersets import ComplaintFilterSet
from complaints.selectors import complaint_events_for, complaint_queue, complaints_with_deadline

from .serializers import (
    AnswerSerializer,
    ComplaintDetailSerializer,
    ComplaintEventSerializer,
    ComplaintSerializer,
    ReasonSerializer,
    RespondSerializer,
)


class CanViewComplaints(permissions.BasePermission):
    message = "您没有权限访问投诉。"

    def has_permission(self, request, view):
        return access.can_view_complaints(request.user)


class ComplaintViewSet(viewsets.ReadOnlyModelViewSet):
    """Complaints the user may see (accounts.access.complaints_for); handled through complaints.services."""

    filterset_class = ComplaintFilterSet
    permission_classes = [permissions.IsAuthenticated, CanViewComplaints]

    def get_queryset(self):
        qs = (
            complaints_with_deadline(complaint_queue(user=self.request.user), now=timezone.now())
            .select_related("duplicate_of")
            .prefetch_related("co_departments")
        )
        if self.action != "list":
            qs = qs.prefetch_related(
                "photos",
                Prefetch(
                    "events",
                    # no internal notes for the firm and the use unit (issue 14)
                    queryset=complaint_events_for(user=self.request.user),
                ),
            )
        return qs

    def get_serializer_class(self):
        return ComplaintSerializer if self.action == "list" else ComplaintDetailSerializer

    def _transition(self, request, name: str, text: str = ""):
        complaint = self.get_object()
        services.complaint_transition(user=request.user, complaint=complaint, action=name, text=text)
        fresh = self.get_queryset().get(pk=complaint.pk)
        return Response(ComplaintDetailSerializer(fresh, context=self.get_serializer_context()).data)

    def _body(self, serializer_class):
        body = serializer_class(data=self.request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data

    @extend_schema(request=None, responses=ComplaintDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._transition(request, "accept")

    @extend_schema(request=None, responses=ComplaintDetailSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._transition(request, "start")

    @extend_schema(request=AnswerSerializer, responses=ComplaintDetailSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._transition(request, "resolve", self._body(AnswerSerializer)["answer"])

    @extend_schema(request=ReasonSerializer, responses=ComplaintDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._transition(request, "reject", self._body(ReasonSerializer)["reason"])

    @extend_schema(request=RespondSerializer, responses={201: ComplaintEventSerializer})
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        complaint = self.get_object()
        data = self._body(RespondSerializer)
        event = services.complaint_respond(
            user=request.user, complaint=complaint, text=data["text"], public=data["public"]
        )
        return Response(ComplaintEventSerializer(event).data, status=status.HTTP_201_CREATED)
