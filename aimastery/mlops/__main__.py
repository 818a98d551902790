"""The MLOps commands: ``python -m aimastery.mlops alert-rules [--out FILE]``.

alert-rules   run the chapter's drift study (train the production model, embed the
              pools with MiniLM, calibrate every test on days without a shift) and
              write the Prometheus rules file with the thresholds it chose
              (default: aimastery/mlops/prometheus/issue_classifier_rules.yml)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path


def cmd_alert_rules(args: argparse.Namespace) -> int:
    from aimastery.atomic import write_text_atomic
    from aimastery.capstone.artefacts import load_artefacts
    from aimastery.mlops.alerts import alert_rules, alert_rules_tests
    from aimastery.mlops.workflow import drift_pools, drift_signals, drift_study, train_run
    from aimastery.pretrained import MiniLMEncoder

    with tempfile.TemporaryDirectory() as tmp:
        train_run(Path(tmp) / "model", "retrained on more data")
        artefacts = load_artefacts(Path(tmp) / "model")
    signals = drift_signals(artefacts, *drift_pools(), MiniLMEncoder(max_tokens=32))
    study = drift_study(signals)
    write_text_atomic(args.out, alert_rules(study.thresholds))
    tests = Path(args.out).with_name(Path(args.out).stem + "_test.yml")
    write_text_atomic(tests, alert_rules_tests(Path(args.out).name))
    print(f"wrote {args.out} with the thresholds {study.thresholds} (scores: PSI, or -log10 p), and {tests}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from aimastery.mlops.alerts import RULES_FILE

    parser = argparse.ArgumentParser(prog="python -m aimastery.mlops", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    rules = sub.add_parser("alert-rules", help="write the Prometheus rules file from the drift study")
    rules.add_argument("--out", default=str(RULES_FILE), help=f"where to write it (default: {RULES_FILE})")
    rules.set_defaults(func=cmd_alert_rules)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
