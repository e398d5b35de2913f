"""`mrtd serve` as real processes: two of them on one PostgreSQL share challenges (issued by
one, redeemed at the other, a replay refused at either), several workers on one SQLite file,
and the reference client's whole flow (`mrtd read --submit`) against them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mrtd.errors import ServiceError
from mrtd.service.client import request_challenge, submit_files
from mrtd.service.store import Store
from tests.service import chips
from tests.service.postgres import PostgresCluster
from tests.service.servers import MRTD, free_port, serving, write_config


def _read_and_upload(issuer: str, verifier: str) -> tuple[dict[str, object], str, bytes]:
    challenge = request_challenge(issuer)
    document = chips.read(chips.AA_ECDSA, challenge.nonce)
    assert document.active_signature is not None
    answer = submit_files(
        verifier,
        document.files,
        challenge_id=challenge.id,
        signature=document.active_signature,
        subject="customer-4711",
    )
    return answer, challenge.id, document.active_signature


def test_two_processes_on_one_postgresql_share_their_challenges(
    tmp_path: Path, postgres_cluster: PostgresCluster
) -> None:
    url = postgres_cluster.create_database("two_workers")
    config = write_config(tmp_path, url)
    with serving(config) as first, serving(config) as second:
        answer, challenge_id, signature = _read_and_upload(issuer=first, verifier=second)
        verdict = answer["verdict"]
        assert isinstance(verdict, dict)
        assert verdict["status"] == "genuine", verdict["reasons"]
        document = chips.read(chips.AA_ECDSA, None)
        for replayed_at in (first, second):
            with pytest.raises(ServiceError) as refused:
                submit_files(replayed_at, document.files, challenge_id=challenge_id,
                             signature=signature)  # fmt: skip
            assert refused.value.status == 409
            assert refused.value.problem["type"] == "urn:mrtd:problem:challenge-used"
    store = Store(url)
    try:
        [record] = store.audit_records()
    finally:
        store.close()
    assert record.challenge_id == challenge_id
    assert record.verdict == "genuine"


def test_several_workers_on_one_sqlite_file(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    with serving(config, workers=2) as url:
        verdicts = [_read_and_upload(url, url)[0]["verdict"] for _ in range(4)]
    assert all(isinstance(v, dict) and v["status"] == "genuine" for v in verdicts)
    store = Store(f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    try:
        assert len(store.audit_records()) == 4
    finally:
        store.close()


def test_a_bad_configuration_stops_the_start_with_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "service.toml"
    config.write_text("[service]\nprot = 8000\n")
    done = subprocess.run(
        [str(MRTD), "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown setting(s) in [service]: prot" in done.stderr
    assert "Traceback" not in done.stderr


def test_migrate_only_brings_the_schema_up_to_date_and_exits(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    config = write_config(tmp_path, url)
    done = subprocess.run(
        [str(MRTD), "serve", "--config", str(config), "--migrate-only"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    store = Store(url)
    try:
        store.check_schema()
    finally:
        store.close()


def test_the_upload_is_the_files_as_read(tmp_path: Path) -> None:
    """A file re-encoded on its way (here DG1 with a long-form length) no longer matches
    EF.SOD: the service hashes the bytes as sent."""
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    with serving(config) as url:
        challenge = request_challenge(url)
        document = chips.read(chips.AA_RSA, challenge.nonce)
        dg1 = document.files["DG1"]
        assert dg1[1] < 0x80
        reencoded = bytes([dg1[0], 0x81, dg1[1]]) + dg1[2:]
        answer = submit_files(
            url, {**document.files, "DG1": reencoded}, challenge_id=challenge.id,
            signature=document.active_signature,
        )  # fmt: skip
    verdict = answer["verdict"]
    assert isinstance(verdict, dict)
    assert verdict["status"] == "failed"
    assert "passive.hash_mismatch" in [r["code"] for r in verdict["reasons"]]


def _read_submit(
    tmp_path: Path, url: str, chip: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"chip-{abs(hash(chip))}.toml"
    profile.write_text(chip)
    lines = list(chips.profile().mrz.lines)
    return subprocess.run(
        [str(MRTD), "read", "--reader", f"sim:{profile}", "--mrz", *lines, "--submit", url,
         "--subject", "customer-4711", *extra],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_mrtd_read_submit_is_the_kiosk_s_whole_flow(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    with serving(config) as url:
        done = _read_submit(tmp_path, url, '[chip]\naa = "rsa-1024-sha256"\n', "--json")
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["service"]["verdict"]["status"] == "genuine"
        verification_id = report["service"]["verification_id"]
        clone = _read_submit(
            tmp_path, url, '[chip]\naa = "rsa-1024-sha256"\n[faults]\nclone = true\n'
        )
        assert clone.returncode == 1, clone.stderr
        assert "service verdict  failed" in clone.stdout
    store = Store(f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    try:
        records = store.audit_records()
    finally:
        store.close()
    assert [r.verdict for r in records] == ["genuine", "failed"]
    assert records[0].verification_id == verification_id
    assert records[0].subject == "customer-4711"


def test_mrtd_read_submit_without_a_service_exits_4(tmp_path: Path) -> None:
    done = _read_submit(
        tmp_path, f"http://127.0.0.1:{free_port()}", '[chip]\naa = "rsa-1024-sha256"\n'
    )
    assert done.returncode == 4
    assert "cannot reach the service at http://127.0.0.1:" in done.stderr
    assert "Traceback" not in done.stderr
