"""Settings for the whole test session, in every xdist worker.

The cyclic garbage collector: a synthesis allocates hundreds of thousands of objects (Outputs, futures, the
provider SDK's lazily loaded type classes) that live until it ends, and CPython's default thresholds (700, 10,
10) run a collection every 700 net allocations and a full one every 100 of those, walking every live object of
the session each time, most of them the SDK's modules. At (100000, 50, 100) a synthesis of `dev` takes about 30 %
less CPU for about 40 MB more peak memory per worker. Cycles are still collected, only less often: no test
depends on when (the gate's own `speedups.during_synthesis` pauses the collector outright, with the same result).
"""

from __future__ import annotations

import gc

import pytest

COLLECTOR_THRESHOLDS = (100_000, 50, 100)


def pytest_configure(config: pytest.Config) -> None:
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
