"""The OpenAPI schema documents every error answer the API gives, for every operation, present and future.

A drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]) adds to each operation
the answers DRF gives without the view saying so, with their real shapes, unless the view documents its own:

- 400: a malformed body (`{"detail": …}`) or fields refused (`{"<field>": ["…"], "non_field_errors": […]}`);
- 401: no or bad credentials, 403: not allowed (`{"detail": …}`);
- 404: a row not found, or outside the user's companies (`{"detail": …}`), also a page past the end;
- 409: a write the database refused as conflicting with an existing row (company.api.Conflict);
- 413: a body larger than Django's DATA_UPLOAD_MAX_MEMORY_SIZE (`{"detail": …}`), on a write.

It also removes the one `oneOf` ambiguity drf-spectacular writes (a blank-allowing pattern field).
"""

from typing import Any

DETAIL = "ErrorDetail"
VALIDATION = "ValidationErrorBody"

COMPONENTS: dict[str, dict[str, Any]] = {
    DETAIL: {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
        "description": "An error: what was wrong, in words.",
    },
    VALIDATION: {
        "type": "object",
        "description": (
            "A refused request: `detail` for a body that could not be read, or, per field (and "
            "`non_field_errors`), the reasons it was refused."
        ),
        "additionalProperties": {},
    },
}

ERRORS: dict[str, tuple[str, str]] = {
    "400": (VALIDATION, "The request was refused: a malformed body or invalid fields; nothing was changed."),
    "401": (DETAIL, "No credentials, or invalid ones."),
    "403": (DETAIL, "The user may not do this."),
    "404": (DETAIL, "Not found (another company's row is not found either), or a page past the end."),
    "409": (DETAIL, "The database refused the change: it conflicts with an existing row."),
    "413": (DETAIL, "The request body is too large; nothing was changed."),
}
WRITES = {"post", "put", "patch", "delete"}
BLANK = {"type": "string", "maxLength": 0}


def _without_ambiguous_one_of(node: Any) -> None:
    """Turn drf-spectacular's `oneOf: [<pattern>, <blank>]` for a blank-allowing field into `anyOf`.

    When the pattern also matches "" (as the KID's does), an empty value matches both alternatives, which
    `oneOf` forbids: the schema would call the API's own answer invalid. `anyOf` says what is meant.
    """
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            one_of = item.get("oneOf")
            if isinstance(one_of, list) and BLANK in one_of:
                item["anyOf"] = item.pop("oneOf")
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Add the error answers to every operation of the schema `result` that does not document them itself."""
    _without_ambiguous_one_of(result)
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in COMPONENTS.items():
        schemas.setdefault(name, schema)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, (component, description) in ERRORS.items():
                if status in ("409", "413") and method not in WRITES:
                    continue
                operation["responses"].setdefault(
                    status,
                    {
                        "description": description,
                        "content": {
                            "application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}
                        },
                    },
                )
    return result
