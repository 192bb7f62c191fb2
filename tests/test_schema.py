"""The OpenAPI schema states what clients must expect (issue 14): every write's refusals (400 with field messages,
403, 404 for one row), blank choices and nullable values."""

import pytest
import yaml
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client, world):
    client.force_login(world["users"]["city"])
    response = client.get(reverse("schema"))
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_every_write_documents_its_refusals(schema):
    writes = [
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in ("post", "put", "patch")
    ]
    assert writes
    for path, method, op in writes:
        assert {"400", "403"} <= op["responses"].keys(), (method, path)
        assert op["responses"]["400"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ValidationError"
        }
        if "{" in path:
            assert "404" in op["responses"], (method, path)


def test_a_complaint_events_blank_status_and_missing_names_are_in_the_schema(schema):
    event = schema["components"]["schemas"]["ComplaintEvent"]["properties"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in event["status"]["oneOf"]
    assert event["organization_name"].get("nullable") is True
    complaint = schema["components"]["schemas"]["Complaint"]["properties"]
    assert complaint["registration_code"].get("nullable") is True
