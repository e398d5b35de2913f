"""Every MAC, token, cryptogram and challenge check compares in constant time.

Two kinds of test: a scan of the source (no `==` / `!=` on names that hold secret-derived
bytes outside a reviewed allow-list; no plain memcmp in the C cores), and spies that record
which code compared what during real protocol runs against the simulated chip.
"""

from __future__ import annotations

import ast
import hmac
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mrtd import crypto
from mrtd.access.keys import CANKey, MRZKey
from mrtd.crypto import SMAlgorithm, _reference
from mrtd.errors import MACError
from mrtd.pipeline.read_chip import read_document
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile

SRC = Path(__file__).resolve().parents[2] / "src" / "mrtd"

# Names of values that are (or are compared against) MACs, tokens, cryptograms, nonces,
# challenges, digests, signatures or keys.
SECRET_NAME = re.compile(
    r"(?:^|_)(macs?|tokens?|cryptograms?|rnd|nonces?|challenges?|tags?|digests?|signatures?"
    r"|secrets?|passwords?|k_enc|k_mac|k_seed|k_pi|seed|expected|received|m_icc|m_ifd|e_icc"
    r"|e_ifd|plain|shared)(?:$|_)",
    re.IGNORECASE,
)

# Reviewed comparisons that look secret by name but compare public values: (path under
# src/mrtd, the source line stripped) -> why it need not be constant time.
ALLOWED = {
    ("pipeline/clone_checks.py", "if hashlib.new(sod.hash_algorithm, data).digest() != expected:"):
        "public: DG14 or DG15 as read against its hash in the signed EF.SOD",
    ("verify/card_security.py",
     "if message_digest is None or bytes(message_digest.native) != digest:"):
        "public: EF.CardSecurity's CMS messageDigest against the hash of its SecurityInfos",
    ("verify/passive.py", "elif hashlib.new(sod.hash_algorithm, data).digest() == expected:"):
        "public: a data group as read against its hash in the signed EF.SOD",
    ("verify/passive.py", "if sod.message_digest != digest:"):
        "public: the CMS messageDigest attribute against the hash of the signed content",
    ("verify/master_list.py",
     'if hashlib.new(digest_algorithm, content).digest() != values["message_digest"].native:'):
        "public: a master list's CMS messageDigest",
    ("verify/active.py", "return utils.encode_dss_signature(r, s) == signature"):
        "public: is the chip's ECDSA signature canonical DER (its bytes were sent in clear)",
    ("verify/chain.py", "if expected != csca:"):
        "public: two CSCA certificates",
    ("lds/opaque.py", "if found != tag:"):
        "public: a TLV tag number",
    ("service/store.py", ").where(challenges.c.id == challenge_id)"):
        "a SQL expression: the database looks the challenge up by its id (128 random bits, "
        "given to the client in clear); redeeming it still needs the chip's signature",
    ("service/store.py", "challenges.c.id == challenge_id,"):
        "a SQL expression: the single-use UPDATE of the challenge, by its id",
}  # fmt: skip


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript | ast.Call):
        return _name(node.value if isinstance(node, ast.Subscript) else node.func)
    return None


