from typing import Any

class RequestResponseRequest:
    method: str | None
    url: str | None
    absolute_url: str | None
    headers: dict[str, Any] | None
    body: str | None
    logged_date: int | None
    logged_date_string: str | None

class RequestResponseDefinition:
    status: int | None

class RequestResponse:
    request: RequestResponseRequest | None
    response_definition: RequestResponseDefinition | None

class RequestResponseAllMeta:
    total: int | None

class RequestResponseAll:
    requests: list[RequestResponse] | None
    meta: RequestResponseAllMeta | None
    request_journal_disabled: bool | None

class RequestResponseFindResponse:
    requests: list[RequestResponseRequest] | None
