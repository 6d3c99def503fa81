"""Readers and writers of the files users bring: incidents, SLA policies, customer registries."""
