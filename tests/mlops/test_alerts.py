"""The Prometheus rules file: what the generator writes, and promtool's verdict on it and on its unit tests."""

from __future__ import annotations

import re

import pytest

from aimastery.mlops.alerts import (
    RULES_FILE, RULES_TEST_FILE, alert_rules, alert_rules_tests, promtool, run_promtool, score_thresholds,
    thresholds_in,
)

NO_PROMTOOL = "promtool is not installed (Debian's `prometheus` package; .ci/run installs it)"


def test_the_files_are_what_the_generator_writes():
    text = RULES_FILE.read_text()
    written = thresholds_in(text)
    assert set(written) == {"psi", "ks", "chi2", "embedding"}
    assert alert_rules(score_thresholds(written)) == text  # regenerate with `python -m aimastery.mlops alert-rules`
    assert alert_rules_tests() == RULES_TEST_FILE.read_text()


@pytest.mark.skipif(promtool() is None, reason=NO_PROMTOOL)
def test_promtool_checks_the_rules_and_runs_their_unit_tests():
    checked = run_promtool("check", "rules", str(RULES_FILE))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 7 rules found" in checked.stdout
    tested = run_promtool("test", "rules", str(RULES_TEST_FILE))
    assert tested.returncode == 0, tested.stdout + tested.stderr


@pytest.mark.skipif(promtool() is None, reason=NO_PROMTOOL)
def test_the_unit_tests_catch_a_rule_that_points_the_wrong_way(tmp_path):
    flipped = re.sub(r" ([<>]) ", lambda m: " > " if m.group(1) == "<" else " < ", RULES_FILE.read_text())
    (tmp_path / RULES_FILE.name).write_text(flipped)
    (tmp_path / RULES_TEST_FILE.name).write_text(RULES_TEST_FILE.read_text())
    result = run_promtool("test", "rules", str(tmp_path / RULES_TEST_FILE.name))
    assert result.returncode != 0 and "FAILED" in result.stdout + result.stderr


@pytest.mark.skipif(promtool() is None, reason=NO_PROMTOOL)
def test_promtool_rejects_a_broken_rule(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(RULES_FILE.read_text().replace("drift_statistic{", "drift_statistic{{", 1))
    assert run_promtool("check", "rules", str(broken)).returncode != 0
