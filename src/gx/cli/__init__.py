"""The gx command: click only. Each module parses one command group, calls the library, formats."""
