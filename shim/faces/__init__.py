"""HTTP faces over one core: Rancher v3, public login, Terraform, kube."""
