"""Code generators: one per backend, each dispatching on IR node type."""
