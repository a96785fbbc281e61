"""The Textual console: an API client."""
