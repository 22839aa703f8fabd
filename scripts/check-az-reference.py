#!/usr/bin/env python3
"""The checker behind scripts/check-az-reference: reads REFERENCE from tests/az_cli.rs and
compares each command with `az <command> --help`. Arguments: the .rs file, the az binary."""
import re, subprocess, sys, os
src=open(sys.argv[1]).read()
ref=src[src.index("const REFERENCE"):]
entries=re.findall(r'Command \{\s*name: "([^"]+)",\s*url: "([^"]+)",\s*options: &\[(.*?)\],\s*required: &\[(.*?)\],\s*\}', ref, re.S)
env=dict(PATH="/usr/bin:/bin",HOME=os.environ.get("AZ_HOME","/tmp/azhome"),AZURE_CORE_COLLECT_TELEMETRY="false")
problems=0
for name,url,opts,req in entries:
    opts=re.findall(r'"([^"]+)"',opts); req=re.findall(r'"([^"]+)"',req)
    out=subprocess.run([sys.argv[2]]+name.split()+["--help"],capture_output=True,text=True,env=env)
    groups=[]  # (set of names, required)
    for line in out.stdout.splitlines():
        m=re.match(r'\s{4}(--[\w-]+(?:\s+--?[\w-]+)*)\s*(\[Required\])?\s*:',line)
        if m: groups.append((set(m.group(1).split()),bool(m.group(2))))
    if not groups:
        print(f"{name}: no help"); problems+=1; continue
    def group_of(alias):
        return next((g for g in groups if alias in g[0]),None)
    for o in opts:
        for alias in o.split("|"):
            if group_of(alias) is None:
                print(f"{name}: `{alias}` is not an option of az {name}"); problems+=1
    for r in req:
        g=group_of(r.split("|")[0])
        # `--name`/`--resource-group` of a command that also takes `--ids` are alternatives
        # to it, never marked [Required]; the plans never use `--ids`, so the table needs them.
        if g and not g[1] and not group_of("--ids"):
            print(f"{name}: `{r}` is in the table's required list, az does not mark it [Required]"); problems+=1
    for names,required in groups:
        if required and not any(set(r.split("|")) & names for r in req):
            print(f"{name}: az marks {sorted(names)} [Required], the table does not"); problems+=1
print(f"{len(entries)} commands checked, {problems} problems")
sys.exit(1 if problems else 0)
