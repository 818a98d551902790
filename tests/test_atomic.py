import pytest

from aimastery.atomic import atomic_path, write_text_atomic


def test_write_replaces_the_file_and_leaves_nothing_else(tmp_path):
    target = tmp_path / "sub" / "report.json"
    write_text_atomic(target, "old")
    write_text_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_an_error_mid_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "weights.bin"
    target.write_bytes(b"complete")
    with pytest.raises(RuntimeError, match="disk full"):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("disk full")
    assert target.read_bytes() == b"complete"
    assert [p.name for p in tmp_path.iterdir()] == ["weights.bin"]
