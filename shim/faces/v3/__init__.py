"""The Rancher v3 face: Rancher's paths, shapes, codes and messages."""
