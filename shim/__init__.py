"""token-shim: Rancher-compatible API tokens and token settings."""

__version__ = "0.1.0"
