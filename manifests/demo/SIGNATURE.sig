{
  "algorithm": "ed25519",
  "digest": "sha256:4a34015e9bfe2d29aeb6d5dbc80fd11686b1880c939902ec5cf0f9fd490262b6",
  "files": {
    "deployments.yaml": "a8282f647ed9a8c7371b34e5087aaf3ad42873af4ba49065ca304054b744b3ac",
    "hpa.yaml": "8c4e5547257b091b5198b0a32ede0d6a71b8b8e532918723f0c434065eee2c99",
    "httproute.yaml": "8b1742f4c1aff9fa86fdee0ea6ce8a47cdfb441c292352f3c5fe5a61627fdb30",
    "ingresses.yaml": "889b1fb8098825389bf1d447ee8e50c3ef4cb35715d9d3b7762059aa0df55468",
    "namespace.yaml": "63782a389e63c2e38e2846829fb0aee7ad14b285a9acb6f5eff8f6cc23659901",
    "services.yaml": "7bc3f0d9b53f88deec1fb18261e61ab3bad3d99bf38f63b1a101656517cf5215"
  },
  "format": "spooky.ops/signature/v1",
  "key_id": "ed25519:088572ea4ed7cf008b476a8a044285dd08457115c557e866515dd492848bdd71",
  "signature": "qofyr2lfiWsaFWPL1RYjodNDeumxCuTi0tJQNkV+WvjQF2ZhpfSAUDvO/LsyGNbCygW9rWj3Kbk003FUprptBw==",
  "signed_at": "2026-11-24T05:26:58Z",
  "subject": "demo",
  "type": "directory"
}
