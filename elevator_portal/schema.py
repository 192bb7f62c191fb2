"""The OpenAPI schema's shared parts (drf-spectacular postprocessing; issue 14: business-rule 400s undocumented).

Every write of the API answers a refused request the same way (elevator_portal.api.exception_handler): 400 with the
messages per field, `{"<field>": ["<message>", ...], ...}` (`non_field_errors` for the whole request), 403 when the
user may not do it, 404 when the row is outside the user's scope. This hook states those answers on every write
operation that does not describe them itself, so that a client generated from the schema expects them.
"""

VALIDATION_ERROR = {
    "type": "object",
    "description": "字段校验错误：每个字段（或 non_field_errors）对应一组中文说明。Field errors: messages per field.",
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object", "additionalProperties": True},  # nested (bulk items by index)
            {"type": "string"},  # {"detail": "..."} for a body that could not be read at all
        ]
    },
    "example": {"reported_at": ["报告时间不能晚于当前时间。"]},
}
DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
WRITES = ("post", "put", "patch")


def add_error_responses(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry: 400/403/404 on every write operation that lacks them."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("ValidationError", VALIDATION_ERROR)
    components.setdefault("ErrorDetail", DETAIL)
    answers = {
        "400": ("请求内容不符合规则，按字段说明原因。The request was refused: messages per field.", "ValidationError"),
        "403": ("无权进行此操作。Not allowed for this user.", "ErrorDetail"),
        "404": ("对象不存在或不在您的管辖范围内。Not found, or outside the user's scope.", "ErrorDetail"),
    }
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in WRITES:
                continue
            responses = operation.setdefault("responses", {})
            for status, (description, schema) in answers.items():
                if status == "404" and "{" not in _path_of(result, operation):
                    continue  # only operations on one row can miss it
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
                    },
                )
    return result


def _path_of(result, operation) -> str:
    for path, item in result.get("paths", {}).items():
        if operation in item.values():
            return path
    return ""
