"""The pure core: incident model and rules. Imports nothing from the rest of warroom."""