def _public(node: ast.AST) -> bool:
    """A literal, a CONSTANT, a length or a type: nothing secret on this side."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(_public(item) for item in node.elts)
    if isinstance(node, ast.UnaryOp):
        return _public(node.operand)
    name = _name(node)
    if name is not None and name.isupper():
        return True
    return isinstance(node, ast.Call) and _name(node.func) in ("len", "type", "isinstance")


def _tlv_tags(left: ast.AST, right: ast.AST) -> bool:
    """`obj.tag != tag`: two TLV tag numbers, not an authentication tag."""
    names = (_name(left) or "", _name(right) or "")
    return all(name == "tag" or name.endswith("_tag") for name in names)


def secret_comparisons(root: Path = SRC) -> Iterator[tuple[str, int, str]]:
    """(path, line, source) of each ==/!= with a secret-looking name on either side."""
    for path in sorted(root.rglob("*.py")):
        source = path.read_text()
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Compare):
                continue
            operands = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
                if not isinstance(op, ast.Eq | ast.NotEq) or _public(left) or _public(right):
                    continue
                if _tlv_tags(left, right):
                    continue
                if any(SECRET_NAME.search(_name(side) or "") for side in (left, right)):
                    relative = path.relative_to(root).as_posix()
                    yield relative, node.lineno, lines[node.lineno - 1].strip()


def test_no_secret_is_compared_with_equals() -> None:
    found = {(path, line): number for path, number, line in secret_comparisons()}
    unreviewed = [f"{path}:{number}: {line}" for (path, line), number in found.items()
                  if (path, line) not in ALLOWED]  # fmt: skip
    assert not unreviewed, "compare secrets with crypto.constant_time_equal:\n" + "\n".join(
        unreviewed
    )
    stale = [key for key in ALLOWED if key not in found]
    assert not stale, f"allow-list entries that no longer match the source: {stale}"


def test_the_scan_finds_what_it_is_for(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(
        "def check(mac, expected, rnd_icc, plain, obj, tag):\n"
        "    if mac == expected: pass\n"
        "    if plain[:8] != rnd_icc: pass\n"
        "    if len(mac) != 8 or obj.tag != tag or mac == b'': pass\n"
    )
    assert [line for _, line, _ in secret_comparisons(tmp_path)] == [2, 3]


# -- the comparison functions themselves ------------------------------------------------------


@pytest.fixture
def compare_digest_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, object]]:
    """Every call of hmac.compare_digest from now on, with its arguments."""
    calls: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    return calls


def test_constant_time_equal_is_the_c_core_or_compare_digest(
    compare_digest_calls: list[tuple[object, object]],
) -> None:
    if crypto.native is not None:
        assert crypto._impl.equal is crypto.native.equal  # CRYPTO_memcmp
    seen = compare_digest_calls
    assert _reference.equal(bytearray(b"mac!"), memoryview(b"mac!"))
    assert not _reference.equal(b"mac!", b"mac?")
    assert seen == [(b"mac!", b"mac!"), (b"mac!", b"mac?")]


@pytest.mark.parametrize("backend", [crypto.native, crypto.reference], ids=["native", "python"])
def test_equal_agrees_on_every_position_and_length(backend: crypto.SMBackend | None) -> None:
    if backend is None:
        pytest.skip("C core not built")
    reference = bytes(range(16))
    assert backend.equal(reference, bytearray(reference))
    for position in range(16):
        changed = bytearray(reference)
        changed[position] ^= 1
        assert not backend.equal(reference, changed)
    assert not backend.equal(reference, reference[:15])
    assert backend.equal(b"", b"")


def test_c_cores_compare_with_crypto_memcmp_only() -> None:
    for name in ("_core.c", "_ec.c"):
        code = (SRC / "crypto" / name).read_text()
        assert not re.search(r"(?<!CRYPTO_)\bmemcmp\s*\(", code), f"plain memcmp in {name}"
        assert "strcmp(" not in code
    core = (SRC / "crypto" / "_core.c").read_text()
    verify = core[core.index("verify_mac(const core_state") :]
    verify = verify[: verify.index("\n}\n")]
    assert "CRYPTO_memcmp(expected, received, MAC_LEN)" in verify
    assert "OPENSSL_cleanse(expected, MAC_LEN)" in verify
    equal = core[core.index("core_equal(PyObject") :]
    assert "CRYPTO_memcmp(a.buf, b.buf" in equal[: equal.index("\n}\n")]


def test_reference_sm_checks_do8e_with_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    k_enc, k_mac, ssc = bytes(range(16)), bytes(range(16, 32)), bytes(16)
    body = crypto.reference.wrap_response(SMAlgorithm.AES, k_enc, k_mac, ssc, b"data", 0x9000)
    seen: list[int] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        seen.append(len(a))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    forged = body[:-1] + bytes((body[-1] ^ 1,))
    for backend in (crypto.reference, crypto.native):
        if backend is None:
            continue
        assert backend.unwrap_response(SMAlgorithm.AES, k_enc, k_mac, ssc, body) == (
            b"data",
            0x9000,
        )
        with pytest.raises(MACError, match="MAC does not verify"):
            backend.unwrap_response(SMAlgorithm.AES, k_enc, k_mac, ssc, forged)
    assert seen == [8, 8]  # the reference's two DO'8E' checks


# -- which code compares through constant_time_equal in real runs --------------------------


def _callers_of_constant_time_equal(
    monkeypatch: pytest.MonkeyPatch, chip: dict[str, object]
) -> set[str]:
    callers: set[str] = set()
    real = crypto.constant_time_equal

    def spy(a: crypto.BytesLike, b: crypto.BytesLike) -> bool:
        frame = sys._getframe(1)
        callers.add(f"{frame.f_globals['__name__']}.{frame.f_code.co_name}")
        return real(a, b)

    monkeypatch.setattr(crypto, "constant_time_equal", spy)
    profile = Profile.from_dict({"chip": chip})
    document = read_document(SimulatedReader(SimulatedChip(profile)), MRZKey.from_mrz(profile.mrz))
    assert document.verdict.failed is False
    return callers


def test_bac_and_active_authentication_compare_in_constant_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    callers = _callers_of_constant_time_equal(
        monkeypatch, {"access": ["bac"], "aa": "rsa-1024-sha256"}
    )
    assert "mrtd.access.bac.protocol._authenticate" in callers  # the chip's MAC, RND.ICC, RND.IFD
    assert "mrtd.crypto.iso9796.matches" in callers  # AA: the recovered hash
    assert "mrtd.sim.chip._mutual_authenticate" in callers  # and the chip checks ours


def test_pace_compares_tokens_and_cam_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    chip: dict[str, object] = {
        "access": ["pace"],
        "pace": {"mapping": "CAM", "domain": "brainpoolP256r1", "cipher": "AES-128"},
    }
    callers = _callers_of_constant_time_equal(monkeypatch, chip)
    assert {
        "mrtd.access.pace.protocol._tokens",  # the chip's authentication token
        "mrtd.access.pace.protocol._map",  # an echoed mapping key
        "mrtd.access.pace.protocol.pace",  # an echoed ephemeral key
        "mrtd.access.pace.mapping.check_chip_authentication",  # PACE-CAM: CA_IC * PK_IC = PK_Map
    } <= callers


def test_access_keys_compare_in_constant_time(
    compare_digest_calls: list[tuple[object, object]],
) -> None:
    calls = compare_digest_calls
    assert MRZKey("L898902C3", "740812", "120415") == MRZKey("l898902c3", "1974-08-12", "120415")
    assert CANKey("123456") != CANKey("123457")
    assert MRZKey("L898902C3", "740812", "120415") != CANKey("123456")
    assert len(calls) == 2
