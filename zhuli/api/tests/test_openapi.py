"""The OpenAPI document is complete: every path, every success and error code with a schema."""
import json

import pytest

EXPECTED = {
    "/api/v1/auth/token": {"post", "delete"},
    "/api/v1/signup": {"post"},
    "/api/v1/me": {"get"},
    "/api/v1/users": {"get"},
    "/api/v1/users/{user_id}": {"get"},
    "/api/v1/departments": {"get"},
    "/api/v1/departments/{department_id}": {"get"},
    "/api/v1/dictionaries": {"get"},
    "/api/v1/dictionaries/{item_id}": {"get"},
    "/api/v1/customers": {"get", "post"},
    "/api/v1/customers/duplicates": {"get"},
    "/api/v1/customers/transfer": {"post"},
    "/api/v1/customers/{customer_id}": {"get", "patch", "delete"},
    "/api/v1/customers/{customer_id}/transfer": {"post"},
    "/api/v1/customers/{customer_id}/owner-changes": {"get"},
    "/api/v1/contacts": {"get", "post"},
    "/api/v1/contacts/{contact_id}": {"get", "patch", "delete"},
    "/api/v1/followups": {"get", "post"},
    "/api/v1/followups/{followup_id}": {"get", "patch", "delete"},
    "/api/v1/todos": {"get", "post"},
    "/api/v1/todos/{todo_id}": {"get", "delete"},
    "/api/v1/todos/{todo_id}/complete": {"post"},
}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def document(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_document_lists_every_endpoint(document):
    assert document["openapi"].startswith("3.")
    paths = {p: {m for m in ops if m in METHODS} for p, ops in document["paths"].items()}
    for path, methods in EXPECTED.items():
        assert path in paths, path
        assert methods <= paths[path], path


def test_every_operation_documents_success_and_errors(document):
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            if method not in METHODS:
                continue
            codes = set(op["responses"])
            success = {c for c in codes if c.startswith("2")}
            assert success, f"{method} {path}: no success response"
            # Public operations (auth=None, e.g. sign-up) carry no security and cannot answer 401.
            assert "401" in codes or "security" not in op, f"{method} {path}: 401 undocumented"
            for code, response in op["responses"].items():
                # File downloads (imports' error files, exports) have no JSON body to describe.
                if code == "204" or (code.startswith("2") and path not in EXPECTED):
                    continue
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                assert schema, f"{method} {path} {code}: no schema"
            if "{" in path and path.startswith("/api/v1/") and method == "get" and not path.endswith("owner-changes"):
                assert "404" in codes, f"{method} {path}: 404 undocumented"
            if method in ("post", "patch") and op.get("requestBody"):
                assert "422" in codes, f"{method} {path}: 422 undocumented"
            if method != "get" and path != "/api/v1/auth/token" and "security" in op:
                assert "403" in codes, f"{method} {path}: 403 undocumented"


def test_every_reference_resolves(document):
    schemas = document["components"]["schemas"]
    for ref in set(refs(document)):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schemas, ref
    json.dumps(document)  # serialisable as a whole


def test_security_schemes_and_public_token_endpoint(document):
    assert document["components"]["securitySchemes"]["BearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert "security" not in document["paths"]["/api/v1/auth/token"]["post"]
    assert document["paths"]["/api/v1/customers"]["get"]["security"]


def test_duplicate_conflict_is_documented(document):
    conflict = document["paths"]["/api/v1/customers"]["post"]["responses"]["409"]
    ref = conflict["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(document["components"]["schemas"][ref]["properties"]) >= {"detail", "existing", "warnings"}


def test_validates_as_openapi_when_the_validator_is_installed(document):
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(document)


def test_docs_page_uses_vendored_assets(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr" not in html
