"""Registers the local-process executor under the name ``chainprobe-local``."""

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin


class LocalProcessExecutorPlugin(RuntimeExecutorPlugin):
    name = "chainprobe-local"

    def load(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        from chainprobe_localstack.lambda_.executor import LocalProcessRuntimeExecutor

        return LocalProcessRuntimeExecutor
