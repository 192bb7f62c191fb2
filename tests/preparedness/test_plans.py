"""Emergency plans (应急专项预案, plan §2(7)): a new version filed as a PDF typed by content, for the use unit's own
elevators, not adopted in the future, each version once; the page and the API that file them. The role matrix of the
plan pages, exports and document download is with the drills' in test_drills_pages.py."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from preparedness.models import EmergencyPlan
from preparedness.services.drills import Upload, emergency_plan_file

from ..factories import JPEG, PDF

pytestmark = pytest.mark.django_db


def _file(name, data):
    return SimpleUploadedFile(name, data)


class TestEmergencyPlans:
    def file(self, world, who="use_unit", **extra):
        kwargs = {
            "title": "电梯困人应急专项预案",
            "version": "V1",
            "adopted_on": date(2026, 11, 1),
            "document": Upload("预案.pdf", PDF),
            "elevators": [world["a"]],
            "today": date(2026, 12, 1),
        } | extra
        return emergency_plan_file(user=world["users"][who], use_unit=world["use_a"], **kwargs)

    def test_a_new_version_is_filed_and_a_repeated_one_refused(self, world):
        plan = self.file(world)
        assert list(plan.elevators.all()) == [world["a"]]
        assert plan.document.read().startswith(b"%PDF")
        with pytest.raises(ValidationError) as exc:
            self.file(world)
        assert "version" in exc.value.message_dict
        assert self.file(world, version="V2").version == "V2"

    def test_the_document_is_a_pdf_by_content_and_capped(self, world, settings):
        with pytest.raises(ValidationError, match="不是PDF"):
            self.file(world, document=Upload("预案.pdf", JPEG))
        settings.PREPAREDNESS_FILE_MAX_BYTES = 10
        with pytest.raises(ValidationError, match="过大"):
            self.file(world)

    def test_elevators_of_another_use_unit_are_named(self, world):
        with pytest.raises(ValidationError) as exc:
            self.file(world, elevators=[world["a"], world["b"]])
        assert world["b"].registration_code in exc.value.message_dict["elevators"][0]

    def test_adopted_on_not_in_the_future(self, world):
        self.file(world, adopted_on=date(2026, 12, 1))
        with pytest.raises(ValidationError) as exc:
            self.file(world, version="V2", adopted_on=date(2026, 12, 2))
        assert "adopted_on" in exc.value.message_dict

    @pytest.mark.parametrize(
        ("who", "allowed"),
        [
            ("city", True),
            ("district", True),
            ("use_unit", True),
            ("use_unit_b", False),
            ("maintenance", False),
            ("inspection", False),
            ("department", False),
            ("rescue_centre", False),
        ],
    )
    def test_who_files_a_plan(self, world, who, allowed):
        if allowed:
            assert self.file(world, who=who).pk
        else:
            with pytest.raises(PermissionDenied):
                self.file(world, who=who)


class TestPlanPages:
    def test_file_a_plan_and_be_told_to_choose_the_file_again_after_an_error(self, client, world):
        client.force_login(world["users"]["use_unit"])
        url = reverse("preparedness:plan_new")
        form = client.get(url).content.decode()
        assert "仅限PDF，最大10MB" in form and world["a"].registration_code in form
        data = {"title": "困人预案", "version": "V1", "adopted_on": str(timezone.localdate() + timedelta(days=1))}
        bad = client.post(url, data | {"elevators": [world["a"].pk], "document": _file("p.pdf", PDF)})
        body = bad.content.decode()
        assert "发布日期不能晚于今天" in body and "请重新选择PDF文件" in body
        data["adopted_on"] = str(timezone.localdate())
        good = client.post(url, data | {"elevators": [world["a"].pk], "document": _file("p.pdf", PDF)})
        assert good.status_code == 302
        again = client.post(url, data | {"elevators": [world["a"].pk], "document": _file("p.pdf", PDF)})
        assert "新版本请使用新的版本号" in again.content.decode()
        assert EmergencyPlan.objects.count() == 1

    def test_another_use_units_elevator_is_not_offered(self, client, world):
        client.force_login(world["users"]["use_unit"])
        response = client.post(
            reverse("preparedness:plan_new"),
            {
                "title": "T",
                "version": "V1",
                "adopted_on": str(timezone.localdate()),
                "elevators": [world["b"].pk],
                "document": _file("p.pdf", PDF),
            },
        )
        assert response.status_code == 200 and not EmergencyPlan.objects.exists()

    def test_api_files_a_plan_with_a_multipart_document(self, client, world):
        client.force_login(world["users"]["use_unit"])
        response = client.post(
            "/api/v1/emergency-plans/",
            {
                "title": "困人预案",
                "version": "V1",
                "adopted_on": str(timezone.localdate()),
                "elevators": [world["a"].pk],
                "document": _file("p.pdf", PDF),
            },
        )
        assert response.status_code == 201, response.content
        assert response.json()["elevators"] == [world["a"].pk]
        jpeg = client.post(
            "/api/v1/emergency-plans/",
            {
                "title": "困人预案",
                "version": "V2",
                "adopted_on": str(timezone.localdate()),
                "elevators": [world["a"].pk],
                "document": _file("p.pdf", JPEG),
            },
        )
        assert jpeg.status_code == 400 and "document" in jpeg.json()
        client.force_login(world["users"]["maintenance"])
        refused = client.post(
            "/api/v1/emergency-plans/",
            {
                "use_unit": world["use_a"].pk,
                "title": "X",
                "version": "V1",
                "adopted_on": str(timezone.localdate()),
                "elevators": [world["a"].pk],
                "document": _file("p.pdf", PDF),
            },
        )
        assert refused.status_code in (400, 403)
        assert EmergencyPlan.objects.count() == 1
