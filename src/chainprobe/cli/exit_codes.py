"""The documented exit codes of every chainprobe command."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    SLO_BREACHED = 1
    USAGE = 2
    UNREACHABLE = 3
    INTERNAL = 4  # a bug in chainprobe: never confused with a breached SLO
    INTERRUPTED = 130  # stopped by the user (Ctrl-C, SIGTERM): 128 + SIGINT, as shells report it
