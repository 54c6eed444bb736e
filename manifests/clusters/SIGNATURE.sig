{
  "algorithm": "ed25519",
  "digest": "sha256:9cc59b03623416199c6bcb4cbd8e559d595a2b433a569ae0ee9dad1e7bd26327",
  "files": {
    "lab-east/demo-config.yaml": "d3f7ee4a0388e4faedf32cf5f19a758836e14336bd303033a57898b69bab8f63",
    "lab-edge/demo-config.yaml": "b08d90adf8944500e023b7ea18c7d6ee60512932a1bf279d5c53433870919af0",
    "lab-west/demo-config.yaml": "d837fe376c15c66b28d281edf5356a228dd0cad33402c32859443b876005ddee"
  },
  "format": "spooky.ops/signature/v1",
  "key_id": "ed25519:088572ea4ed7cf008b476a8a044285dd08457115c557e866515dd492848bdd71",
  "signature": "VEdp5Qd9ciW3WNJksOLNMnx00mMJ92kS75NKVTArjvnrDNJbF7nsPNQlOnSrLRiTNhuw2vf38fxHdH8lVhMMDg==",
  "signed_at": "2026-11-24T05:26:58Z",
  "subject": "clusters",
  "type": "directory"
}
