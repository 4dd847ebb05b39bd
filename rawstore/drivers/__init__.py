"""Thin async drivers: one per database, all speaking the `Connection` verbs of `base`."""
