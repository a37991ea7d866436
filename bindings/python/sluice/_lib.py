"""Loading the sluice shared library and declaring its C functions (ctypes).

Order in which the library is looked for:
  1. the path in the environment variable SLUICE_LIBRARY, if set;
  2. the copy bundled in this package: maturin's cffi layout puts the crate's cdylib
     in platlib as sluice/_native/lib_native.so (.dylib, _native.dll), next to a cffi
     declaration module that sluice does not use.
The library's ABI version must equal ABI_VERSION, or the import fails.
"""

import ctypes
import os
import sys
from pathlib import Path

#: The C ABI version (SLUICE_ABI_VERSION in sluice.h) this package is written for.
ABI_VERSION = 2

ENV_LIBRARY = "SLUICE_LIBRARY"


def library_file_name():
    if sys.platform == "darwin":
        return "libsluice.dylib"
    if sys.platform == "win32":
        return "sluice.dll"
    return "libsluice.so"


def bundled_file_name():
    """The name maturin gives the library in the wheel (the extension `sluice._native`)."""
    if sys.platform == "darwin":
        return "lib_native.dylib"
    if sys.platform == "win32":
        return "_native.dll"
    return "lib_native.so"


BUNDLED_LIBRARY = Path(__file__).resolve().parent / "_native" / bundled_file_name()


# --- Arrow C data interface structs -----------------------------------------------------


class ArrowSchema(ctypes.Structure):
    pass


ArrowSchema._fields_ = [
    ("format", ctypes.c_char_p),
    ("name", ctypes.c_char_p),
    ("metadata", ctypes.c_char_p),
    ("flags", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("children", ctypes.POINTER(ctypes.POINTER(ArrowSchema))),
    ("dictionary", ctypes.POINTER(ArrowSchema)),
    ("release", ctypes.c_void_p),
    ("private_data", ctypes.c_void_p),
]


class ArrowArray(ctypes.Structure):
    pass


ArrowArray._fields_ = [
    ("length", ctypes.c_int64),
    ("null_count", ctypes.c_int64),
    ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("buffers", ctypes.POINTER(ctypes.c_void_p)),
    ("children", ctypes.POINTER(ctypes.POINTER(ArrowArray))),
    ("dictionary", ctypes.POINTER(ArrowArray)),
    ("release", ctypes.c_void_p),
    ("private_data", ctypes.c_void_p),
]


class ArrowArrayStream(ctypes.Structure):
    _fields_ = [
        ("get_schema", ctypes.c_void_p),
        ("get_next", ctypes.c_void_p),
        ("get_last_error", ctypes.c_void_p),
        ("release", ctypes.c_void_p),
        ("private_data", ctypes.c_void_p),
    ]


class ColumnTarget(ctypes.Structure):
    """`sluice_column_target`: where `sluice_connector_read_into` writes one column."""

    _fields_ = [
        ("column", ctypes.c_char_p),
        ("values", ctypes.c_void_p),
        ("rows", ctypes.c_uint64),
        ("null_mask", ctypes.c_void_p),
        ("null_count", ctypes.c_void_p),
    ]


# --- the library -----------------------------------------------------------------------

_status = ctypes.c_int
_handle = ctypes.c_void_p
_error_out = ctypes.POINTER(ctypes.c_void_p)

#: sluice_log_callback: (level, target, message, user_data), called from any thread (_logging.py)
LOG_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_uint32, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p)
#: sluice_progress_callback: (rows_done, rows_total, user_data), on the calling thread (_dataset.py)
PROGRESS_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_void_p)

