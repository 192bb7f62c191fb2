from django.urls import reverse
from rest_framework import serializers

from accounts import access
from complaints.choices import Status
from complaints.models import Complaint, ComplaintEvent
from complaints.privacy import mask_personal_data
from complaints.selectors import complaint_description_for


def masked_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if email else ""


class ComplaintSerializer(serializers.ModelSerializer):
    """A complaint in a list: personal data masked for everyone (docs/rules.md "Who sees what")."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    district = serializers.CharField(source="district.code", read_only=True)
    district_name = serializers.CharField(source="district.name", read_only=True)
    registration_code = serializers.CharField(
        source="elevator.registration_code", read_only=True, allow_null=True, default=None
    )
    department_name = serializers.CharField(source="department.name", read_only=True)
    duplicate_of = serializers.CharField(
        source="duplicate_of.tracking_no", read_only=True, allow_null=True, default=None
    )
    due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    contact_name = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField()
    contact_email = serializers.SerializerMethodField()
    contact_masked = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "id",
            "tracking_no",
            "status",
            "status_label",
            "category",
            "category_label",
            "trapped_now",
            "district",
            "district_name",
            "address",
            "elevator",
            "registration_code",
            "description",
            "source",
            "department",
            "department_name",
            "co_departments",
            "duplicate_of",
            "answer",
            "reject_reason",
            "rating",
            "accept_deadline",
            "resolve_deadline",
            "due_at",
            "overdue",
            "accepted_at",
            "resolved_at",
            "closed_at",
            "escalated_at",
            "created_at",
            "contact_name",
            "contact_phone",
            "contact_email",
            "contact_masked",
        ]
        read_only_fields = fields

    def shows_contact(self, obj) -> bool:
        return False

    def get_contact_name(self, obj) -> str:
        return obj.contact_name if self.shows_contact(obj) else obj.masked_name

    def get_contact_phone(self, obj) -> str:
        return obj.contact_phone if self.shows_contact(obj) else obj.masked_phone

    def get_contact_email(self, obj) -> str:
        return obj.contact_email if self.shows_contact(obj) else masked_email(obj.contact_email)

    def get_contact_masked(self, obj) -> bool:
        return not self.shows_contact(obj)

    def get_description(self, obj) -> str:
        # Phone and ID numbers in the resident's words are masked for all but the handlers (issue 14).
        request = self.context.get("request")
        if request is None:
            return mask_personal_data(obj.description)
        return complaint_description_for(user=request.user, complaint=obj)


class ComplaintEventSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True, allow_null=True, default=None)
    # Empty for an event that changed no status (a note, an answer): the schema says so (a blank enum value).
    status = serializers.ChoiceField(choices=Status.choices, allow_blank=True, read_only=True)

    class Meta:
        model = ComplaintEvent
        fields = ["id", "kind", "status", "text", "public", "organization", "organization_name", "created_at"]
        read_only_fields = fields


class ComplaintDetailSerializer(ComplaintSerializer):
    """One complaint with its photos and timeline; full contact data only for those who handle it."""

    photos = serializers.SerializerMethodField()
    events = ComplaintEventSerializer(many=True, read_only=True)

    class Meta(ComplaintSerializer.Meta):
        fields = [*ComplaintSerializer.Meta.fields, "photos", "events"]
        read_only_fields = fields

    def shows_contact(self, obj) -> bool:
        request = self.context.get("request")
        return request is not None and access.can_handle_complaint(request.user, obj)

    def get_photos(self, obj) -> list[str]:
        return [reverse("complaints:staff_photo", args=[p.pk]) for p in obj.photos.all()]


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class RespondSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    public = serializers.BooleanField(required=False, default=True)
