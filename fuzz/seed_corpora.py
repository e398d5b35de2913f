"""Seed corpora for the fuzz harnesses: files the project makes itself (the ICAO vectors of
fixtures/vectors, the simulated chip's face and demo page, files the library's own builders
make with fixed inputs) and, when the shared test data is present (tests/shared_data.py:
$MRTD_SHARED_DATA, by default ../shared/data), its real LDS files, MRZ photos and German CSCA.
Without the shared data the seeds are the project's own only.

    python fuzz/seed_corpora.py [NAME ...]   # writes build/fuzz/corpus/<name>/seed-<sha1>

Every seed is deterministic (no random keys, no ECDSA or PSS signatures, fixed times), so
the smoke test (tests/fuzz/test_fuzz_smoke.py) runs the same inputs on every run. Seeds are
prefixed with the selector byte their harness reads first, where it has one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SIM_DATA = ROOT / "src" / "mrtd" / "sim" / "data"  # the simulated chip's face, the demo page
CORPUS = ROOT / "build" / "fuzz" / "corpus"
SIGNED_AT = datetime(2026, 1, 1, tzinfo=UTC)
# OCR seeds: the demo page and every other shared photo (the smoke test reads each), scaled
# down to fit the harness's pixel budget and its -max_len.
MAX_IMAGE_SIDE = 480
MAX_IMAGE_BYTES = 65535


@cache
def _shared() -> Path | None:
    """The shared test data folder, or None when it is absent (then no seeds come from it)."""
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))
    from tests.shared_data import shared_data_root  # noqa: PLC0415 - the tests' one lookup

    return shared_data_root()


def _files(*folders: str, suffixes: tuple[str, ...] = (".bin",)) -> list[Path]:
    """Files of the shared data's `folders` (none without it)."""
    shared = _shared()
    if shared is None:
        return []
    found = [p for f in folders for p in (shared / f).rglob("*") if p.suffix in suffixes]
    return sorted(found)


def _unique(seeds: Iterator[bytes]) -> list[bytes]:
    return list(dict.fromkeys(seeds))


@cache
def _vectors() -> dict[str, dict[str, Any]]:
    data = json.loads((FIXTURES / "vectors" / "icao9303.json").read_text())
    return {v["id"]: v["values"] for v in data["vectors"]}


def _lds_name(path: Path) -> str | None:
    """The LDS file a shared file holds, from BSI's file names (Datagroup2.bin, EF_SOD.bin)."""
    stem = path.stem
    if stem.startswith("Datagroup"):
        return f"DG{stem.removeprefix('Datagroup')}"
    if stem.startswith("DG14"):
        return "DG14"
    return {"EF_COM": "EF.COM", "EF_SOD": "EF.SOD"}.get(stem)


# -- files the library's builders make -------------------------------------------------------


@cache
def _built_lds_files() -> dict[str, bytes]:
    from mrtd import lds  # noqa: PLC0415 - only when seeds are made
    from mrtd.lds.biometric import BiometricHeader, BiometricRecord  # noqa: PLC0415

    face = (SIM_DATA / "face.jpg").read_bytes()
    header = BiometricHeader(biometric_type=8, format_owner=0x0101, format_type=0x0007)
    record = BiometricRecord(header, b"FIR\x00020\x00" + bytes(24))
    person = lds.PersonToNotify("SMITH<<JOHN", "+1 555", ("1 MAIN ST", "UTOPIA"), "20200131")
    return {
        "DG1": lds.build_dg1("\n".join(_vectors()["mrz.specimen.TD3"]["lines"])),
        "DG3": lds.build_dg3([record]),
        "DG4": lds.build_dg4([record, record]),
        "DG5": lds.build_dg5([face[:600]]),
        "DG6": lds.build_dg6([face[:200]]),
        "DG7": lds.build_dg7([face[:300]]),
        "DG11": lds.build_dg11(
            full_name="ERIKSSON<<ANNA<MARIA",
            birth_date=date(1974, 8, 12),
            place_of_birth=("ZENITH", "UTOPIA"),
            address=("1 MAIN ST", "ZENITH"),
            personal_number="123456789",
            telephone="+1 555 0100",
            profession="ENGINEER",
            title="DR",
            other_names=("ANNA<ERIKSSON",),
        ),
        "DG12": lds.build_dg12(
            issuing_authority="UTOPIA",
            date_of_issue=date(2022, 4, 15),
            personalization_time=datetime(2022, 4, 14, 12, 30),
            personalization_serial="A1",
        ),
        "DG13": lds.build_dg13(bytes.fromhex("5f4003414243")),
        "DG16": lds.build_dg16([person, lds.PersonToNotify("DOE<<JANE")]),
    }


