{
  "algorithm": "ed25519",
  "digest": "sha256:b4f11bffc73f69c6e242a7a5d4feadddf889877ddd3fd34e0a3c7526829a2994",
  "format": "spooky.ops/signature/v1",
  "key_id": "ed25519:088572ea4ed7cf008b476a8a044285dd08457115c557e866515dd492848bdd71",
  "signature": "cxONERJFzXRmCpsnyfkZCoy86hTaM201Zr/qG/c+HBCLEcFAAilNmYQcII5hilSUup+apY3PaOTmTmcPS6CmAQ==",
  "signed_at": "2026-11-24T05:26:58Z",
  "subject": "README.md",
  "type": "file"
}
