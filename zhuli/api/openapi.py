"""The OpenAPI document, completed: every authenticated operation documents its 401 and every
operation with parameters its 422, whether or not its router remembered to declare them."""
from __future__ import annotations

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from .errors import ErrorOut, ValidationOut


class ZhuliOpenAPISchema(OpenAPISchema):
    def responses(self, operation):
        result = super().responses(operation)
        implied = []
        if operation.auth_callbacks:
            implied.append((401, ErrorOut, "Unauthorized"))
        if operation.models:
            implied.append((422, ValidationOut, "Unprocessable Entity"))
        for status, shape, description in implied:
            if status in result:
                continue
            schema = self._create_schema_from_model(operation._create_response_model(shape), mode="serialization")[0]
            result[status] = {"description": description,
                              "content": {self.api.renderer.media_type: {"schema": schema}}}
        return result


class ZhuliAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return ZhuliOpenAPISchema(self, path_prefix)
