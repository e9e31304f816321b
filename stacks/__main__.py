"""The one program behind every stack: all logic lives in :mod:`components.program`."""

from components.program import main

main()
