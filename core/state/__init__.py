"""The state DB: inventory as loaded, and the last known state of every device and interface."""
