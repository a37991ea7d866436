"""Progress of long reads (`progress=`) and the `sluice` logger.

The total comes from the core before any data is read (`count_rows`: after shards, workers,
limit and drop_last_batch), the progress from the row count of each batch as it arrives, so a
bar ends exactly at its total. `progress=True` shows a tqdm bar (tqdm is optional);
a callable is called as `fn(rows_done, rows_total)` after every batch.
"""

import logging
from typing import Callable, Optional

from ._types import Progress

#: the package's logger: what each read plans (sources, rows, options) at INFO and DEBUG
logger = logging.getLogger("sluice")


class ProgressReport:
    """Counts rows towards `total` and reports them; `restart()` starts a new pass at 0 (XGBoost
    iterates its data several times); `close()` ends a tqdm bar."""

    def __init__(self, update: Callable[[int], None], close: Callable[[], None], restart: Callable[[], None]):
        self._update = update
        self._close = close
        self._restart = restart

    def add(self, rows: int) -> None:
        self._update(rows)

    def restart(self) -> None:
        self._restart()

    def close(self) -> None:
        self._close()


def progress_report(progress: Progress, total: int, what: str) -> Optional[ProgressReport]:
    """A ProgressReport for `progress` (None when it is None or False); `what` names the bar."""
    if progress is None or progress is False:
        return None
    if progress is True:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            raise ImportError(
                "sluice: progress=True shows a tqdm bar, and tqdm is not installed: pip install tqdm, "
                "or pass a function, progress=fn(rows_done, rows_total)"
            ) from None
        bar = tqdm(total=total, desc=f"sluice {what}", unit="rows", unit_scale=True)
        return ProgressReport(bar.update, bar.close, lambda: bar.reset(total=total))
    if not callable(progress):
        raise TypeError(
            f"sluice: progress must be True, False, None or a function fn(rows_done, rows_total), not {progress!r}"
        )
    done = 0
    callback = progress

    def update(rows: int) -> None:
        nonlocal done
        done += rows
        callback(done, total)

    def restart() -> None:
        nonlocal done
        done = 0
        callback(0, total)

    callback(0, total)
    return ProgressReport(update, lambda: None, restart)
