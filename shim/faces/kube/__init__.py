"""The kube face: Kubernetes-style objects for kubectl (face.py wires its routes)."""
