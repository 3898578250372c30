"""Building an index: scan the sources, plan the sync, write and publish a generation."""
