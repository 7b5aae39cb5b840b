"""The OpenAPI schema tells the truth about errors: every operation declares the error statuses it
can answer, each with the one error shape of §1 (Errors)."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent

ERROR = ResolvedComponent(
    name="Error", type=ResolvedComponent.SCHEMA, object="Error",
    schema={"type": "object", "description": "Every refusal but a field error: `{\"detail\": message}`.",
            "properties": {"detail": {"type": "string"}}, "required": ["detail"]},
)
BAD_REQUEST = ResolvedComponent(
    name="BadRequest", type=ResolvedComponent.SCHEMA, object="BadRequest",
    schema={"type": "object", "additionalProperties": {},
            "description": "Bad input: `{field: [message]}` per invalid field (object-level errors under "
                           "`non_field_errors`; nested fields nest the same way), or `{\"detail\": message}` "
                           "for malformed JSON, an oversized body and state guards; pool-invitation refusals "
                           "add `error` (a code) and `message`."},
)
ERRORS = {
    "400": (BAD_REQUEST, "Bad input, or a state guard refused the action."),
    "401": (ERROR, "No valid token (or, at password sign-in, wrong credentials)."),
    "403": (ERROR, "Visible but not allowed for the caller's role (support users never write)."),
    "404": (ERROR, "Not visible to the caller, not found, or a page past the end of a list."),
    "429": (ERROR, "Password sign-in only: the account or the client address has spent its attempts; "
                   "retry after the `Retry-After` seconds."),
    "414": (ERROR, "The request line (path and query) is longer than 4094 bytes."),
    "503": (ERROR, "Nothing was changed: the embedded SQLite database stayed busy with other changes for "
                   "20 s (retry after the `Retry-After` seconds), or the action queues background work "
                   "(conflict detection) and no background worker is running."),
}
READS = ("list", "retrieve")


class RefereeAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self.error_statuses():
            component, description = ERRORS[code]
            self.registry.register_on_missing(component)
            responses.setdefault(code, {"description": description,
                                        "content": {"application/json": {"schema": component.ref}}})
        return responses

    def error_statuses(self) -> list[str]:
        """400 and 401 anywhere (any body may be malformed or oversized; every route but password
        sign-in needs a token, and that one answers 401 to wrong credentials); 403 but for the
        plain reads of a collection, which only filter; 404 but for creating in a top-level
        collection (a nested one's parent may be invisible); 414 anywhere (the server's limit on
        the request line); 503 for writes (SQLite gives up waiting for its one write lock; work for
        the background finds no worker); 429 for password sign-in (attempts are limited)."""
        action = getattr(self.view, "action", None)
        plain_read = self.method == "GET" and action in READS
        creates_at_top = self.method == "POST" and action == "create" and "{" not in self.path
        return ["400", "401", *([] if plain_read else ["403"]), *([] if creates_at_top else ["404"]), "414",
                *(["429"] if self.path == "/api-auth/password/" else []), *([] if self.method == "GET" else ["503"])]