def _test_signer() -> tuple[Any, Any]:
    from mrtd.sim.pki import TestPKI  # noqa: PLC0415

    return TestPKI().document_signer("rsa")


@cache
def _built_sod(hash_algorithm: str = "sha256") -> bytes:
    """EF.SOD over DG1 and DG11 (LDSSecurityObject v1, LDS 1.8, a signing time), or with SHA-1
    over DG1, DG3 and DG4 (v0, no signing time), as old documents have."""
    from mrtd.lds.sod import build_sod  # noqa: PLC0415

    key, certificate = _test_signer()
    built = _built_lds_files()
    sha1 = hash_algorithm == "sha1"
    numbers = (1, 3, 4) if sha1 else (1, 11)
    return build_sod(
        {n: built[f"DG{n}"] for n in numbers},
        signer_key=key,
        signer_cert=certificate,
        hash_algorithm=hash_algorithm,
        signature_algorithm="rsassa_pkcs1v15",
        signing_time=None if sha1 else SIGNED_AT,
        lds_version=None if sha1 else "0108",
    )


@cache
def _built_card_security() -> bytes:
    from mrtd.lds.security.oids import SECURITY_OBJECT_OID  # noqa: PLC0415
    from mrtd.lds.sod import sign_content  # noqa: PLC0415

    key, certificate = _test_signer()
    card_access = bytes.fromhex(_vectors()["bsi_eac_worked_example.ecdh"]["ef_cardaccess"])
    return sign_content(
        SECURITY_OBJECT_OID,
        card_access,
        signer_key=key,
        signer_cert=certificate,
        signature_algorithm="rsassa_pkcs1v15",
        signing_time=SIGNED_AT,
    )


@cache
def _built_trust_material() -> list[bytes]:
    """The simulated CSCA's CRL (revoking its DS) and a master list of both test CSCAs."""
    from asn1crypto import pem  # noqa: PLC0415

    from mrtd.sim.pki import TestPKI  # noqa: PLC0415
    from mrtd.sim.pki_builder import Issued, build_master_list, issue_crl  # noqa: PLC0415

    pki = TestPKI()
    csca = Issued(pki.csca_private_key("rsa"), pki.csca_certificate("rsa"))
    signer = Issued(*_test_signer())
    revoked = [(signer.certificate.serial_number, SIGNED_AT)]
    crl = issue_crl(
        csca, revoked, this_update=SIGNED_AT, next_update=datetime(2036, 1, 1, tzinfo=UTC),
        scheme="rsassa_pkcs1v15",
    )  # fmt: skip
    master_list = build_master_list(
        signer,
        [pki.csca_certificate("rsa"), pki.csca_certificate("ecdsa")],
        scheme="rsassa_pkcs1v15",
        signing_time=SIGNED_AT,
    )
    return [
        crl.dump(),
        pem.armor("X509 CRL", crl.dump()),
        master_list,
        pki.csca_pem(),
        pki.csca_pem("rsa") + pem.armor("X509 CRL", crl.dump()),
        pki.csca_certificate("ecdsa").dump(),
        _ldif(
            ("cACertificate", pki.csca_certificate("rsa").dump()),
            ("userCertificate", signer.certificate.dump()),
            ("certificateRevocationList", crl.dump()),
        ),
        _ldif(("pkdMasterListContent", master_list)),
    ]


def _ldif(*attributes: tuple[str, bytes]) -> bytes:
    """A PKD-style LDIF file, one entry per attribute, base64 folded at 76 columns."""
    lines = ["version: 1", ""]
    for number, (name, value) in enumerate(attributes, 1):
        text = f"{name};binary:: {base64.b64encode(value).decode()}"
        folded = [text[:76]] + [" " + text[i : i + 75] for i in range(76, len(text), 75)]
        lines += [f"dn: cn=entry{number},o=fuzz,c=UT", "objectClass: top", *folded, ""]
    return "\n".join(lines).encode()


# -- the seeds of each harness ---------------------------------------------------------------


def tlv_seeds() -> list[bytes]:
    files = [p.read_bytes() for p in _files("lds")]
    files += [_built_sod(), *_built_lds_files().values()]
    files.append(bytes.fromhex(_vectors()["bac.secure_messaging"]["ef_com"]))
    files.append(b"\x30\x80\x04\x01\x00\x00\x00")  # indefinite length (allowed with 0x80)
    return _unique(option.to_bytes(1, "big") + f for f in files for option in (0x0F, 0x8F, 0x4F))


def sod_seeds() -> list[bytes]:
    return _unique(
        iter(
            [
                *(p.read_bytes() for p in _files("lds") if p.stem == "EF_SOD"),
                _built_sod(),
                _built_sod("sha1"),
            ]
        )
    )


