"""runbooks — arrives with its own issue; the package exists so the layer contract names it."""
