"""`get_context()`: what a rank's `train_func` asks for (its data, model directory, hyper-parameters,
rank), under the names of Snowflake's training context."""

import copy
import os
from typing import Any, Dict, List, Optional

from .._connector import ShardedDataConnector

_current: Optional["Context"] = None


class Context:
    """The training context of one rank (see `get_context`)."""

    def __init__(
        self,
        dataset_map: Dict[str, ShardedDataConnector],
        model_dir: str,
        hyper_params: Dict[str, Any],
        device: str,
        backend: str,
    ) -> None:
        self._dataset_map = dataset_map
        self._model_dir = model_dir
        self._hyper_params = hyper_params
        self._device = device
        self._backend = backend
        self._reports: List[Dict[str, Any]] = []

    def get_dataset_map(self) -> Dict[str, ShardedDataConnector]:
        """{name: ShardedDataConnector} as given to `run(dataset_map=...)`, each bound to this rank:
        `get_shard()` without arguments is this rank's shard, of equal length on every rank
        (equal_shards="drop", unless the connector was built with equal="pad")."""
        return dict(self._dataset_map)

    def get_model_dir(self) -> str:
        """A directory to save the model in (run's `artifact_dir`, else a new temporary one); the
        same for every rank, and returned by `run()` as `model_dir`."""
        return self._model_dir

    def get_hyper_params(self) -> Dict[str, Any]:
        """The `hyper_params` given to `run()` (a copy)."""
        return copy.deepcopy(self._hyper_params)

    def get_world_rank(self) -> int:
        """This rank among all ranks ($RANK)."""
        return int(os.environ["RANK"])

    get_rank = get_world_rank

    def get_world_size(self) -> int:
        """The number of ranks ($WORLD_SIZE)."""
        return int(os.environ["WORLD_SIZE"])

    def get_local_rank(self) -> int:
        """This rank among the ranks of its node ($LOCAL_RANK): the GPU it uses."""
        return int(os.environ["LOCAL_RANK"])

    def get_local_world_size(self) -> int:
        """The number of ranks on this node ($LOCAL_WORLD_SIZE)."""
        return int(os.environ["LOCAL_WORLD_SIZE"])

    def get_node_rank(self) -> int:
        """The node this rank runs on ($GROUP_RANK; 0 on one machine)."""
        return int(os.environ.get("GROUP_RANK", "0"))

    def get_default_device(self) -> str:
        """The device of this rank: "cuda:<local rank>" when the ranks were given GPUs, else "cpu"."""
        return self._device

    def get_backend(self) -> str:
        """The torch.distributed backend for this rank's device: "nccl" on a GPU, else "gloo"."""
        return self._backend

    def report(self, metrics: Dict[str, Any]) -> None:
        """Record `metrics` (a dict of picklable values); `run()` returns every rank's reports."""
        if not isinstance(metrics, dict):
            raise TypeError(f"sluice.train: report() takes a dict of metrics, not {type(metrics).__name__}")
        self._reports.append(dict(metrics))


def get_context() -> Context:
    """The training context of this rank, inside a `train_func` run by `PyTorchTrainer.run()`."""
    if _current is None:
        raise RuntimeError(
            "sluice.train: get_context() is only available inside a train_func run by PyTorchTrainer.run()"
        )
    return _current


#: Snowflake's examples spell it getContext
getContext = get_context


def set_context(context: Optional[Context]) -> None:
    global _current
    _current = context
