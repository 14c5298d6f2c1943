"""The model registry: manifests, checksums, the ACTIVE pointer, activate / rollback."""

import json
import os

import pytest

from models.registry import ModelIntegrityError, ModelRegistry, UnknownModelVersionError


def model_folder(path, hidden=8, payload=b"weights" * 100):
    """A minimal sentence-transformers-like folder (the registry only needs its files and dimension)."""
    (path / "1_Pooling").mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"hidden_size": hidden}))
    (path / "modules.json").write_text("[]")
    (path / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": hidden}))
    (path / "model.safetensors").write_bytes(payload)
    return path


@pytest.fixture()
def registry(tmp_path):
    return ModelRegistry(tmp_path / "models")


def test_register_writes_a_manifest_with_checksums(registry, tmp_path):
    version = registry.register(
        model_folder(tmp_path / "src"), parent=None, source="unit test", metrics={"recall@10": 0.5}
    )
    assert version.version == "v1"
    manifest = json.loads((version.path / "manifest.json").read_text())
    assert set(manifest) == {
        "version",
        "source",
        "parent",
        "dimension",
        "model_id",
        "files",
        "created",
        "metrics",
    }
    assert manifest["dimension"] == 8 and manifest["source"] == "unit test" and manifest["parent"] is None
    assert manifest["metrics"] == {"recall@10": 0.5}
    weights = manifest["files"]["model.safetensors"]
    assert weights["size"] == 700 and len(weights["sha256"]) == 64
    assert "manifest.json" not in manifest["files"]
    assert (tmp_path / "src").exists(), "register copies unless move=True"
    assert registry.verify("v1") == version


def test_versions_are_numbered_and_sorted_numerically(registry, tmp_path):
    for i in range(11):
        registry.register(model_folder(tmp_path / f"m{i}"), parent=None, source=f"m{i}")
    names = [v.version for v in registry.versions()]
    assert names == [f"v{i}" for i in range(1, 12)]
    child = registry.register(model_folder(tmp_path / "child"), parent="v10", source="fine-tune", move=True)
    assert child.version == "v12" and child.parent == "v10"
    assert not (tmp_path / "child").exists()
    with pytest.raises(LookupError):
        registry.register(model_folder(tmp_path / "orphan"), parent="v99", source="x")


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete"])
def test_verify_refuses_a_corrupted_file_and_names_it(registry, tmp_path, damage):
    version = registry.register(model_folder(tmp_path / "src"), parent=None, source="x")
    target = version.path / "model.safetensors"
    registry.verify("v1", trust_stat_cache=True)  # records the stat cache: damage must still be caught
    if damage == "flip":
        data = bytearray(target.read_bytes())
        data[123] ^= 0x01
        target.write_bytes(bytes(data))
    elif damage == "truncate":
        target.write_bytes(target.read_bytes()[:-1])
    else:
        target.unlink()
    for trust in (False, True):
        with pytest.raises(ModelIntegrityError, match="model.safetensors") as caught:
            registry.verify("v1", trust_stat_cache=trust)
        assert "v1" in str(caught.value)
    with pytest.raises(ModelIntegrityError):
        registry.activate("v1")


def test_flipped_byte_with_restored_mtime_is_caught_by_a_full_verify(registry, tmp_path):
    version = registry.register(model_folder(tmp_path / "src"), parent=None, source="x")
    target = version.path / "model.safetensors"
    registry.verify("v1")
    stat = target.stat()
    data = bytearray(target.read_bytes())
    data[5] ^= 0x80
    with open(target, "r+b") as handle:
        handle.write(bytes(data))
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(ModelIntegrityError, match="sha256"):
        registry.verify("v1")


def test_missing_manifest_is_an_integrity_error(registry, tmp_path):
    version = registry.register(model_folder(tmp_path / "src"), parent=None, source="x")
    (version.path / "manifest.json").unlink()
    (version.path / "keep").write_text("folder stays")
    with pytest.raises(ModelIntegrityError, match="manifest"):
        registry.get("v1")


def test_activate_and_rollback_keep_a_history(registry, tmp_path):
    for name in ("a", "b", "c"):
        registry.register(model_folder(tmp_path / name), parent=None, source=name)
    with pytest.raises(LookupError):
        registry.active()
    assert registry.active_version() is None
    registry.activate("v1")
    registry.activate("v2")
    registry.activate("v3")
    assert registry.active().version == "v3"
    assert registry.history() == ["v1", "v2"]
    pointer = json.loads((registry.root / "ACTIVE").read_text())
    assert pointer["version"] == "v3" and pointer["history"] == ["v1", "v2"]
    assert registry.rollback().version == "v2"
    assert registry.rollback().version == "v1"
    assert registry.active_version() == "v1"
    with pytest.raises(UnknownModelVersionError, match="roll back"):
        registry.rollback()
    assert registry.active_version() == "v1"
    leftovers = [p.name for p in registry.root.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == [], "the pointer is written through a temporary file that is renamed"


def test_unknown_version_names_the_known_ones(registry, tmp_path):
    registry.register(model_folder(tmp_path / "a"), parent=None, source="a")
    with pytest.raises(UnknownModelVersionError, match="v1"):
        registry.activate("v7")


def test_set_metrics_merges_and_keeps_checksums_valid(registry, tmp_path):
    registry.register(model_folder(tmp_path / "a"), parent=None, source="a", metrics={"a": 1})
    updated = registry.set_metrics("v1", {"b": 2})
    assert dict(updated.metrics) == {"a": 1, "b": 2}
    registry.verify("v1")


def test_replace_files_repairs_a_version_in_place(registry, tmp_path):
    registry.register(model_folder(tmp_path / "a"), parent=None, source="a", metrics={"m": 1})
    registry.activate("v1")
    (registry.root / "v1" / "model.safetensors").write_bytes(b"garbage")
    repaired = registry.replace_files("v1", model_folder(tmp_path / "rebuilt"))
    assert repaired.version == "v1" and dict(repaired.metrics) == {"m": 1}
    assert registry.active_version() == "v1"
    registry.verify("v1")
