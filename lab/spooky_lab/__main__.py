"""The lab command line: `python -m spooky_lab up|down|status|partition|heal|save|load|wipe|scenario`."""

import argparse
import json
import sys

from . import lab
from .config import load as load_config


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spooky_lab", description="The spooky.ops lab on loopback.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start every lab service (idempotent) and seed the demo workload")
    sub.add_parser("down", help="stop every lab process (idempotent)")
    sub.add_parser("status", help="what runs, where")
    for name, text in (("partition", "make a cluster unreachable"), ("heal", "make a cluster reachable again"),
                       ("wipe", "lose every object of a cluster (DR drills)")):
        p = sub.add_parser(name, help=text)
        p.add_argument("cluster")
    for name, text in (("save", "save a cluster's objects to a file"), ("load", "replace a cluster's objects from a file")):
        p = sub.add_parser(name, help=text)
        p.add_argument("cluster")
        p.add_argument("path")
    p = sub.add_parser("scenario", help="set the demo app's canary scenario for a cluster")
    p.add_argument("cluster")
    p.add_argument("scenario", choices=("healthy", "failing", "slow", "no-traffic"))
    args = parser.parse_args(argv)
    cfg = load_config()
    try:
        if args.command == "up":
            print(lab.up(cfg))
        elif args.command == "down":
            print(lab.down(cfg))
        elif args.command == "status":
            status = lab.status(cfg)
            print(json.dumps(status, indent=2))
            return 0 if status["up"] else 3
        elif args.command in ("partition", "heal", "wipe"):
            print(json.dumps(lab.steer(cfg, args.command, args.cluster)))
        elif args.command in ("save", "load"):
            print(json.dumps(lab.steer(cfg, args.command, args.cluster, args.path)))
        elif args.command == "scenario":
            print(json.dumps(lab.set_scenario(cfg, args.cluster, args.scenario)))
    except (RuntimeError, ValueError, OSError) as exc:
        print(f"spooky_lab {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
