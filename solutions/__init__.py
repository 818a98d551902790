"""Reference solutions of the labs: the one source from which `labs/` is generated."""
