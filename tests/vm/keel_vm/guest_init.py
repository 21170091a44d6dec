"""PID 1 inside the VM (started by the initramfs's /init on the host's root, overlaid with a
tmpfs): mounts what a system has (proc, sys, dev, run, tmp, bpf), mounts the host's scratch
directory at its own path, runs the job the host wrote there, reaps every orphan, and powers the
VM off. The host reads the results from the scratch directory:

    job.json    {"argv": [...], "cwd": "...", "env": {...}}       written by the host
    stdout, stderr                                               the job's output
    started     the guest's uptime (seconds) when the job started: the boot time
    status      the job's exit status (a negative number: killed by that signal), written last

Only the standard library, and no site packages (python3 -I -S): it runs before anything else.
"""

import ctypes
import json
import os
import signal
import subprocess
import sys

RB_POWER_OFF = 0x4321FEDC


def log(msg):
    print(f"keel-vm: {msg}", file=sys.stderr, flush=True)


def cmdline():
    with open("/proc/cmdline") as f:
        return dict(w.split("=", 1) for w in f.read().split() if "=" in w)


def mount(fstype, source, target, options=""):
    os.makedirs(target, exist_ok=True)
    argv = ["/bin/busybox", "mount", "-t", fstype, source, target]
    if options:
        argv[2:2] = ["-o", options]
    subprocess.run(argv, check=True)


def setup():
    """Mount what a system has and the scratch directory; returns the scratch path."""
    mount("proc", "proc", "/proc")
    scratch = cmdline()["keel_vm.scratch"]
    mount("sysfs", "sys", "/sys")
    mount("devtmpfs", "dev", "/dev")
    mount("devpts", "devpts", "/dev/pts", "gid=5,mode=620,ptmxmode=666")
    mount("tmpfs", "shm", "/dev/shm", "mode=1777")
    mount("tmpfs", "run", "/run", "mode=0755")
    mount("tmpfs", "tmp", "/tmp", "mode=1777")
    mount("tmpfs", "vartmp", "/var/tmp", "mode=1777")
    mount("bpf", "bpf", "/sys/fs/bpf", "mode=0700")
    mount("9p", "scratch", scratch, "trans=virtio,version=9p2000.L,msize=512000,cache=none")
    if not os.path.exists("/dev/fd"):
        os.symlink("/proc/self/fd", "/dev/fd")
    with open("/proc/sys/kernel/hostname", "w") as f:
        f.write("keel-vm")
    subprocess.run(["/bin/busybox", "ip", "link", "set", "lo", "up"], check=False)
    return scratch


def uptime():
    with open("/proc/uptime") as f:
        return f.read().split()[0]


def run_job(scratch):
    with open(os.path.join(scratch, "job.json")) as f:
        job = json.load(f)
    with open(os.path.join(scratch, "stdout"), "wb") as out, \
            open(os.path.join(scratch, "stderr"), "wb") as err:
        child = subprocess.Popen(job["argv"], cwd=job["cwd"], env=job["env"], stdout=out,
                                 stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
    while True:  # PID 1 reaps every orphan until the job itself ends
        pid, status = os.wait()
        if pid == child.pid:
            return os.waitstatus_to_exitcode(status)


def finish():
    try:
        os.kill(-1, signal.SIGKILL)  # everything but PID 1
        while True:
            os.wait()
    except (ChildProcessError, ProcessLookupError):
        pass
    os.sync()
    ctypes.CDLL(None, use_errno=True).reboot(RB_POWER_OFF)


def main():
    try:
        scratch = setup()
        with open(os.path.join(scratch, "started"), "w") as f:
            f.write(uptime())
        status = run_job(scratch)
        with open(os.path.join(scratch, "status"), "w") as f:
            f.write(f"{status}\n")
    except Exception as e:  # noqa: BLE001 - PID 1 must reach poweroff whatever failed
        log(f"{type(e).__name__}: {e}")
    finish()


if __name__ == "__main__":
    main()
