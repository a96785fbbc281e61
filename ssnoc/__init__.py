"""The composition root: the one place everything is wired together, and the ``ssnoc`` CLI."""

__version__ = "0.1.0"
