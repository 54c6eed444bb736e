{
  "algorithm": "ed25519",
  "digest": "sha256:ce4c8218ac842233cb7c68efc00d7618fff9d86b35a9a54b7985910ecf3957e9",
  "files": {
    ".manifest": "f83765cc99a5c396dcf08c97c62574240fe59ed24e69a0367d89fdb292f4b5ea",
    "README.md": "12f0368de8dbbe60a2d498643af4bee09a8a815cf0751726f5a375e921f0c02b",
    "causal_promotion/causal_promotion.rego": "0c61b9599ec0f2f8188e27d0c92c9c4fa44c6dc64c1d1b2f7e8791a4a85057db",
    "causal_promotion/causal_promotion_test.rego": "2cd4e51de09063f5d8ad8d5520e543c8aefb25241f41a89f08f91e2a283a1e36",
    "peace_bonds/peace_bonds.rego": "8cbb53cad5f7ad7e27915e023ce9dd10372294549d662edf0de788587c8420b5",
    "peace_bonds/peace_bonds_test.rego": "c776f52028af8a36ebdbd233281496f9d70a7f37f4e76aed409f01dacac0bb91",
    "ship_check/ship_check.rego": "613d44557780aa02ee1c4da2436e66fa8c4cd338df51ada5be2575a79a210aa2",
    "ship_check/ship_check_test.rego": "1669c1b88aa991c487d2f763d5c5d8eb8ff425cac6e7348d16323fc3b0c81845",
    "tenant_autonomy/tenant_autonomy.rego": "b3156da741b3ec7c1003dee4c129846390392cec4913b4ceead57fe4cf313a15",
    "tenant_autonomy/tenant_autonomy_test.rego": "f7392e6629a58b09fbf308bdf78c7370f7ec4cad0440f4dde3e7c99c5fde14bc"
  },
  "format": "spooky.ops/signature/v1",
  "key_id": "ed25519:088572ea4ed7cf008b476a8a044285dd08457115c557e866515dd492848bdd71",
  "signature": "4bbCuJIZkyXK2GoXmszl2h1hKNqemsqsYM4FfQPMuWwVebzh07TeFJUZptbkQMLXVvDfEtUaPNko0jDjI6UYAw==",
  "signed_at": "2026-11-24T05:26:58Z",
  "subject": "policies",
  "type": "directory"
}