def lds_files_seeds() -> list[bytes]:
    sys.path.insert(0, str(ROOT / "fuzz"))
    from lds_files import file_choice  # noqa: PLC0415 - the harness's own selector

    named = [(_lds_name(p), p.read_bytes()) for p in _files("lds")]
    named += [("DG2", p.read_bytes()) for p in _files("lds", suffixes=(".dat",))]
    named += [("EF.SOD", _built_sod()), ("EF.CardSecurity", _built_card_security())]
    named += list(_built_lds_files().items())
    vectors = _vectors()
    named.append(
        ("EF.CardAccess", bytes.fromhex(vectors["bsi_eac_worked_example.ecdh"]["ef_cardaccess"]))
    )
    named.append(
        ("DG14", bytes.fromhex(vectors["ca.real_trace_ecdh_brainpoolP256r1_aes128"]["dg14"]))
    )
    named.append(("DG15", bytes.fromhex(vectors["aa.real_trace_rsa1792_sha256"]["dg15"])))
    seeds = []
    for name, data in named:
        if name is None:
            continue
        seeds.append(bytes((file_choice(name),)) + data)
        if name not in ("EF.CardAccess", "EF.CardSecurity"):
            seeds.append(bytes((file_choice(None),)) + data)
    return _unique(iter(seeds))


def security_infos_seeds() -> list[bytes]:
    vectors = _vectors()
    card_access = [
        bytes.fromhex(vectors[name]["ef_cardaccess"])
        for name in ("bsi_eac_worked_example.ecdh", "bsi_eac_worked_example.dh")
    ]
    card_access.append(
        bytes.fromhex("3114" + vectors["pace.ecdh_gm.brainpoolP256r1"]["ef_cardaccess_paceinfo"])
    )
    dg14 = [p.read_bytes() for p in _files("lds") if (_lds_name(p) or "") == "DG14"]
    dg14.append(bytes.fromhex(vectors["ca.real_trace_ecdh_brainpoolP256r1_aes128"]["dg14"]))
    seeds = [b"\x00" + f for f in card_access] + [b"\x01" + f for f in dg14]
    seeds.append(b"\x02" + _built_card_security())
    seeds += [b"\x00" + f[f.index(b"\x31", 2) :] for f in dg14 if b"\x31" in f[2:6]]
    return _unique(iter(seeds))


def sm_unwrap_seeds() -> list[bytes]:
    sys.path.insert(0, str(ROOT / "fuzz"))
    from sm_unwrap import COMMAND, ENCRYPT, KEY_SETS, SEAL  # noqa: PLC0415

    from mrtd.crypto import reference  # noqa: PLC0415

    vectors = _vectors()
    bac = vectors["bac.secure_messaging"]["read_binary_4"]
    seeds = [b"\x00" + bytes.fromhex(bac["response"])[:-2]]
    seeds.append(
        bytes((COMMAND,))
        + bytes.fromhex(bac["protected_apdu"])[:4]
        + bytes.fromhex(bac["protected_apdu"])[5:-1]
    )
    apdus = vectors["sm.aes256.read_ef_com"]["apdus"]
    command, response = apdus[0]
    seeds.append(b"\x03" + bytes.fromhex(response)[:-2])
    raw = bytes.fromhex(command)
    seeds.append(bytes((COMMAND | 3,)) + raw[:4] + raw[5:-1])
    plain = bytes.fromhex(vectors["bac.secure_messaging"]["ef_com"])
    for index, keys in enumerate(KEY_SETS):
        for data in (b"", plain[:4], plain):
            wrapped = reference.wrap_response(
                keys.algorithm, keys.k_enc, keys.k_mac, keys.ssc, data, 0x9000
            )
            seeds.append(bytes((index,)) + wrapped)
            seeds.append(bytes((index | SEAL,)) + wrapped[:-10])
        padded = plain + b"\x80" + bytes(-(len(plain) + 1) % keys.block)
        seeds.append(bytes((index | ENCRYPT,)) + b"\x90\x00" + padded)
        seeds.append(bytes((index | COMMAND | ENCRYPT,)) + b"\x0c\xb0\x00\x00" + padded)
        seeds.append(bytes((index | COMMAND | SEAL,)) + b"\x0c\xb0\x00\x00\x97\x01\x04")
    return _unique(iter(seeds))


def ec_points_seeds() -> list[bytes]:
    sys.path.insert(0, str(ROOT / "fuzz"))
    from ec_points import CURVES  # noqa: PLC0415

    seeds = []
    for index, curve in enumerate(CURVES):
        g = curve.generator
        compressed = bytes((2 | curve.gy & 1,)) + g[1 : 1 + curve.size]
        seeds += [bytes((index, 0)) + g, bytes((index, 0)) + compressed]
        seeds.append(bytes((index, 1, 1, 7)) + g)
        seeds.append(bytes((index, 2, len(g))) + g + compressed)
        seeds.append(bytes((index, 3, 1, 3)) + g)
        seeds.append(bytes((index, 4)) + curve.n.to_bytes(curve.size + 1, "big"))
        seeds += [bytes((index, 5, compress, 1, 5, 9)) for compress in (0, 1)]
    return seeds


