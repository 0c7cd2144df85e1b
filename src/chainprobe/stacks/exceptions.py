"""What can go wrong bringing a stack up. Each message is one line for the terminal."""


class StackError(Exception):
    """Base class: a stack could not be set up, started, reached or deployed to."""


class ToolMissingError(StackError):
    """A tool the stack needs (Java, Python >= 3.12, npm) is not on this machine."""


class ToolInstallError(StackError):
    """Installing LocalStack, the Lambda runtime or WireMock failed."""


class PortInUseError(StackError):
    """A port the stack wants to bind on 127.0.0.1 is taken by another process."""


class ServerStartError(StackError):
    """A server process exited or did not become ready in time."""


class DeployError(StackError):
    """The reference chain's CloudFormation stack did not reach a complete state."""


class SmokeOrderError(StackError):
    """The stack is up but an order did not pass through the whole chain."""


class StackConfigError(StackError):
    """The stack was asked for something that contradicts its configuration or state (exit 2)."""
