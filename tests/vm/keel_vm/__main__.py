"""keel_vm's command line (run from tests/vm, or with tests/vm on PYTHONPATH):

    python3 -m keel_vm fetch-kernel            # scripts/deps: cache Debian's kernel once
    python3 -m keel_vm run [--timeout S] -- COMMAND...   # run COMMAND in a VM, exit with its status
"""

import argparse
import signal
import sys

from . import KernelMissing, QemuMissing, VmError, fetch_kernel, run_in_vm


def _interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    for sig in (signal.SIGTERM, signal.SIGHUP):  # stop like ^C: qemu killed, files removed
        signal.signal(sig, _interrupt)
    parser = argparse.ArgumentParser(prog="keel_vm")
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("fetch-kernel", help="download and unpack Debian's kernel into the cache")
    run = sub.add_parser("run", help="run a command inside a VM")
    run.add_argument("--timeout", type=float, default=300)
    run.add_argument("--memory", type=int, default=2048, help="MiB")
    run.add_argument("--cpus", type=int, default=2)
    run.add_argument("command", nargs="+")
    args = parser.parse_args()
    try:
        if args.what == "fetch-kernel":
            kernel = fetch_kernel()
            print(f"keel_vm: kernel {kernel.release} in {kernel.root}")
            return 0
        result = run_in_vm(args.command, timeout=args.timeout, memory_mib=args.memory,
                           cpus=args.cpus)
    except (KernelMissing, QemuMissing, VmError) as e:
        print(f"keel_vm: {e}", file=sys.stderr)
        return 125
    except KeyboardInterrupt as e:
        print(f"keel_vm: interrupted ({e}); the VM is stopped", file=sys.stderr)
        return 130
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    print(f"keel_vm: exit {result.status} after {result.seconds:.1f} s", file=sys.stderr)
    return result.status if result.status >= 0 else 128 - result.status


if __name__ == "__main__":
    sys.exit(main())