# name: (restype, argtypes)
_PROTOTYPES = {
    "sluice_version": (ctypes.c_char_p, []),
    "sluice_abi_version": (ctypes.c_uint32, []),
    "sluice_error_status": (_status, [_handle]),
    "sluice_error_message": (ctypes.c_char_p, [_handle]),
    "sluice_error_free": (None, [_handle]),
    "sluice_source_options_new": (_handle, []),
    "sluice_source_options_free": (None, [_handle]),
    "sluice_source_options_set": (_status, [_handle, ctypes.c_char_p, ctypes.c_char_p, _error_out]),
    "sluice_read_options_new": (_handle, []),
    "sluice_read_options_free": (None, [_handle]),
    "sluice_read_options_set": (_status, [_handle, ctypes.c_char_p, ctypes.c_char_p, _error_out]),
    "sluice_connector_open": (
        _status,
        [ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t, _handle, ctypes.POINTER(_handle), _error_out],
    ),
    "sluice_connector_from_sql": (
        _status,
        [
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.POINTER(ctypes.c_char_p),
            ctypes.POINTER(ctypes.c_char_p),
            ctypes.c_size_t,
            ctypes.POINTER(ArrowArrayStream),
            _handle,
            ctypes.POINTER(_handle),
            _error_out,
        ],
    ),
    "sluice_connector_free": (None, [_handle]),
    "sluice_connector_schema": (_status, [_handle, ctypes.POINTER(ArrowSchema), _error_out]),
    "sluice_connector_num_rows": (_status, [_handle, ctypes.POINTER(ctypes.c_uint64), _error_out]),
    "sluice_connector_count_rows": (_status, [_handle, _handle, ctypes.POINTER(ctypes.c_uint64), _error_out]),
    "sluice_connector_read": (_status, [_handle, _handle, ctypes.POINTER(ArrowArrayStream), _error_out]),
    "sluice_connector_read_schema": (_status, [_handle, _handle, ctypes.POINTER(ArrowSchema), _error_out]),
    "sluice_connector_read_into": (
        _status,
        [_handle, _handle, ctypes.POINTER(ColumnTarget), ctypes.c_size_t, ctypes.POINTER(ArrowArrayStream), _error_out],
    ),
    "sluice_stream_last_error": (_status, [ctypes.POINTER(ArrowArrayStream), _error_out, _error_out]),
    "sluice_log_set_callback": (_status, [LOG_CALLBACK, ctypes.c_uint32, ctypes.c_void_p, _error_out]),
    "sluice_log_set_level": (_status, [ctypes.c_uint32, _error_out]),
    "sluice_stream_position": (
        _status,
        [ctypes.POINTER(ArrowArrayStream), ctypes.c_uint64, ctypes.POINTER(ctypes.c_void_p), _error_out],
    ),
    "sluice_string_free": (None, [ctypes.c_void_p]),
    "sluice_log_flush": (None, []),
    "sluice_connector_from_arrow_stream": (
        _status,
        [ctypes.POINTER(ArrowArrayStream), ctypes.c_char_p, _handle, ctypes.POINTER(_handle), _error_out],
    ),
    "sluice_connector_snapshot": (_status, [_handle, ctypes.POINTER(ctypes.c_void_p), _error_out]),
    "sluice_snapshots_remove": (
        _status,
        [ctypes.c_char_p, ctypes.c_uint64, _handle, ctypes.POINTER(ctypes.c_uint64), _error_out],
    ),
    "sluice_dataset_create": (_status, [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int32, _handle, _error_out]),
    "sluice_dataset_versions": (
        _status,
        [ctypes.c_char_p, ctypes.c_char_p, _handle, ctypes.POINTER(ctypes.c_void_p), _error_out],
    ),
    "sluice_dataset_manifest": (
        _status,
        [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, _handle, ctypes.POINTER(ctypes.c_void_p), _error_out],
    ),
    "sluice_dataset_create_version": (
        _status,
        [
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            _handle,
            ctypes.POINTER(ctypes.c_char_p),
            ctypes.POINTER(ctypes.c_char_p),
            ctypes.c_size_t,
            PROGRESS_CALLBACK,
            ctypes.c_void_p,
            _handle,
            ctypes.POINTER(ctypes.c_void_p),
            _error_out,
        ],
    ),
    "sluice_dataset_delete_version": (
        _status,
        [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, _handle, _error_out],
    ),
    "sluice_dataset_clean_up": (
        _status,
        [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint64, _handle, ctypes.POINTER(ctypes.c_void_p), _error_out],
    ),
    "sluice_connector_open_dataset": (
        _status,
        [
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_int32,
            _handle,
            ctypes.POINTER(_handle),
            _error_out,
        ],
    ),
}


def _candidates():
    explicit = os.environ.get(ENV_LIBRARY)
    if explicit:
        return [(Path(explicit).absolute(), f"${ENV_LIBRARY}")]
    return [(BUNDLED_LIBRARY, "the copy bundled in the package")]


def load_library(path=None, expected_abi=ABI_VERSION):
    """Load the library (from `path`, or by the lookup order above) and check its ABI.

    Returns (ctypes library, path it was loaded from)."""
    if path is not None:
        candidates = [(Path(path).absolute(), "the given path")]
    else:
        candidates = _candidates()
    library_path, origin = candidates[0]
    if not library_path.is_file():
        hint = (
            f"set {ENV_LIBRARY} to the path of {library_file_name()} "
            "or reinstall the package (`pip install ./bindings/python` from a checkout)"
        )
        raise ImportError(f"sluice: shared library not found at {library_path} ({origin}); {hint}")
    try:
        lib = ctypes.CDLL(str(library_path))
    except OSError as exc:
        raise ImportError(f"sluice: cannot load {library_path} ({origin}): {exc}") from exc
    missing = [name for name in _PROTOTYPES if not hasattr(lib, name)]
    if missing:
        raise ImportError(f"sluice: {library_path} ({origin}) is not a sluice library: missing {', '.join(missing)}")
    for name, (restype, argtypes) in _PROTOTYPES.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    found_abi = lib.sluice_abi_version()
    if found_abi != expected_abi:
        raise ImportError(
            f"sluice: {library_path} ({origin}) has C ABI version {found_abi}, "
            f"but this Python package needs ABI version {expected_abi}; "
            "install the package and the library from the same sluice release"
        )
    return lib, str(library_path)


lib, library_path = load_library()
version = lib.sluice_version().decode("utf-8")
