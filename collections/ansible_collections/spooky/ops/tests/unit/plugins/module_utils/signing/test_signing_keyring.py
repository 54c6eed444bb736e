# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.signing.errors import EXPIRED_KEY, NOT_YET_VALID, REVOKED_KEY, SigningError
from ansible_collections.spooky.ops.plugins.module_utils.signing.keyring import VALID, Keyring
from ansible_collections.spooky.ops.plugins.module_utils.signing.keys import SigningKey

T0 = 1767225600  # 2026-01-01T00:00:00Z, as in conftest.py
DAY = 86400


def test_json_round_trip(ring, key, tmp_path):
    data = json.loads(ring.dumps())
    assert data["format"] == "spooky.ops/keyring/v1" and data["current"] == key.key_id
    entry = data["keys"][0]
    assert entry == dict(key_id=key.key_id, algorithm="ed25519", public_key=key.public_b64, created_at="2026-01-01T00:00:00Z",
                         not_before="2026-01-01T00:00:00Z", not_after=None, revoked_at=None, compromised_at=None,
                         revocation_reason=None)
    path = tmp_path / "keyring.json"
    path.write_text(ring.dumps())
    assert Keyring.load(str(path)).dumps() == ring.dumps()
    assert Keyring.load(str(tmp_path / "none.json"), missing_ok=True).keys == []


@pytest.mark.parametrize("mutate,message", [
    (lambda d: d["keys"][0].update(key_id="ed25519:" + "0" * 64), "does not match its public key"),
    (lambda d: d["keys"].append(dict(d["keys"][0])), "listed twice"),
    (lambda d: d.update(current="ed25519:" + "1" * 64), "is not in the keyring"),
    (lambda d: d["keys"][0].update(algorithm="rsa"), "not supported"),
    (lambda d: d["keys"][0].update(not_after="soon"), "not_after"),
    (lambda d: d.update(format="other/v9"), "format"),
])
def test_a_keyring_that_lies_is_refused(ring, mutate, message):
    data = ring.to_dict()
    mutate(data)
    with pytest.raises(SigningError, match=message):
        Keyring.from_dict(data)


def test_rotation_keeps_the_old_key_for_the_overlap_only(ring, key):
    new = SigningKey.generate()
    previous = ring.rotate(new.key_id, new.public_b64, T0 + 90 * DAY, 7 * DAY)
    assert previous.key_id == key.key_id and ring.current == new.key_id
    old = ring.get(key.key_id)
    assert old.status_at(T0 + 90 * DAY + 7 * DAY - 1)[0] == VALID
    assert old.status_at(T0 + 97 * DAY)[0] == EXPIRED_KEY
    assert ring.current_key(T0 + 200 * DAY).key_id == new.key_id
    assert ring.get(new.key_id).status_at(T0)[0] == NOT_YET_VALID


def test_revocation_from_the_compromise_time_and_idempotent(ring, key):
    assert ring.revoke(key.key_id, T0 + 10 * DAY, T0 + 5 * DAY, "stolen laptop") is True
    old = ring.get(key.key_id)
    assert ring.current is None and ring.current_key(T0 + 11 * DAY) is None
    assert old.status_at(T0 + 5 * DAY - 1)[0] == VALID
    reason, detail = old.status_at(T0 + 5 * DAY)
    assert reason == REVOKED_KEY and "stolen laptop" in detail and "2026-01-06T00:00:00Z" in detail
    assert ring.revoke(key.key_id, T0 + 11 * DAY, T0 + 5 * DAY, "stolen laptop") is False
    assert ring.revoke(key.key_id, T0 + 11 * DAY, T0 + 6 * DAY, "stolen laptop") is False  # never later
    assert ring.revoke(key.key_id, T0 + 11 * DAY, T0 + 4 * DAY, "stolen laptop") is True  # earlier: more is suspect
    assert old.revoked_at == T0 + 10 * DAY and old.compromised_at == T0 + 4 * DAY


def test_a_revoked_key_gets_no_overlap(ring, key):
    ring.revoke(key.key_id, T0 + DAY, None, "compromised")
    new = SigningKey.generate()
    ring.rotate(new.key_id, new.public_b64, T0 + DAY, 7 * DAY)
    assert ring.get(key.key_id).not_after is None and ring.get(key.key_id).status_at(T0 + 2 * DAY)[0] == REVOKED_KEY


def test_revoke_refusals(ring, key):
    with pytest.raises(SigningError, match="no such key"):
        ring.revoke("ed25519:" + "2" * 64, T0, None, "x")
    with pytest.raises(SigningError, match="in the future"):
        ring.revoke(key.key_id, T0, T0 + DAY, "x")
    with pytest.raises(SigningError, match="already in the keyring"):
        ring.add(key.key_id, key.public_b64, T0)
