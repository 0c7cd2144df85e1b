"""The stacks chainprobe runs on: ``local`` (LocalStack on the host + WireMock, the default),
``compose`` (the same in containers) and ``aws`` (a real account).

Whatever the stack, its endpoints reach the rest of the pipeline as one ``StackEndpoints`` value.
"""

from chainprobe.stacks.endpoints import StackEndpoints

__all__ = ["StackEndpoints"]
