"""The Pulumi program's entry point: the language host runs this file; the stack is built in program.py."""

import program

program.main()
