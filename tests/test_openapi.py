"""The OpenAPI schema is valid and complete (`referee spectacular --validate --fail-on-warn`)."""

import pytest
import yaml
from django.core.management import call_command


@pytest.mark.django_db
def test_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    paths = schema["paths"]
    for path in ("/api/assignment-batches/", "/api/assignment-batches/{uuid}/send/", "/api/my-assignment-batches/"):
        assert path in paths, path


@pytest.mark.django_db
def test_schema_and_docs_are_served(api, world):
    client = api(world.stranger)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
