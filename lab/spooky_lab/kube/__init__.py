"""A Kubernetes API emulator built on kmock: enough of the API for kubernetes.core and the kubernetes client.

The known differences from a real kube-apiserver are listed in lab/README.md.
"""
