from typing import Any

class NearMissMatchPatternRequest:
    def __init__(
        self,
        *,
        method: str | None = None,
        url: str | None = None,
        url_path: str | None = None,
        body_patterns: list[dict[str, Any]] | None = None,
        **values: Any,
    ) -> None: ...
