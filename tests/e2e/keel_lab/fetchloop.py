"""Fresh-connection GETs in a loop for a while, run *inside* a lab namespace (stdlib only).

    fetchloop.py HOST PORT PATH --for SECONDS [--interval S] [--timeout S]

Until SECONDS have passed, opens a new connection, GETs PATH (httpget.get) and prints one JSON
line: httpget's fields plus "t", the seconds since the start when the request began. Used to
count the requests that fail while a VIP moves between directors.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from httpget import get  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("path")
    p.add_argument("--for", dest="seconds", type=float, required=True)
    p.add_argument("--interval", type=float, default=0.1)
    p.add_argument("--timeout", type=float, default=2.0)
    a = p.parse_args()
    start = time.monotonic()
    while (began := time.monotonic() - start) < a.seconds:
        result = get(a.host, a.port, a.path, a.timeout, None)
        result["t"] = round(began, 3)
        print(json.dumps(result), flush=True)
        time.sleep(a.interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())
