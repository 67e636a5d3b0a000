#!/usr/bin/env python3
"""Writes a simulated team's night folders for trying `callgauge report`.

One command: `python3 benches/simulate_team.py --out target/sim` (after `./setup.sh`, which
leaves real `analyze` output of the fixtures in out/). It writes target/sim/calls/ (call JSONs)
and target/sim/metadata.csv for 12 agents over 8 weeks, 6 calls per agent per week. Each call
JSON is a real one from out/ with its figures replaced by draws from known true rates — the
same model as tests/team_simulation.rs: 60/40 pass rate 50 % for eight agents and 20, 30, 70,
80 % for four; conversion 25 % and 10, 15, 35, 40 %; script variant A (agents 0–5) reaches the
presentation in 45 % of calls, variant B (agents 6–11) in 60 %. Then:

    callgauge report target/sim/calls --metadata target/sim/metadata.csv --out target/sim/report
"""

import argparse
import copy
import json
import math
import random
from datetime import date, timedelta
from pathlib import Path
from statistics import NormalDist

ROOT = Path(__file__).resolve().parent.parent
PASS = [0.5, 0.5, 0.5, 0.5, 0.2, 0.8, 0.5, 0.5, 0.5, 0.5, 0.3, 0.7]
CONVERSION = [0.25, 0.25, 0.25, 0.25, 0.10, 0.40, 0.25, 0.25, 0.25, 0.25, 0.15, 0.35]
NAMES = ["anna", "boris", "chen", "dasha", "emil", "farida", "gleb", "hana", "ivan", "jana",
         "kirill", "lena"]
STAGES = ["greeting", "needs_discovery", "presentation", "objection_handling", "closing"]
PRESENTATION = [0.45, 0.60]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "target" / "sim")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    base = json.loads((ROOT / "out" / "en_ulaw8k_crosstalk.json").read_text())
    rng = random.Random(args.seed)
    calls = args.out / "calls"
    calls.mkdir(parents=True, exist_ok=True)
    rows = ["call_id,agent_id,team,customer_id,started_at,variant,outcome,amount"]
    for agent, name in enumerate(NAMES):
        variant = agent >= 6
        share_mean = 0.40 - 0.08 * NormalDist().inv_cdf(PASS[agent])
        for week in range(8):
            for i in range(6):
                doc = copy.deepcopy(base)
                call_id = f"{name}_w{week}_{i}"
                doc["call_id"] = call_id
                share = min(0.95, max(0.05, rng.gauss(share_mean, 0.08)))
                doc["rule_60_40"]["agent_share_of_speech"] = round(share, 3)
                doc["rule_60_40"]["passed"] = share <= 0.40
                reached = []
                for stage, p in zip(STAGES, [0.98, 0.85 / 0.98, PRESENTATION[variant] / 0.85, 0.8, 0.7]):
                    if rng.random() >= p:
                        break
                    reached.append(stage)
                doc["stages"]["reached"] = reached
                doc["stages"]["last"] = reached[-1] if reached else None
                doc["stages"]["first_reached_s"] = [
                    f for f in doc["stages"]["first_reached_s"] if f["stage"] in reached]
                doc["stages"]["hits"] = [h for h in doc["stages"]["hits"] if h["stage"] in reached]
                passed = 0
                for k, item in enumerate(doc["checklist"]["items"]):
                    item["passed"] = rng.random() < 0.55 + 0.06 * k
                    passed += item["passed"]
                doc["checklist"]["share"] = round(passed / len(doc["checklist"]["items"]), 3)
                doc["score"]["quality_index"] = round(
                    min(100, max(0, 35 + 45 * doc["checklist"]["share"] + rng.gauss(0, 8))), 1)
                (calls / f"{call_id}.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2))
                won = rng.random() < CONVERSION[agent]
                day = date(2026, 10, 5) + timedelta(days=7 * week + i % 5)
                rows.append(",".join([
                    call_id, name, "north" if agent % 2 else "south", f"c{rng.randrange(400)}",
                    f"{day} {9 + i:02}:00", "B" if variant else "A", "won" if won else "lost",
                    str(rng.randrange(800, 4000)) if won else "",
                ]))
    (args.out / "metadata.csv").write_text("\n".join(rows) + "\n")
    print(args.out)


if __name__ == "__main__":
    main()
