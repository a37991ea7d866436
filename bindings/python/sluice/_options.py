"""Python values to the core's option strings."""

import json
import os


def option_value(key, value):
    """bool -> "true"/"false"; list/tuple -> JSON; path-like -> str; everything else str()."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return json.dumps([os.fspath(v) if isinstance(v, os.PathLike) else v for v in value])
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def encode(text):
    return text.encode("utf-8")


def option_items(options):
    """(key bytes, value bytes) for every option whose value is not None."""
    for key, value in options.items():
        if value is None:
            continue
        yield encode(key), encode(option_value(key, value))
