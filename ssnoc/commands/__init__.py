"""Sub-commands of the ``ssnoc`` CLI, one module per group (mounted in :mod:`ssnoc.cli`)."""
