"""The progress display: plain lines off a terminal, with counts, failures and an ETA."""

from __future__ import annotations

import io

from lrsched.bench.display import Display
from lrsched.bench.trial import Trial


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def trial(seed):
    return Trial(problem="quadratic(dim=10)", optimizer="sgd()", schedule="constant(lr=0.1)",
                 budget="steps=10", batch_size=None, seed=seed, label="constant", lr=0.1)


def test_plain_lines_show_counts_failures_and_eta():
    stream, clock = io.StringIO(), Clock()
    display = Display(total=40, skipped=3, stream=stream, clock=clock)
    assert display._rich is None  # a StringIO is not a terminal
    for k in range(40):
        clock.now += 2.0
        status = "failed" if k == 5 else ("diverged" if k == 7 else "done")
        display.update(trial(k), {"status": status, "reason": "ValueError: bad"})
        if k == 9:
            # 10 trials in 20 s: 30 left take 60 s
            assert display.eta() == 60.0
    display.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "3 trial(s) already in the store are skipped"
    assert "failed: quadratic(dim=10) | constant lr=0.1 | seed 5: ValueError: bad" in lines
    progress = [line for line in lines if line.startswith("[")]
    assert progress[-1] == "[40/40] done 38  diverged 1  failed 1  elapsed 01:20  ETA 00:00"
    # about one line per 5 % of the trials (every 2nd of 40, and the last), not one per trial
    assert [int(line[1:3]) for line in progress] == [*range(1, 40, 2), 40]
    assert "[11/40] done 9  diverged 1  failed 1  elapsed 00:22  ETA 00:58" in progress


def test_slow_trials_still_print_every_ten_seconds():
    stream, clock = io.StringIO(), Clock()
    display = Display(total=1000, stream=stream, clock=clock)
    for k in range(3):
        clock.now += 11.0
        display.update(trial(k), {"status": "done"})
    assert len(stream.getvalue().splitlines()) == 3


def test_live_bar_on_request():
    stream = io.StringIO()
    display = Display(total=2, stream=stream, live=True)
    display.update(trial(0), {"status": "done"})
    display.update(trial(1), {"status": "failed", "reason": "boom"})
    display.close()
    text = stream.getvalue()
    assert "2/2" in text and "failed 1" in text and "boom" in text
