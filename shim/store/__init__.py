"""Persistence: one interface (base), SQL written once (sql), one module per backend,
chosen by URL scheme (factory)."""
