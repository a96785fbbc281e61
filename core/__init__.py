"""The kernel of ssnoc: settings, the domain model, inventory, errors, events and the stores.

`core` imports no sibling package; every other package may import it.
"""
