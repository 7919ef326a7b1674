"""Run a sweep with Python policies and read its results with pandas.

From the repository's root:
    python3 python/examples/sweep_and_plot.py [SPEC] [OUT]
runs `go run ./cmd/loadlab sweep SPEC --out OUT` (SPEC defaults to
examples/python-policy.yaml), exports the tidy CSV (one row per point and
replication) and prints the mean response time per policy and load with a
95% interval over the replications. pandas is optional: without it the
script prints the CSV's path and stops. With matplotlib it also draws
OUT/python-response.png.
"""

import os
import subprocess
import sys


def main(argv):
    spec = argv[1] if len(argv) > 1 else "examples/python-policy.yaml"
    out = argv[2] if len(argv) > 2 else "out/python-policy"
    loadlab = ["go", "run", "./cmd/loadlab"]
    subprocess.run(loadlab + ["sweep", spec, "--out", out, "-q"], check=True)
    csv = os.path.join(out, "results.csv")
    subprocess.run(loadlab + ["export", out, "--csv", "--output", csv], check=True)
    try:
        import pandas as pd
    except ImportError:
        print("pandas is not installed (pip install pandas); the results are in", csv)
        return 0
    # the 64-bit seed is quoted in the CSV: read it as text
    df = pd.read_csv(csv, dtype={"seed": str})
    g = df.groupby(["policy", "load"])["mean_response"]
    table = g.agg(["mean", "std", "count"])
    table["ci95"] = 1.96 * table["std"] / table["count"] ** 0.5
    print(table[["mean", "ci95", "count"]].round(4).to_string())
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return 0
    fig, ax = plt.subplots()
    for policy, rows in table.reset_index().groupby("policy"):
        ax.errorbar(rows["load"], rows["mean"], yerr=rows["ci95"], label=policy, marker="o", capsize=3)
    ax.set_xlabel("load ρ (per server)")
    ax.set_ylabel("mean response time (× mean service)")
    ax.legend()
    path = os.path.join(out, "python-response.png")
    fig.savefig(path, dpi=120)
    print("figure:", path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
