"""Data: schemas, the store, loaders, reference tables and the demo generator."""
