"""Regenerate ``calmops_gen/data/loans.csv``, the small table bundled for the table scenario.

Run from the repository root: ``python scripts/make_bundled_loans.py``. The table is a
deterministic function of the seed below: 3,000 loan applications over 2023, with a region,
the applicant's age, income and credit score, the loan amount and whether it defaulted.
"""

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20230101
ROWS = 3000


def make() -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    days = np.sort(rng.integers(0, 365, ROWS))
    date = pd.Timestamp("2023-01-01") + pd.to_timedelta(days, unit="D")
    region = rng.choice(["north", "south", "east", "west"], ROWS, p=[0.3, 0.3, 0.2, 0.2])
    age = rng.integers(21, 70, ROWS)
    income = np.round(rng.lognormal(10.6, 0.35, ROWS), 2)
    score = np.clip(np.round(rng.normal(650, 70, ROWS)), 300, 850).astype(int)
    amount = np.round(income * rng.uniform(0.1, 0.6, ROWS), 2)
    logit = -2.4 + 3.0 * amount / income - 0.012 * (score - 650) - 0.01 * (age - 40)
    default = (rng.random(ROWS) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "date": date.strftime("%Y-%m-%d"),
            "region": region,
            "age": age,
            "income": income,
            "credit_score": score,
            "loan_amount": amount,
            "default": default,
        }
    )


if __name__ == "__main__":
    out = Path(__file__).resolve().parents[1] / "calmops_gen" / "data" / "loans.csv"
    make().to_csv(out, index=False)
    print(out)
