# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib

import pytest

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ansible_collections.spooky.ops.plugins.module_utils.signing.errors import SigningError
from ansible_collections.spooky.ops.plugins.module_utils.signing.keys import SigningKey, decode_public_key, key_id_for, verify_signature


def test_key_id_is_the_sha256_of_the_raw_public_key(key):
    assert len(key.public_raw) == 32
    assert key.key_id == "ed25519:" + hashlib.sha256(key.public_raw).hexdigest() == key_id_for(key.public_raw)
    assert decode_public_key(key.public_b64) == key.public_raw


def test_pem_round_trip_with_and_without_passphrase(key):
    assert SigningKey.from_pem(key.to_pem()).key_id == key.key_id
    encrypted = key.to_pem("correct horse")
    assert b"ENCRYPTED" in encrypted
    assert SigningKey.from_pem(encrypted.decode(), "correct horse").key_id == key.key_id
    with pytest.raises(SigningError, match="passphrase is needed"):
        SigningKey.from_pem(encrypted)
    with pytest.raises(SigningError, match="wrong passphrase"):
        SigningKey.from_pem(encrypted, "wrong")
    with pytest.raises(SigningError, match="not encrypted"):
        SigningKey.from_pem(key.to_pem(), "unexpected")


def test_sign_and_verify(key):
    signature = key.sign(b"statement")
    assert verify_signature(key.public_raw, signature, b"statement")
    assert not verify_signature(key.public_raw, signature, b"statement!")
    assert not verify_signature(SigningKey.generate().public_raw, signature, b"statement")
    assert not verify_signature(key.public_raw, signature[:10], b"statement")


def test_other_keys_and_garbage_are_refused_without_echoing_them():
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(SigningError, match="not an ed25519 key"):
        SigningKey.from_pem(ec_pem)
    garbage = "-----BEGIN PRIVATE KEY-----\nTUFURVJJQUwtVEhBVC1NVVNULU5PVC1MRUFL\n-----END PRIVATE KEY-----\n"
    with pytest.raises(SigningError) as exc:
        SigningKey.from_pem(garbage, what="private_key_content")
    assert "TUFURVJJQUwtVEhBVC1NVVNULU5PVC1MRUFL" not in str(exc.value)
    assert str(exc.value).startswith("private_key_content:")


def test_repr_shows_no_private_material(key):
    pem_body = b"".join(key.to_pem().splitlines()[1:-1]).decode()
    assert repr(key) == "SigningKey(%s)" % key.key_id
    assert pem_body not in repr(key) and pem_body not in str(vars(key).get("key_id"))


@pytest.mark.parametrize("value,message", [("not base64!", "not valid base64"), (base64.b64encode(b"short").decode(), "has 32 bytes")])
def test_bad_public_keys(value, message):
    with pytest.raises(SigningError, match=message):
        decode_public_key(value)
