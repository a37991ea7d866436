"""sluice: stream tabular training data into pyarrow, pandas, numpy and PyTorch.

    import sluice
    connector = sluice.DataConnector.from_sources("s3://bucket/train/", region="us-east-1")
    df = connector.to_pandas()
    for batch in connector.iter_batches(batch_size=1024, shuffle=True, epoch=3):
        ...                                   # {column: numpy array}, docs/design.md's column policy
    dataset = connector.to_torch_dataset(batch_size=1024, features=["x1", "x2"], label="y")
    for X, y in torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=2):
        ...

The reading itself is done by the sluice shared library (Rust); this package is a
thin ctypes binding over its C API (include/sluice.h). Options: docs/options.md.
"""

from . import _lib
from ._connector import BoundRead, DataConnector, DataShard, ShardedDataConnector, Stream
from ._dataframe import remove_snapshots
from ._dataset import Dataset, DatasetVersion, load_dataset
from ._errors import (
    SluiceError,
    SluiceInternalError,
    SluiceInvalidArgument,
    SluiceInvalidData,
    SluiceIOError,
    SluiceNotFoundError,
    SluicePanic,
    SluicePermissionError,
    SluiceSchemaMismatch,
    SluiceUnsupported,
    Status,
)
from ._numpy import batch_to_numpy, column_to_numpy

#: The library's version (sluice_version()); the package is built from the same release.
__version__ = _lib.version
#: The C ABI version this package checked at import.
ABI_VERSION = _lib.ABI_VERSION
#: Where the shared library was loaded from.
LIBRARY_PATH = _lib.library_path

__all__ = [
    "ABI_VERSION",
    "LIBRARY_PATH",
    "BoundRead",
    "DataConnector",
    "DataShard",
    "Dataset",
    "DatasetVersion",
    "ShardedDataConnector",
    "SluiceError",
    "SluiceIOError",
    "SluiceInternalError",
    "SluiceInvalidArgument",
    "SluiceInvalidData",
    "SluiceNotFoundError",
    "SluicePanic",
    "SluicePermissionError",
    "SluiceSchemaMismatch",
    "SluiceUnsupported",
    "Status",
    "Stream",
    "batch_to_numpy",
    "column_to_numpy",
    "load_dataset",
    "remove_snapshots",
    "__version__",
]
