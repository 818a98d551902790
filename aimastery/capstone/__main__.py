"""The capstone's commands: ``python -m aimastery.capstone {train,verify,evaluate,serve}``.

train      train the classifier the service serves and write its artefacts (progress bar on stderr)
verify     check a folder of artefacts against its manifest and print what it holds
evaluate   compare the models (TF-IDF + logistic regression, TF-IDF + MLP, MiniLM + linear head)
           in distribution (their held-out split) and out of it (the hand-written set, --eval-data)
serve      serve the classifier with uvicorn (several workers), training first if no artefacts exist

Data: synthetic issues by default, or ``--data FILE``: your repository's
issues exported as JSONL, JSON or CSV (see aimastery/capstone/loader.py).
``--eval-data FILE`` scores the models on such an export without training
on it, beside the hand-written set of real-style issues they never see.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from aimastery.capstone.artefacts import ARTEFACTS_ENV, ArtefactError, default_artefacts_dir
from aimastery.capstone.loader import IssueDataError


def _train_config(args: argparse.Namespace):
    from aimastery.capstone.models import MLPConfig
    from aimastery.capstone.train import TrainConfig

    return TrainConfig(n_per_label=args.n_per_label, seed=args.seed, model=getattr(args, "model", "tfidf-logreg"),
                       mlp=MLPConfig(num_epochs=args.epochs, seed=args.seed))


def cmd_train(args: argparse.Namespace) -> int:
    from aimastery.capstone.train import SYNTHETIC, train_and_save

    result = train_and_save(args.out, _train_config(args), args.data, eval_data=args.eval_data,
                            progress=not args.quiet)
    print(json.dumps({"model_version": result.manifest["model_version"],
                      "accuracy": round(result.served[SYNTHETIC].accuracy, 4),
                      "out_of_distribution": {where: round(ev.accuracy, 4) for where, ev in result.served.items()
                                              if where != SYNTHETIC}}))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from aimastery.capstone.artefacts import load_artefacts

    artefacts = load_artefacts(args.artefacts)
    m = artefacts.manifest
    print(f"{artefacts.path}: OK, every file matches its SHA-256 in the manifest")
    print(f"  model {m['model_version']}, labels {', '.join(artefacts.labels)}, "
          f"{artefacts.features.n_features} TF-IDF terms")
    print(f"  trained {m['created_at']} on {m['training_data'].get('n_issues')} issues "
          f"(sha256 {m['training_data'].get('sha256', '?')[:12]}...), "
          f"held-out accuracy {m['metrics']['held_out']['accuracy']:.1%}")
    for where, scores in m["metrics"].get("out_of_distribution", {}).items():
        print(f"  accuracy on {where}: {scores['accuracy']:.1%}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from aimastery.capstone.evaluation import accuracy_table, scores_table
    from aimastery.capstone.train import compare_models, evaluation_sets, load_training_data, split_issues

    config = _train_config(args)
    issues, _ = load_training_data(args.data, config)
    scores = compare_models(split_issues(issues, config.test_size, config.seed), evaluation_sets(args.eval_data),
                            config, minilm_max_tokens=args.max_tokens, progress=not args.quiet)
    print("accuracy\n" + accuracy_table(scores).round(3).to_string())
    for where in next(iter(scores.values())):
        print(f"\n{where}: accuracy, macro F1 and F1 per class\n"
              + scores_table([by_set[where] for by_set in scores.values()]).round(3).to_string())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from aimastery.capstone.server import serve

    return serve(args.host, args.port, args.workers, args.artefacts, train_if_missing=not args.no_train,
                 log_level=args.log_level, access_log=args.access_log)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aimastery.capstone", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def data_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data", type=Path, default=None, help="an export of issues (.jsonl, .json, .csv)")
        p.add_argument("--n-per-label", type=int, default=500, help="synthetic issues per label (default 500)")
        p.add_argument("--epochs", type=int, default=12, help="MLP training epochs (default 12)")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--eval-data", type=Path, default=None,
                       help="an export to evaluate on, never trained on (.jsonl, .json, .csv)")
        p.add_argument("--quiet", action="store_true", help="no progress bar")

    train = sub.add_parser("train", help="train and write the artefacts")
    data_options(train)
    train.add_argument("--model", default="tfidf-logreg", choices=["tfidf-logreg", "tfidf-mlp"],
                       help="the model to write (default tfidf-logreg, the one that generalises best)")
    train.add_argument("--out", type=Path, default=default_artefacts_dir(),
                       help=f"artefacts folder (default ${ARTEFACTS_ENV} or artefacts/capstone)")
    train.set_defaults(func=cmd_train)

    verify = sub.add_parser("verify", help="check artefacts against their manifest")
    verify.add_argument("--artefacts", type=Path, default=default_artefacts_dir())
    verify.set_defaults(func=cmd_verify)

    evaluate = sub.add_parser("evaluate", help="compare the models in and out of distribution")
    data_options(evaluate)
    evaluate.add_argument("--max-tokens", type=int, nargs="+", default=[32, 128],
                          help="MiniLM tokens per issue, one model each (default 32 128)")
    evaluate.set_defaults(func=cmd_evaluate)

    serve = sub.add_parser("serve", help="serve the classifier (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument("--artefacts", type=Path, default=None,
                       help=f"artefacts folder (default ${ARTEFACTS_ENV} or artefacts/capstone)")
    serve.add_argument("--no-train", action="store_true", help="do not train when no artefacts exist")
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    serve.add_argument("--access-log", action="store_true", help="log every request (slower)")
    serve.set_defaults(func=cmd_serve)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ArtefactError, IssueDataError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
