"""keel_lab: a network-namespace lab for keel's end-to-end tests and demos.

    import sys; sys.path.insert(0, "tests/e2e")
    from keel_lab import Lab, probe_cmd

    with Lab() as lab:
        client, director = lab.host("client"), lab.host("director")
        sw = lab.switch("sw")
        lab.connect(client, sw, "198.18.0.10/24")
        lab.connect(director, sw, "198.18.0.2/24")
        assert client.ping("198.18.0.2")
        server = director.spawn(probe_cmd("serve", "198.18.0.2", "8080"))
        server.wait_for_output("listening")

Everything a Lab creates is removed by `close()` (or leaving the `with`
block), at interpreter exit, and on SIGINT/SIGTERM/SIGHUP. Modules: lab
(Lab), host (Host, Switch, Link), proc (Proc), netns (namespace primitives,
require_root_netns), signals (exit/signal safety net), util (wait_until,
run_cmd), netprobe (ping/TCP probes run inside namespaces), pytest_plugin
(fixtures and the per-test time limit, loaded by tests/e2e/conftest.py).
"""

from .host import Host, Link, Switch
from .lab import CleanupError, Lab
from .netns import require_root_netns
from .netprobe import probe_cmd
from .proc import Proc, ProcessExited
from .util import CommandError, pid_alive, run_cmd, wait_until

__all__ = [
    "CleanupError", "CommandError", "Host", "Lab", "Link", "Proc", "ProcessExited", "Switch",
    "pid_alive", "probe_cmd", "require_root_netns", "run_cmd", "wait_until",
]
