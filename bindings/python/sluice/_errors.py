"""Errors of the sluice core, as Python exceptions."""

import enum
from typing import Dict, Tuple, Type, Union


class Status(enum.IntEnum):
    """`sluice_status` values from sluice.h."""

    OK = 0
    INVALID_ARGUMENT = 1
    NOT_FOUND = 2
    IO = 3
    INVALID_DATA = 4
    SCHEMA_MISMATCH = 5
    PERMISSION_DENIED = 6
    UNSUPPORTED = 7
    PANIC = 8
    INTERNAL = 9


class SluiceError(Exception):
    """An error reported by the sluice core.

    Attributes:
        status: the core's `Status` (a plain int for a status this package does not know).
        message: the core's message.
    """

    status: Union[Status, int]
    message: str

    def __init__(self, message: str, status: Union[Status, int] = Status.INTERNAL) -> None:
        # One positional argument only: OSError subclasses would read two as (errno, strerror).
        super().__init__(message)
        self.message = message
        try:
            self.status = Status(status)
        except ValueError:
            self.status = status

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> Tuple[object, Tuple[str, int]]:
        return (_rebuild, (self.message, int(self.status)))


class SluiceInvalidArgument(SluiceError, ValueError):
    """Unknown or invalid option, unknown column, batch_size 0, shard index out of range …"""


class SluiceNotFoundError(SluiceError, FileNotFoundError):
    """Missing file or object, empty directory, glob matching nothing, HTTP 404."""


class SluiceIOError(SluiceError, OSError):
    """I/O or network failure, unreachable host."""


class SluiceInvalidData(SluiceError, ValueError):
    """Corrupt or truncated file, CSV row with a wrong field count, unparsable value."""


class SluiceSchemaMismatch(SluiceError, ValueError):
    """Files disagree on the schema."""


class SluicePermissionError(SluiceError, PermissionError):
    """Access denied (S3 AccessDenied, HTTP 401/403)."""


class SluiceUnsupported(SluiceError, NotImplementedError):
    """A format, scheme or feature that the core does not support."""


class SluicePanic(SluiceError, RuntimeError):
    """A panic inside the library, caught at the C boundary (a bug: please report it)."""


class SluiceInternalError(SluiceError, RuntimeError):
    """An internal error of the library."""


_BY_STATUS: Dict[int, Type[SluiceError]] = {
    Status.INVALID_ARGUMENT: SluiceInvalidArgument,
    Status.NOT_FOUND: SluiceNotFoundError,
    Status.IO: SluiceIOError,
    Status.INVALID_DATA: SluiceInvalidData,
    Status.SCHEMA_MISMATCH: SluiceSchemaMismatch,
    Status.PERMISSION_DENIED: SluicePermissionError,
    Status.UNSUPPORTED: SluiceUnsupported,
    Status.PANIC: SluicePanic,
    Status.INTERNAL: SluiceInternalError,
}


def error_for(status: int, message: str) -> SluiceError:
    """The exception for a core status and message."""
    return _BY_STATUS.get(status, SluiceError)(message, status)


def _rebuild(message: str, status: int) -> SluiceError:
    return error_for(status, message)
