"""Win probability: the fitted frequency tables against the stage's fixed default probability.

Generates a history of decided stage stays whose true win chance depends on the stage and on
the manager, the amount, the days already in the stage and the interactions; fits the model
(services/crm/analytics/domain/win_model.py) on 70 %, scores the other 30 % and prints the
Brier score and a calibration table of both. Run: .venv/bin/python bench/win_probability.py
"""

from __future__ import annotations

import math
import random
import sys

from services.crm.analytics.domain import win_model as wm

EXAMPLES = int(sys.argv[1]) if len(sys.argv) > 1 else 60000
HOLD_OUT = 0.3
# Two kinds of three stages; the probability each stage is configured with.
DEFAULT = {1: 0.10, 2: 0.40, 3: 0.70, 4: 0.10, 5: 0.40, 6: 0.70}
KIND_OF = {1: 1, 2: 1, 3: 1, 4: 2, 5: 2, 6: 2}
SKILL = {10: 1.0, 11: 0.3, 12: -0.2, 13: -1.0}  # log-odds a manager adds


def true_chance(stage: int, manager: int, amount: float, days: float, touches: int) -> float:
    base = math.log(DEFAULT[stage] / (1 - DEFAULT[stage]))
    log_odds = (
        base
        + SKILL[manager]
        - 0.5 * math.log10(max(amount, 1) / 5000)  # large deals are won less often
        - 0.06 * days  # a deal standing long goes cold
        + 0.25 * min(touches, 8)
        - 1.0
    )
    return 1 / (1 + math.exp(-log_odds))


def history(n: int, rng: random.Random) -> list[tuple[dict[str, str], int, bool]]:
    found = []
    for _ in range(n):
        stage = rng.choice(list(DEFAULT))
        manager = rng.choice(list(SKILL))
        amount = math.exp(rng.uniform(math.log(300), math.log(300000)))
        days = rng.expovariate(1 / 10)
        touches = rng.randint(0, 10)
        won = rng.random() < true_chance(stage, manager, amount, days, touches)
        values = wm.features(KIND_OF[stage], stage, days, amount, touches, manager)
        found.append((values, stage, won))
    return found


def table(title: str, pairs: list[tuple[float, bool]]) -> None:
    print(f"{title}: Brier {wm.brier(pairs):.4f}")
    print(f"  {'band':>9} {'deals':>6} {'predicted':>9} {'observed':>8}")
    for band, count, predicted, observed in wm.calibration(pairs):
        print(f"  {band:>9} {count:>6} {predicted:>9.3f} {observed:>8.3f}")


def main() -> None:
    rng = random.Random(11)
    examples = history(EXAMPLES, rng)
    cut = int(len(examples) * (1 - HOLD_OUT))
    train, test = examples[:cut], examples[cut:]
    model = wm.fit((values, won) for values, _, won in train)
    fitted = [(model.probability(values), won) for values, _, won in test]
    fixed = [(DEFAULT[stage], won) for _, stage, won in test]
    print(f"{len(train)} stays to fit, {len(test)} held out ({HOLD_OUT:.0%})")
    table("model (frequency tables)", fitted)
    table("stage default probability", fixed)
    better = wm.brier(fitted) < wm.brier(fixed)
    print("model beats the stage default:", "yes" if better else "NO")
    sys.exit(0 if better else 1)


if __name__ == "__main__":
    main()
