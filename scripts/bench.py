#!/usr/bin/env python3
"""Benchmarks `gen render` against the floors it must stay near, side by side in one run
on one machine, each figure as min/median/max over RUNS cold-process runs:

1. gen render of the example vs `cp -r` of its own output tree (the I/O floor); shown, no
   goal (what a user feels is the render behind pre-commit's own start, not this ratio).
2. gen render of one aks target vs `kubectl kustomize` over the same rendered manifests;
   goal: gen at least 10x faster.
3. a synthetic design of 1,000 targets (100 services x 10 environments, both platforms)
   vs the example: time must grow linearly, peak RSS <= 100 MB, and --check must be no
   slower than render.
4. the plan: --check of the 1,000 targets after a change that touches every one of them
   (max_connections, a restart on both platforms), against their previous render: the plan
   and the diff of 1,000 targets must take no more than twice a render.

Usage: scripts/bench.py [RUNS]   (builds the release binary first; RUNS defaults to 7)
The comparisons of single small renders (1 and 2) take at least SMALL_RUNS rounds: each
round is a few milliseconds, and this VM's noise moves a median of 15 by a tenth.
Exits 1 when a goal is missed.
"""
import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
GEN = None  # the release binary, wherever cargo put it (see build_gen)
SMALL_RUNS = 100


def run(argv, cwd=None, exit_codes=(0,)):
    """Runs argv as a new process; returns (seconds, peak RSS in bytes)."""
    # stderr goes to a file, not a pipe: a long diff would fill the pipe and block the
    # process before anyone reads it.
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in exit_codes:
            stderr.seek(0)
            raise SystemExit(f"{' '.join(map(str, argv))} failed ({process.returncode}): {stderr.read().decode()}")
    return elapsed, usage.ru_maxrss * 1024


def measure_side_by_side(commands, runs):
    """commands: [(name, make_argv)] or [(name, make_argv, accepted exit codes)]. Runs one of each in turn (and /bin/true, the spawn
    baseline), round after round, so that the VM's drift in speed (it can change by half
    within minutes) falls on all of them alike; prints each as min/median/max with its peak
    RSS. Returns their (median net of spawn cost, peak RSS) pairs."""
    times = [[] for _ in commands]
    peaks = [0 for _ in commands]
    spawns = []
    for i in range(runs):
        spawns.append(run(["/bin/true"])[0])
        for k, (_, make_argv, *codes) in enumerate(commands):
            elapsed, rss = run(make_argv(i), exit_codes=codes[0] if codes else (0,))
            times[k].append(elapsed)
            peaks[k] = max(peaks[k], rss)
    # Net of the harness's own process-spawn cost in these same rounds, as hyperfine does.
    spawn = statistics.median(spawns)
    print(f"  (spawn baseline of these rounds: {spawn*1000:.2f} ms, subtracted)")
    times = [[max(t - spawn, 1e-6) for t in ts] for ts in times]
    medians = []
    for (name, *_), ts, peak in zip(commands, times, peaks):
        median = statistics.median(ts)
        print(f"  {name:<46} min {min(ts)*1000:8.2f} ms  median {median*1000:8.2f} ms  max {max(ts)*1000:8.2f} ms  peak RSS {peak/2**20:6.1f} MiB")
        medians.append((median, peak))
    return medians


def synthetic_inputs(example, target_dir, services=100, environments=10):
    """100 services x 10 environments: half aks (copies of dev), half azure (copies of prod)."""
    target_dir.mkdir(parents=True)
    shutil.copy(example / "project.yaml", target_dir / "project.yaml")
    shutil.copytree(example / "sql", target_dir / "sql")
    (target_dir / "environments").mkdir()
    (target_dir / "services").mkdir()
    dev = (example / "environments/dev.yaml").read_text()
    prod = (example / "environments/prod.yaml").read_text()
    aks_envs, azure_envs = [], []
    for i in range(environments):
        if i % 2 == 0:
            name = f"k{i:02d}"
            text = dev.replace("name: dev\n", f"name: {name}\n", 1).replace("phonebill-dev", f"phonebill-{name}")
            aks_envs.append(name)
        else:
            name = f"z{i:02d}"
            text = prod.replace("name: prod", f"name: {name}")
            azure_envs.append(name)
        (target_dir / f"environments/{name}.yaml").write_text(text)
    bill = (example / "services/bill-inquiry.yaml").read_text()
    auth = (example / "services/auth.yaml").read_text()
    stateful_set = bill[bill.index("    statefulSet:"):]
    server = auth[auth.index("    server:"):]
    head = bill[:bill.index("deployments:")]
    for s in range(services):
        name = f"s{s:03d}"
        text = head.replace("name: bill-inquiry", f"name: {name}").replace("bill_inquiry_db", f"db_{s:03d}")
        text += "deployments:\n"
        for env in aks_envs:
            text += f"  {env}:\n" + stateful_set.replace("postgresql-bill-inquiry", f"postgresql-{name}")
        for env in azure_envs:
            text += f"  {env}:\n" + server.replace("phonebill-auth-postgresql-prod", f"pb-{name}-{env}")
        (target_dir / f"services/{name}.yaml").write_text(text)
    return len(aks_envs + azure_envs) * services


def count_targets(inputs):
    output = subprocess.run([GEN, "validate", "--inputs", inputs], capture_output=True, text=True, check=True)
    return int(re.search(r"\((\d+) targets\)", output.stderr).group(1))


def build_gen():
    """Builds the release binary the way a user does (`cargo build --release`, as
    `cargo install` and the pre-commit hook do) and returns its path, as cargo reports it."""
    output = subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--message-format=json"],
        cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    for line in output.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message["target"]["kind"] == ["bin"] and message["target"]["name"] == "gen":
            return pathlib.Path(message["executable"])
    raise SystemExit("cargo build did not report the gen binary")


