"""The one program behind every stack: all logic lives in :mod:`fintech_infra.program`."""

from fintech_infra.program import main

main()
