#!/usr/bin/env python3
"""The benchmark's arithmetic (tests/bench/run.sh does the rest):

  measure.py cpu PID...            CPU time (user + system, all threads) of the processes, in us
  measure.py pss PID...            "name pid kib" per process: proportional set size without the
                                   pages of LMDB's files (data.mdb, lock.mdb), which are the
                                   kernel's page cache, shared, and as large as the data
  measure.py report DIR [MD]       the tables from run.sh's results folder, printed, and written
                                   between the bench markers of MD
"""
import os
import sys

CLK_TCK = os.sysconf("SC_CLK_TCK")
LMDB_FILES = ("/data.mdb", "/lock.mdb")


def cpu_us(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                # fields after the ")" that ends the command name: utime and stime are 14 and 15
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a process that died (and was restarted) in between: its time is lost
    return total * 1_000_000 // CLK_TCK


def pss_kib(pid):
    total, counted = 0, True
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            first = line.split(None, 1)[0]
            if "-" in first and not first.endswith(":"):
                # a mapping's header: "start-end perms offset dev inode [path]"
                counted = not line.rstrip().endswith(LMDB_FILES)
            elif first == "Pss:" and counted:
                total += int(line.split()[1])
    return total


def comm(pid):
    # the program's file name (comm is cut at 15 characters: "apibus-employee")
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return os.path.basename(f.read().split(b"\0", 1)[0].decode())


# the rows in the order of the issue, whatever order run.sh finished them in
ORDER = ("bare1", "a", "bare2", "floor_list", "floor_one", "b", "c", "d1", "d64", "mix", "login", "a_flood",
         "flood", "bare2")


def parse_rows(path):
    """run.sh's rows.tsv: "id<TAB>label<TAB>key=value ..." (wrk's numbers, cpu_us, flags)."""
    rows = {}
    for line in open(path):
        rid, label, pairs = line.rstrip("\n").split("\t")
        r = {k: int(v) for k, v in (p.split("=", 1) for p in pairs.split())}
        r["label"], r["rps"] = label, r["requests"] / (r["duration_us"] / 1e6)
        rows[rid] = r
    return {k: rows[k] for k in ORDER if k in rows}


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def memory(path):
    """pss.txt: "phase name pid kib". Per process: idle, and the largest sample under load;
    suite totals: the sum at one instant (idle, and the largest such sum under load)."""
    phases = {}
    for line in open(path):
        phase, name, _pid, kib = line.split()
        phases.setdefault(phase, {})[name] = phases.get(phase, {}).get(name, 0) + int(kib)
    load = [v for k, v in phases.items() if k.startswith("load:")]
    names = sorted(set().union(*phases.values()))
    peak = {n: max((p.get(n, 0) for p in load), default=0) for n in names}
    total_idle = sum(phases.get("idle", {}).values())
    total_load = max((sum(p.values()) for p in load), default=0)
    peak_phase = max(load, key=lambda p: sum(p.values()), default={})
    peak_name = next((k for k, v in phases.items() if v is peak_phase), "")
    lines = ["| process | idle PSS MiB | under load, largest sample MiB |", "|---|---:|---:|"]
    for n in names:
        lines.append(f"| {n} | {phases.get('idle', {}).get(n, 0) / 1024:.1f} | {peak[n] / 1024:.1f} |")
    lines.append(f"| **whole suite** | **{total_idle / 1024:.1f}** | **{total_load / 1024:.1f}** "
                 f"(during {peak_name.split(':')[-1]}) |")
    return "\n".join(lines) + "\n", total_idle / 1024, total_load / 1024


def report(results, md_path):
    rows = parse_rows(f"{results}/rows.tsv")
    # the baseline is the mean of bare h2o's two runs, just before and just after (a), so the
    # drift of the shared machine shows in those two rows instead of silently biasing the ratios
    bare = [r["rps"] for r in rows.values() if r["base"]]
    base = sum(bare) / len(bare)
    out = ["| row | requests/s | p50 ms | p99 ms | errors | CPU µs/req | vs bare h2o |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows.values():
        cpu = f"{r['cpu_us'] / r['requests']:.0f}" if "cpu_us" in r and r["requests"] else "–"
        ratio = f"{r['rps'] / base:.0%}" if r["read"] else ""
        out.append(f"| {r['label']} | {r['rps']:,.0f} | {r['p50_us'] / 1000:.2f} | {r['p99_us'] / 1000:.2f} "
                   f"| {r['errors']} | {cpu} | {ratio} |")
    rev = [int(x) / 1000 for x in open(f"{results}/revoke_us.txt")]
    ready = int(open(f"{results}/ready_ms").read())
    mem, idle_mib, load_mib = memory(f"{results}/pss.txt")
    text = "\n".join(out) + "\n\n"
    text += (f"(f) API key revoked → first 401 (the gateway had the key cached), {len(rev)} keys: "
             f"median {percentile(rev, 0.5):.2f} ms, p90 {percentile(rev, 0.9):.2f} ms, worst {max(rev):.2f} ms.\n\n")
    text += f"(g) start of run-local → `/readyz` 200: {ready} ms. Memory (PSS without LMDB's file pages):\n\n{mem}\n"
    text += targets(rows, base, rev, ready, idle_mib, load_mib)
    machine = open(f"{results}/machine.txt").read().strip().splitlines()
    text += "\nMachine: " + "; ".join(machine) + ".\n"
    print(text)
    if md_path:
        replace_section(md_path, text)


def targets(rows, base, rev, ready, idle_mib, load_mib):
    """The issue's targets, read off this run (informative: nothing fails on them)."""
    g = lambda k, f: rows[k][f] if k in rows else float("nan")
    a_rps, a_p99 = g("a", "rps"), g("a", "p99_us") / 1000
    checks = [
        ("(a) ≥ 30% of bare h2o, p99 < 10 ms, no errors",
         a_rps >= 0.3 * base and a_p99 < 10 and g("a", "errors") == 0,
         f"{a_rps / base:.0%}, p99 {a_p99:.2f} ms, {g('a', 'errors')} errors"),
        ("(b) within 10% of (a)", g("b", "rps") >= 0.9 * a_rps, f"{g('b', 'rps') / a_rps:.0%} of (a)"),
        ("(c) above (a)", g("c", "rps") > a_rps, f"{g('c', 'rps') / a_rps:.0%} of (a)"),
        ("(d) group commit ≥ 20× one client and ≥ 2,000/s",
         g("d64", "rps") >= 20 * g("d1", "rps") and g("d64", "rps") >= 2000,
         f"{g('d64', 'rps') / g('d1', 'rps'):.1f}×, {g('d64', 'rps'):,.0f}/s"),
        ("(e) flood at most doubles (a)'s p99; login p99 < 1 s",
         g("a_flood", "p99_us") <= 2 * g("a", "p99_us") and g("flood", "p99_us") < 1e6,
         f"{g('a_flood', 'p99_us') / g('a', 'p99_us'):.1f}× (a)'s p99, login p99 {g('flood', 'p99_us') / 1e6:.2f} s"),
        ("(f) median < 10 ms, worst < 1 s", percentile(rev, 0.5) < 10 and max(rev) < 1000,
         f"{percentile(rev, 0.5):.2f} ms, {max(rev):.2f} ms"),
        ("(g) < 40 MB idle, < 80 MB under load, ready < 1 s",
         idle_mib * 1.048576 < 40 and load_mib * 1.048576 < 80 and ready < 1000,
         f"{idle_mib * 1.048576:.1f} MB, {load_mib * 1.048576:.1f} MB, {ready} ms"),
    ]
    lines = ["| target | this run | |", "|---|---|---|"]
    lines += [f"| {t} | {v} | {'met' if ok else '**missed**'} |" for t, ok, v in checks]
    return "\n".join(lines) + "\n"


def replace_section(md_path, body):
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    doc = open(md_path).read() if os.path.exists(md_path) else f"# Benchmarks\n\n{begin}\n{end}\n"
    if begin not in doc:
        doc += f"\n{begin}\n{end}\n"
    head, rest = doc.split(begin, 1)
    tail = rest.split(end, 1)[1]
    with open(md_path + ".tmp", "w") as f:
        f.write(f"{head}{begin}\n{body}{end}{tail}")
    os.replace(md_path + ".tmp", md_path)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "cpu":
        print(cpu_us(args))
    elif cmd == "pss":
        for pid in args:
            print(comm(pid), pid, pss_kib(pid))
    elif cmd == "report":
        report(args[0], args[1] if len(args) > 1 else None)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
