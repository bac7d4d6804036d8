"""Run the benchmarks (all, or those named), print their figures and write them to docs/benchmarks.md."""

from __future__ import annotations

import argparse
import importlib
import sys

from bench.common import REPORT, machine, write_section

BENCHMARKS = ("steps", "webhooks", "import_rows", "audio", "recordings", "memory", "slow_clients", "reports")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}"
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, to check that the benchmarks run; figures are not written"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"no benchmark named {', '.join(unknown)} (choose from {', '.join(BENCHMARKS)})")
    print(f"machine: {machine()}", flush=True)
    for name in args.names or BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}", flush=True)
        section = module.run(quick=args.quick)
        if not args.quick:
            write_section(section)
    if not args.quick:
        print(f"written to {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
