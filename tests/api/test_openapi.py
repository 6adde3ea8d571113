"""The OpenAPI document: valid 3.1, built from schemas/, naming exactly the app's routes."""

import re

from openapi_spec_validator import validate

from shim.schemas import Schemas

METHODS = {"get", "put", "post", "delete", "patch"}
NOT_API = ("/docs", "/dashboard")  # the human-readable pages and their assets


async def test_openapi_document_is_valid_openapi_3_1_and_needs_no_auth(api):
    reply = await api.as_(None).get("/openapi.json")
    assert reply.status == 200
    assert reply.body["openapi"] == "3.1.0"
    validate(reply.body)


async def test_every_route_is_documented_and_every_operation_is_a_route(api):
    doc = (await api.get("/openapi.json")).body
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    routes = {
        (route.resource.canonical, route.method.lower())
        for route in api.client.server.app.router.routes()
        if route.method.lower() in METHODS and not route.resource.canonical.startswith(NOT_API)
        and route.resource.canonical != "/"  # a redirect to /dashboard/
    }
    assert documented == routes


async def test_every_schema_file_is_a_component_with_file_refs_rewritten(api):
    doc = (await api.get("/openapi.json")).body
    components = doc["components"]["schemas"]
    assert set(components) == {name.replace("/", ".") for name in Schemas().documents}
    refs = re.findall(r'"\$ref": "([^"]+)"', str(doc).replace("'", '"'))
    assert refs and all(r.startswith("#/components/") for r in refs)


async def test_request_bodies_reference_the_schemas_the_server_validates_with(api):
    doc = (await api.get("/openapi.json")).body
    body = doc["paths"]["/v3/tokens"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/v3.token-create"}
    assert body["required"] is False  # an empty body creates a default token
    setting = doc["paths"]["/v3/settings/{name}"]["put"]["requestBody"]
    assert setting["required"] is True  # "value" is required
    assert "x-rule" in doc["components"]["schemas"]["settings.auth-token-max-ttl-minutes"]


async def test_security_schemes_are_bearer_basic_and_the_session_cookie(api):
    doc = (await api.get("/openapi.json")).body
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == "bearer" and schemes["basic"]["scheme"] == "basic"
    assert schemes["cookie"] == {**schemes["cookie"], "in": "cookie", "name": "R_SESS"}
    assert doc["paths"]["/v3-public/localProviders/local"]["post"]["security"] == []
    assert "security" not in doc["paths"]["/v3/tokens"]["get"]  # the global requirement


async def test_metrics_access_setting_shapes_the_document(make_api, config):
    public = await make_api(config, metrics="public")
    doc = (await public.get("/openapi.json")).body
    assert doc["paths"]["/metrics"]["get"]["security"] == []
    off = await make_api(config, metrics="off")
    assert "/metrics" not in (await off.get("/openapi.json")).body["paths"]


async def test_docs_page_serves_swagger_ui_from_the_package_without_a_cdn(api):
    anonymous = api.as_(None)
    page = await anonymous.get("/docs")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.body)
    assert sources and not [s for s in sources if "//" in s]
    for source in sources:
        async with api.client.get(f"/{source}") as asset:
            assert asset.status == 200 and len(await asset.read()) > 100, source
    async with api.client.get("/docs/static/swagger-ui-bundle.js") as script:
        assert "javascript" in script.headers["Content-Type"]


async def test_docs_assets_outside_the_allow_list_are_404(api):
    for name in ("swagger-editor.js", "..%2F__init__.py", "LICENSE"):
        assert (await api.as_(None).get(f"/docs/static/{name}")).status == 404
