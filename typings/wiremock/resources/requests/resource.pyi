from typing import Any, ClassVar

from wiremock.base.base_resource import RestClient
from wiremock.resources.near_misses import NearMissMatchPatternRequest
from wiremock.resources.requests import RequestResponseAll, RequestResponseFindResponse

class Requests:
    REST_CLIENT: ClassVar[RestClient]
    @classmethod
    def get_all_received_requests(
        cls, limit: int | None = None, since: str | None = None, parameters: dict[str, Any] = ...
    ) -> RequestResponseAll: ...
    @classmethod
    def get_matching_requests(
        cls, request: NearMissMatchPatternRequest, parameters: dict[str, Any] = ...
    ) -> RequestResponseFindResponse: ...