def mrz_text_seeds() -> list[bytes]:
    specimens = [v["lines"] for k, v in _vectors().items() if k.startswith("mrz.specimen.")]
    texts = ["\n".join(lines) for lines in specimens] + ["".join(lines) for lines in specimens]
    return _unique(bytes((option,)) + t.encode() for t in texts for option in range(8))


def mrz_image_seeds() -> list[bytes]:
    import cv2  # noqa: PLC0415 - the image extra; the OCR harness needs it anyway

    seeds = []
    photos = [SIM_DATA / "demo-page.jpg", *_files("mrz-images", suffixes=(".jpg", ".png"))[::2]]
    for number, path in enumerate(photos):
        gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if gray is None:
            raise OSError(f"{path} is not an image OpenCV reads")
        scale = min(1.0, MAX_IMAGE_SIDE / max(gray.shape))
        small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        encodings = [(".jpg", [cv2.IMWRITE_JPEG_QUALITY, 75])]
        encodings += [(".png", [])] if number < 4 else []
        for suffix, parameters in encodings:
            ok, encoded = cv2.imencode(suffix, small, parameters)
            if ok and len(encoded) <= MAX_IMAGE_BYTES:
                seeds.append(b"\x00" + encoded.tobytes())
    face = (SIM_DATA / "face.jpg").read_bytes()
    seeds.append(b"\x01" + face)
    pixels = cv2.imdecode(_array(face), cv2.IMREAD_COLOR)
    if pixels is None:
        raise OSError("the simulated chip's face.jpg does not decode")
    ok, encoded = cv2.imencode(".jp2", cv2.resize(pixels, (120, 160)))
    if ok:
        seeds.append(b"\x01" + encoded.tobytes())
    return seeds


def image_header_seeds() -> list[bytes]:
    import cv2  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    tiny = (np.arange(48 * 64) % 251).astype(np.uint8).reshape(48, 64)
    seeds = []
    for suffix in (".jpg", ".png", ".bmp", ".tif", ".webp", ".jp2"):
        ok, encoded = cv2.imencode(suffix, tiny)
        if ok:
            seeds.append(encoded.tobytes())
    face = (SIM_DATA / "face.jpg").read_bytes()
    seeds.append(face[:1024])
    seeds.append((SIM_DATA / "demo-page.jpg").read_bytes()[:1024])
    seeds += [p.read_bytes()[:1024] for p in _files("mrz-images", suffixes=(".jpg", ".png"))[:8]]
    return _unique(iter(seeds))


def trust_store_seeds() -> list[bytes]:
    from asn1crypto import pem  # noqa: PLC0415

    seeds = []
    for path in _files("pki", suffixes=(".cer",)):  # the German root CSCA: explicit parameters
        csca = path.read_bytes()
        seeds += [csca, pem.armor("CERTIFICATE", csca), _ldif(("cACertificate", csca))]
    return _unique(iter([*seeds, *_built_trust_material()]))


def _array(data: bytes) -> Any:
    import numpy as np  # noqa: PLC0415

    return np.frombuffer(data, np.uint8)


SEEDS: dict[str, Callable[[], list[bytes]]] = {
    "tlv": tlv_seeds,
    "sod": sod_seeds,
    "lds_files": lds_files_seeds,
    "security_infos": security_infos_seeds,
    "sm_unwrap": sm_unwrap_seeds,
    "ec_points": ec_points_seeds,
    "mrz_text": mrz_text_seeds,
    "mrz_image": mrz_image_seeds,
    "image_header": image_header_seeds,
    "trust_store": trust_store_seeds,
}
"""Harness name (fuzz/<name>.py) -> its seeds."""


def write_corpus(name: str, root: Path = CORPUS) -> int:
    """Add the seeds of `name` to root/<name>/ (named by content, so reruns add nothing);
    the number of seeds."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    seeds = SEEDS[name]()
    for seed in seeds:
        path = folder / f"seed-{hashlib.sha1(seed).hexdigest()}"  # noqa: S324 - a file name
        if not path.exists():
            path.write_bytes(seed)
    return len(seeds)


def main(argv: list[str]) -> int:
    names = argv or list(SEEDS)
    unknown = [n for n in names if n not in SEEDS]
    if unknown:
        print(f"seed_corpora: no harness named {', '.join(unknown)}", file=sys.stderr)
        return 2
    for name in names:
        print(f"{name}: {write_corpus(name)} seeds in {CORPUS / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