def main():
    global GEN
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    assert runs >= 5, "at least 5 runs"
    GEN = build_gen()
    failures = []
    # On tmpfs when there is one: this machine's disk throttles write-back, so that every
    # successive write to it is slower than the last and no figure would be repeatable.
    scratch = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        tmp = pathlib.Path(tmp)
        example = ROOT / "inputs"
        print(f"machine: {os.cpu_count()} cores, {os.uname().machine}, {os.uname().release}; {runs} runs each; scratch folder {tmp}")
        print("1. example render vs cp -r of its output (I/O floor)")
        reference = tmp / "reference"
        run([GEN, "render", "--inputs", example, "--out", reference])
        (gen_median, _), (cp_median, _) = measure_side_by_side([
            ("gen render (example, cold process)", lambda i: [GEN, "render", "--inputs", example, "--out", tmp / f"out1-{i}"]),
            ("cp -r of the same tree", lambda i: ["cp", "-r", reference, tmp / f"copy1-{i}"]),
        ], max(runs, SMALL_RUNS))
        ratio = gen_median / cp_median
        print(f"  ratio gen / cp: {ratio:.2f} (no goal)")

        print("2. one aks target vs kubectl kustomize of its manifests")
        kubectl = shutil.which("kubectl")
        aks = [p for p in (reference).glob("*/*/kubernetes") if p.is_dir()]
        if not kubectl or not aks:
            print(f"  skipped: kubectl {'found' if kubectl else 'missing'}, {len(aks)} aks targets")
            failures.append("benchmark 2 could not run")
        else:
            manifests = aks[0]
            env, service = manifests.parent.parent.name, manifests.parent.name
            kustomize_dir = tmp / "kustomize"
            kustomize_dir.mkdir()
            resources = sorted(p.name for p in manifests.glob("*.yaml"))
            for name in resources:
                shutil.copy(manifests / name, kustomize_dir / name)
            (kustomize_dir / "kustomization.yaml").write_text("resources:\n" + "".join(f"  - {n}\n" for n in resources))
            (gen_one, _), (kustomize, _) = measure_side_by_side([
                (f"gen render --env {env} --service {service}", lambda i: [GEN, "render", "--inputs", example, "--env", env, "--service", service, "--out", tmp / f"out2-{i}"]),
                ("kubectl kustomize (same manifests)", lambda i: [kubectl, "kustomize", kustomize_dir]),
            ], max(runs, SMALL_RUNS))
            speedup = kustomize / gen_one
            print(f"  gen is {speedup:.1f}x faster (goal >= 10)")
            if speedup < 10:
                failures.append(f"gen only {speedup:.1f}x faster than kustomize")

        print("3. 1,000 synthetic targets vs the example")
        synthetic = tmp / "synthetic"
        synthetic_inputs(example, synthetic)
        small_targets, big_targets = count_targets(example), count_targets(synthetic)
        big_out = tmp / "big-out"
        run([GEN, "render", "--inputs", synthetic, "--out", big_out])
        (small_render, _), (big_render, big_rss), (big_check, _) = measure_side_by_side([
            (f"gen render (example, {small_targets} targets)", lambda i: [GEN, "render", "--inputs", example, "--out", tmp / f"small-{i}"]),
            (f"gen render ({big_targets} targets)", lambda i: [GEN, "render", "--inputs", synthetic, "--out", tmp / f"big-{i}"]),
            (f"gen render --check ({big_targets} targets)", lambda i: [GEN, "render", "--check", "--inputs", synthetic, "--out", big_out]),
        ], runs)
        growth = big_render / small_render
        target_growth = big_targets / small_targets
        print(f"  targets x{target_growth:.0f}, time x{growth:.1f} (linear: time grows no faster than targets, with 5% slack)")
        print(f"  peak RSS {big_rss/2**20:.1f} MiB (goal <= 100); --check/render {big_check/big_render:.2f} (goal <= 1)")
        if growth > target_growth * 1.05:
            failures.append(f"time grew x{growth:.1f} for x{target_growth:.0f} targets")
        if big_rss > 100 * 2**20:
            failures.append(f"peak RSS {big_rss/2**20:.1f} MiB > 100")
        if big_check > big_render:
            failures.append("--check slower than render")

        print("4. the plan of a change to every one of the 1,000 targets")
        changed = tmp / "synthetic-changed"
        shutil.copytree(synthetic, changed)
        for service in (changed / "services").glob("*.yaml"):
            text = service.read_text()
            assert "max_connections: 100" in text, service
            service.write_text(text.replace("max_connections: 100", "max_connections: 150"))
        (plan_render, _), (plan_check, plan_rss) = measure_side_by_side([
            (f"gen render ({big_targets} targets, fresh)", lambda i: [GEN, "render", "--inputs", synthetic, "--out", tmp / f"fresh-{i}"]),
            (f"gen render --check, every target changed", lambda i: [GEN, "render", "--check", "--inputs", changed, "--out", big_out], (1,)),
        ], runs)
        print(f"  plan + diff / render {plan_check/plan_render:.2f} (goal <= 2); peak RSS {plan_rss/2**20:.1f} MiB (goal <= 100)")
        if plan_check > 2 * plan_render:
            failures.append(f"the plan of 1,000 changed targets took {plan_check/plan_render:.1f}x a render")
        if plan_rss > 100 * 2**20:
            failures.append(f"peak RSS of the plan {plan_rss/2**20:.1f} MiB > 100")
    if failures:
        print("goals missed: " + "; ".join(failures))
        return 1
    print("all goals met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
