"""An epoch number that DataLoader workers share with the process that sets it.

A DataLoader gives each worker a copy of the dataset when it creates the worker:
inherited through fork, pickled for spawn and forkserver. With
persistent_workers=True the workers live across epochs, so an epoch stored in the
dataset's own attributes would stay the one they started with. Here it lives in
shared memory (a multiprocessing RawValue), which both ways of creating a
worker hand on: a forked child maps the same memory, and a spawned one receives
its file descriptor while the process is being created. `set_epoch` in the main
process is then seen by every worker when it starts its next iteration.
"""

import ctypes
import multiprocessing
import multiprocessing.context


class SharedEpoch:
    """An int64 epoch in shared memory; `value` reads and writes it."""

    def __init__(self, epoch=0):
        self._shared = multiprocessing.RawValue(ctypes.c_int64, int(epoch))

    @property
    def value(self):
        return self._shared.value

    @value.setter
    def value(self, epoch):
        self._shared.value = int(epoch)

    def __reduce__(self):
        # Shared memory can only travel to a process being created (what a DataLoader does
        # with its workers); any other pickle (a file, a queue, copy.deepcopy) is a copy
        # holding the current epoch, set on its own from then on.
        if multiprocessing.context.get_spawning_popen() is not None:
            return (_from_shared, (self._shared,))
        return (SharedEpoch, (self.value,))

    def __repr__(self):
        return f"SharedEpoch({self.value})"


def _from_shared(shared):
    epoch = SharedEpoch.__new__(SharedEpoch)
    epoch._shared = shared
    return epoch
