"""Installed as the package `shim._schemas` (see setup.py), so that the JSON
Schemas in this folder travel with a wheel; the server reads them with
importlib.resources. This file only makes the folder a package."""
