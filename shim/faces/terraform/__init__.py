"""The Terraform face: documents echoed exactly as written, so plans converge."""
