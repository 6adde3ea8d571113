"""The browser: the API view and the console (face.py wires its routes)."""
