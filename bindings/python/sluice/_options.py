"""Python values to the core's option strings, and the read size of chunked outputs."""

import json
import os

from ._errors import SluiceInvalidArgument


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


def encode(text, what="a source"):
    """UTF-8 bytes for the C API, which cuts a string at its first NUL: refuse one instead."""
    if "\x00" in text:
        raise SluiceInvalidArgument(f"sluice: {what} contains a NUL character, which no option or path may hold")
    return text.encode("utf-8")


def option_items(options):
    """(key bytes, value bytes) for every option whose value is not None; `options` is a dict
    or a list of (key, value) pairs, set in their order."""
    for key, value in options.items() if isinstance(options, dict) else options:
        if value is None:
            continue
        yield encode(key, f"the option name {key!r}"), encode(option_value(key, value), f"the value of option {key!r}")


#: rows per emitted chunk when an output cuts its batches from larger chunks (torch, tf.data):
#: converting one chunk and slicing it costs far less per batch than converting every batch
CHUNK_ROWS = 65536


def batches_per_chunk(batch_size):
    """The read option batches_per_chunk for chunks of about CHUNK_ROWS rows: the core then
    emits whole batches per chunk, batch i being the chunk's rows i*batch_size, …"""
    return max(1, CHUNK_ROWS // batch_size)
