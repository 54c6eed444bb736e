{
  "algorithm": "ed25519",
  "digest": "sha256:4660ff1da92254643263c6f2341bab733f05d1cc1b33b18f62c981a4857c0507",
  "files": {
    "README.md": "b4f11bffc73f69c6e242a7a5d4feadddf889877ddd3fd34e0a3c7526829a2994",
    "clusters/lab-east/demo-config.yaml": "d3f7ee4a0388e4faedf32cf5f19a758836e14336bd303033a57898b69bab8f63",
    "clusters/lab-edge/demo-config.yaml": "b08d90adf8944500e023b7ea18c7d6ee60512932a1bf279d5c53433870919af0",
    "clusters/lab-west/demo-config.yaml": "d837fe376c15c66b28d281edf5356a228dd0cad33402c32859443b876005ddee",
    "demo/deployments.yaml": "a8282f647ed9a8c7371b34e5087aaf3ad42873af4ba49065ca304054b744b3ac",
    "demo/hpa.yaml": "8c4e5547257b091b5198b0a32ede0d6a71b8b8e532918723f0c434065eee2c99",
    "demo/httproute.yaml": "8b1742f4c1aff9fa86fdee0ea6ce8a47cdfb441c292352f3c5fe5a61627fdb30",
    "demo/ingresses.yaml": "889b1fb8098825389bf1d447ee8e50c3ef4cb35715d9d3b7762059aa0df55468",
    "demo/namespace.yaml": "63782a389e63c2e38e2846829fb0aee7ad14b285a9acb6f5eff8f6cc23659901",
    "demo/services.yaml": "7bc3f0d9b53f88deec1fb18261e61ab3bad3d99bf38f63b1a101656517cf5215"
  },
  "format": "spooky.ops/signature/v1",
  "key_id": "ed25519:088572ea4ed7cf008b476a8a044285dd08457115c557e866515dd492848bdd71",
  "signature": "74hy93vhU4nQUZnRPz9QxLWtC4GshlPmYs4YslowO1HLHA20JNLQOukGXSqQevQTKnSe1PtCMKPavTPP8DNAAQ==",
  "signed_at": "2026-11-24T05:26:58Z",
  "subject": "manifests",
  "type": "directory"
}
