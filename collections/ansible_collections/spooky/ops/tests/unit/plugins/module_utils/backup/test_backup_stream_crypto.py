# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Format 2 artifacts (STREAM, authenticated segments): round trips, streaming, and every way a stream can be tampered with;
format 1 artifacts still decrypt."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import json
import os
import random
import struct

import pytest

from ansible_collections.spooky.ops.plugins.module_utils.backup import crypto
from ansible_collections.spooky.ops.plugins.module_utils.backup.errors import IntegrityError, KeyMaterialError

pytest.importorskip("cryptography")

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
SEG = 64
NAME = "orca.pgc.enc"
SIZES = [0, 1, SEG - 1, SEG, SEG + 1, 3 * SEG + 5]


class MemorySink(object):
    """write/commit/abort into memory, recording what happened."""

    def __init__(self):
        self.data = bytearray()
        self.commits = 0
        self.aborts = 0

    def write(self, data):
        self.data += data

    def commit(self):
        self.commits += 1

    def abort(self):
        self.aborts += 1


def plaintext(size, seed=1):
    return random.Random(seed).getrandbits(8 * size).to_bytes(size, "big") if size else b""


def encrypt(plain, key=KEY, segment=SEG, writes=None):
    """(ciphertext, result, sink) of `plain` written in one go or in pieces of the sizes in `writes`."""
    sink = MemorySink()
    with crypto.EncryptingWriter(key, sink, "orca", segment=segment) as writer:
        if writes is None:
            writer.write(plain)
        else:
            start = 0
            for size in writes:
                writer.write(plain[start:start + size])
                start += size
            writer.write(plain[start:])
    return bytes(sink.data), writer.result, sink


def layout(blob):
    """(prefix bytes incl. magic and header, header dict, list of sealed segments) of a format 2 artifact."""
    (length,) = struct.unpack(">I", blob[len(crypto.MAGIC):len(crypto.MAGIC) + 4])
    start = len(crypto.MAGIC) + 4 + length
    header = json.loads(blob[len(crypto.MAGIC) + 4:start].decode("utf-8"))
    sealed = header["segment"] + crypto.TAG_SIZE
    body = blob[start:]
    return blob[:start], header, [body[i:i + sealed] for i in range(0, len(body), sealed)]


def decrypt(blob, chunk=None, **checks):
    return b"".join(crypto.decrypt_chunks(KEY, [blob] if chunk is None else split(blob, chunk), NAME, **checks))


def split(blob, sizes):
    """`blob` cut into chunks: fixed size (int) or sizes drawn from a seeded random generator (random.Random)."""
    chunks, start = [], 0
    while start < len(blob):
        size = sizes if isinstance(sizes, int) else sizes.randint(1, 3 * SEG)
        chunks.append(blob[start:start + size])
        start += size
    return chunks


def released_before_failure(blob, chunk=1):
    """The plaintext feed() returned before an IntegrityError, and that error (from feed or finish)."""
    decryptor = crypto.Decryptor(KEY, NAME)
    out = bytearray()
    with pytest.raises(IntegrityError) as exc:
        for piece in split(blob, chunk):
            out += decryptor.feed(piece)
        out += decryptor.finish()
    return bytes(out), exc.value


def assert_names_artifact(error):
    assert error.artifact == NAME and NAME in str(error)


