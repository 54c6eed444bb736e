"""The spooky.ops lab: emulated Kubernetes clusters and real services on loopback."""
