"""Training and choosing scripts for the learned parts (not shipped with the package)."""