@pytest.mark.parametrize("size", SIZES)
def test_round_trip(size):
    plain = plaintext(size)
    blob, result, sink = encrypt(plain)
    prefix, header, segments = layout(blob)
    assert header["v"] == 2 and header["segment"] == SEG and header["name"] == "orca"
    assert len(segments) == max(1, -(-size // SEG))  # at least the final segment, even for nothing
    assert decrypt(blob, expected_sha256=result["sha256"], expected_size=result["size"], total_size=len(blob)) == plain
    assert sink.commits == 1 and sink.aborts == 0


@pytest.mark.parametrize("size", SIZES)
def test_small_writes_give_the_same_segments(size):
    plain = plaintext(size, seed=size)
    whole, _result, _sink = encrypt(plain)
    pieces, result, _sink = encrypt(plain, writes=[1, SEG - 1, 3, SEG, 7])
    assert [len(s) for s in layout(pieces)[2]] == [len(s) for s in layout(whole)[2]]
    assert result["plain_size"] == size and decrypt(pieces) == plain


@pytest.mark.parametrize("seed", range(5))
def test_random_chunking_gives_the_same_plaintext(seed):
    plain = plaintext(7 * SEG + 13, seed=seed)
    blob, result, _sink = encrypt(plain)
    chunks = split(blob, random.Random(seed))
    assert len(chunks) > 3
    assert b"".join(crypto.decrypt_chunks(KEY, chunks, NAME, result["sha256"], result["size"], len(blob))) == plain


def test_feed_releases_a_segment_only_once_the_next_bytes_arrive():
    plain = plaintext(3 * SEG + 5)
    blob, _result, _sink = encrypt(plain)
    prefix, _header, segments = layout(blob)
    decryptor = crypto.Decryptor(KEY, NAME)
    assert decryptor.feed(prefix + segments[0]) == b""  # segment 0 may still be the final one
    assert decryptor.feed(segments[1][:1]) == plain[:SEG]
    assert decryptor.feed(segments[1][1:] + segments[2] + segments[3]) == plain[SEG:3 * SEG]
    assert decryptor.finish() == plain[3 * SEG:]
    assert decryptor.plain_sha256 == hashlib.sha256(plain).hexdigest() and decryptor.sha256 == hashlib.sha256(blob).hexdigest()


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_no_plaintext_of_a_tampered_segment_is_released(k):
    plain = plaintext(3 * SEG + 5)
    blob, _result, _sink = encrypt(plain)
    prefix, _header, segments = layout(blob)
    damaged = bytearray(blob)
    damaged[len(prefix) + k * (SEG + crypto.TAG_SIZE) + 3] ^= 0x40
    for chunk in (1, 17, SEG + crypto.TAG_SIZE):  # at most one segment completes per feed()
        released, error = released_before_failure(bytes(damaged), chunk)
        assert released == plain[:k * SEG]
        assert_names_artifact(error)
        assert ("segment %d" % k) in str(error)


@pytest.mark.parametrize("cut", [1, 2, 3])
def test_a_stream_cut_at_a_segment_boundary_fails_in_finish(cut):
    plain = plaintext(3 * SEG + 5)
    blob, _result, _sink = encrypt(plain)
    prefix, _header, segments = layout(blob)
    short = prefix + b"".join(segments[:cut])
    decryptor = crypto.Decryptor(KEY, NAME)
    released = decryptor.feed(short)  # everything but the last segment present is released: nothing looks wrong yet
    assert released == plain[:(cut - 1) * SEG]
    with pytest.raises(IntegrityError, match="at its end") as exc:
        decryptor.finish()
    assert_names_artifact(exc.value)


def test_a_stream_cut_after_its_header_fails():
    blob, _result, _sink = encrypt(plaintext(SEG))
    prefix, _header, _segments = layout(blob)
    with pytest.raises(IntegrityError, match="truncated") as exc:
        decrypt(prefix)
    assert_names_artifact(exc.value)


def test_swapped_segments_fail():
    plain = plaintext(3 * SEG + 5)
    blob, _result, _sink = encrypt(plain)
    prefix, _header, segments = layout(blob)
    swapped = prefix + segments[1] + segments[0] + segments[2] + segments[3]
    released, error = released_before_failure(swapped)
    assert released == b"" and "segment 0" in str(error)
    assert_names_artifact(error)


def test_a_segment_from_another_artifact_fails():
    plain = plaintext(3 * SEG + 5)
    blob, _result, _sink = encrypt(plain)
    other, _result, _sink = encrypt(plain)  # same key, same plaintext, fresh nonce prefix
    prefix, header, segments = layout(blob)
    other_prefix, other_header, other_segments = layout(other)
    assert other_header["nonce_prefix"] != header["nonce_prefix"] and other_segments[1] != segments[1]
    spliced = prefix + segments[0] + other_segments[1] + segments[2] + segments[3]
    released, error = released_before_failure(spliced)
    assert released == plain[:SEG] and "segment 1" in str(error)
    assert_names_artifact(error)
    # the other artifact on its own is fine: the failure is the splice, not the segment
    assert decrypt(other) == plain


@pytest.mark.parametrize("size", [5, SEG, 2 * SEG + 5])
@pytest.mark.parametrize("extra", [b"x", b"\0" * crypto.TAG_SIZE, "final-again"])
def test_appended_bytes_fail(size, extra):
    plain = plaintext(size)
    blob, _result, _sink = encrypt(plain)
    if extra == "final-again":
        extra = layout(blob)[2][-1]
    with pytest.raises(IntegrityError) as exc:
        decrypt(blob + extra)
    assert_names_artifact(exc.value)
    with pytest.raises(IntegrityError, match="longer than") as exc:
        decrypt(blob + extra, expected_size=len(blob))
    assert_names_artifact(exc.value)


def test_a_size_that_differs_from_the_manifest_fails_before_any_decryption():
    blob, result, _sink = encrypt(plaintext(3 * SEG + 5))
    consumed = []

    def chunks():
        consumed.append(True)
        yield blob

    for total in (result["size"] - 1, result["size"] + 1):
        with pytest.raises(IntegrityError, match="truncated or corrupt") as exc:
            list(crypto.decrypt_chunks(KEY, chunks(), NAME, result["sha256"], result["size"], total_size=total))
        assert_names_artifact(exc.value)
        with pytest.raises(IntegrityError, match="truncated or corrupt"):
            crypto.Decryptor(KEY, NAME, expected_size=result["size"], total_size=total)
    assert consumed == []
    assert decrypt(blob, expected_size=result["size"], total_size=result["size"]) == plaintext(3 * SEG + 5)


def test_a_shorter_stream_than_the_manifest_says_fails():
    blob, result, _sink = encrypt(plaintext(3 * SEG + 5))
    with pytest.raises(IntegrityError, match="truncated or corrupt") as exc:
        decrypt(blob[:-1], expected_size=result["size"])
    assert_names_artifact(exc.value)


def test_wrong_key_is_a_key_error():
    blob, _result, _sink = encrypt(plaintext(SEG + 1))
    with pytest.raises(KeyMaterialError, match="was encrypted with key"):
        b"".join(crypto.decrypt_chunks(OTHER_KEY, [blob], NAME))


def test_wrong_sha256_fails():
    plain = plaintext(2 * SEG + 1)
    blob, result, _sink = encrypt(plain)
    with pytest.raises(IntegrityError, match="sha256") as exc:
        decrypt(blob, chunk=10, expected_sha256="0" * 64, expected_size=result["size"])
    assert_names_artifact(exc.value)
    assert decrypt(blob, chunk=10, expected_sha256=result["sha256"]) == plain


def test_a_tampered_header_fails():
    blob, _result, _sink = encrypt(plaintext(SEG + 1))
    prefix, header, segments = layout(blob)
    header["name"] = "payroll"  # still valid JSON, same key id: only the authentication can tell
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    forged = crypto.MAGIC + struct.pack(">I", len(text)) + text + b"".join(segments)
    with pytest.raises(IntegrityError) as exc:
        decrypt(forged)
    assert_names_artifact(exc.value)


def test_encrypting_writer_result_matches_the_bytes_written():
    plain = plaintext(5 * SEG + 9)
    blob, result, sink = encrypt(plain, writes=[3, 100, SEG])
    assert result["size"] == len(blob) and result["sha256"] == hashlib.sha256(blob).hexdigest()
    assert result["plain_size"] == len(plain) and result["plain_sha256"] == hashlib.sha256(plain).hexdigest()
    assert result["key_id"] == crypto.key_id(KEY) and result["encryption"] == "AES-256-GCM"
    assert sink.commits == 1 and blob.startswith(crypto.MAGIC)
    assert len(blob) == len(layout(blob)[0]) + len(plain) + 6 * crypto.TAG_SIZE


def test_encrypting_writer_aborts_on_error_and_commits_nothing():
    sink = MemorySink()
    with pytest.raises(RuntimeError):
        with crypto.EncryptingWriter(KEY, sink, "orca", segment=SEG) as writer:
            writer.write(plaintext(3 * SEG))
            raise RuntimeError("pg_dump died")
    assert sink.aborts == 1 and sink.commits == 0 and writer.result is None


def test_file_round_trip_through_decrypt_blocks_and_decrypt_file(tmp_path):
    plain = plaintext(4 * SEG + 3)
    with crypto.EncryptingWriter(KEY, str(tmp_path / NAME), "orca", segment=SEG) as writer:
        writer.write(plain)
    assert crypto.sha256_file(str(tmp_path / NAME)) == (writer.result["sha256"], writer.result["size"])
    blocks = list(crypto.decrypt_blocks(KEY, str(tmp_path / NAME), expected_sha256=writer.result["sha256"],
                                        expected_size=writer.result["size"], chunk=SEG // 2))
    assert b"".join(blocks) == plain and len(blocks) > 1
    out = crypto.decrypt_file(KEY, str(tmp_path / NAME), str(tmp_path / "orca.pgc"))
    assert (tmp_path / "orca.pgc").read_bytes() == plain and out["plain_size"] == len(plain)


# ------------------------------------------------------------------------------------------ format 1
def format1(plain, key=KEY, name="orca"):
    """A format 1 artifact, built as the old writer did: one GCM over everything, the tag at the end."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    nonce = os.urandom(12)
    header = json.dumps({"v": 1, "cipher": "AES-256-GCM", "key_id": crypto.key_id(key), "nonce": base64.b64encode(nonce).decode("ascii"),
                         "name": name}, sort_keys=True, separators=(",", ":")).encode("utf-8")
    aad = crypto.MAGIC_V1 + struct.pack(">I", len(header)) + header
    encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    body = encryptor.update(plain) + encryptor.finalize()
    return aad + body + encryptor.tag


@pytest.mark.parametrize("size", [0, 1, 1000, 100003])
def test_format1_still_decrypts(tmp_path, size):
    plain = plaintext(size)
    blob = format1(plain)
    path = tmp_path / NAME
    path.write_bytes(blob)
    digest = hashlib.sha256(blob).hexdigest()
    out = crypto.decrypt_file(KEY, str(path), str(tmp_path / "orca.pgc"), expected_sha256=digest, expected_size=len(blob))
    assert (tmp_path / "orca.pgc").read_bytes() == plain
    assert out == dict(plain_sha256=hashlib.sha256(plain).hexdigest(), plain_size=size)
    chunks = split(blob, random.Random(size))
    assert b"".join(crypto.decrypt_chunks(KEY, chunks, NAME, digest, len(blob), len(blob))) == plain


@pytest.mark.parametrize("where", ["body", "tag", "cut"])
def test_format1_damage_fails_at_the_end(tmp_path, where):
    plain = plaintext(500)
    blob = bytearray(format1(plain))
    if where == "body":
        blob[-100] ^= 0x01
    elif where == "tag":
        blob[-1] ^= 0x01
    else:
        blob = blob[:-1]
    path = tmp_path / NAME
    path.write_bytes(bytes(blob))
    with pytest.raises(IntegrityError) as exc:
        crypto.decrypt_file(KEY, str(path), str(tmp_path / "orca.pgc"))
    assert_names_artifact(exc.value)
    assert not (tmp_path / "orca.pgc").exists()
    with pytest.raises(IntegrityError):
        b"".join(crypto.decrypt_chunks(KEY, [bytes(blob)], NAME))


def test_format1_with_the_wrong_key_is_a_key_error():
    with pytest.raises(KeyMaterialError):
        b"".join(crypto.decrypt_chunks(OTHER_KEY, [format1(b"data")], NAME))
