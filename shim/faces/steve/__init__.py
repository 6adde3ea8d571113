"""The Steve /v1 face Rancher's dashboard reads (face.py wires its routes)."""
