class RestClient:
    timeout: float | None
    base_url: str | None
    def __init__(
        self,
        timeout: float | None = None,
        base_url: str | None = None,
        requests_verify: bool | None = None,
        requests_cert: str | None = None,
    ) -> None: ...
