"""Train a small PyTorch MLP on scikit-learn's digits under a time budget, monitored by lrsched.

Your own training loop, with:

- :class:`lrsched.integrations.torch_monitor.RunMonitor`: the live view (in a
  terminal; plain lines in a pipe), a JSON Lines run log and alerts;
- an lrsched cosine schedule on the ``fraction`` clock of a
  ``Budget(seconds=...)``, stepped by the monitor, so the learning rate reaches
  its floor exactly when the time runs out.

Run it, then plot the log like any ``lrsched train --log`` log::

    python examples/torch_digits.py --seconds 10 --log digits.jsonl
    lrsched plot digits.jsonl --out digits.png

Needs torch and scikit-learn (no download: the digits ship with scikit-learn).
"""

from __future__ import annotations

import argparse
import sys

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from lrsched import Budget
from lrsched.integrations.torch_monitor import RunMonitor


def data(seed: int):
    """Standardised digits as float32 tensors: (x_train, y_train, x_test, y_test)."""
    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=seed,
                                                        stratify=y)
    scaler = StandardScaler().fit(x_train)
    as_x = lambda a: torch.tensor(scaler.transform(a), dtype=torch.float32)  # noqa: E731
    as_y = lambda a: torch.tensor(a, dtype=torch.long)  # noqa: E731
    return as_x(x_train), as_y(y_train), as_x(x_test), as_y(y_test)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="time budget (default 10)")
    parser.add_argument("--log", default="torch_digits.jsonl", help="run log to write")
    parser.add_argument("--progress", choices=("auto", "on", "off"), default="auto")
    parser.add_argument("--lr", type=float, default=0.2, help="peak learning rate")
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # tiny matrices: threads only add overhead
    x_train, y_train, x_test, y_test = data(args.seed)
    model = torch.nn.Sequential(torch.nn.Linear(64, args.hidden), torch.nn.ReLU(),
                                torch.nn.Linear(args.hidden, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    schedule = f"cosine(peak={args.lr}, horizon=1.0, clock='fraction')"

    monitor = RunMonitor(
        optimizer, budget=Budget(seconds=args.seconds), log=args.log, n_samples=len(x_train),
        progress={"auto": "auto", "on": True, "off": False}[args.progress],
        spec={"problem": "torch_digits", "model": f"mlp(hidden={args.hidden})",
              "batch_size": args.batch_size, "seed": args.seed},
    )
    monitor.scheduler(schedule)  # stepped by monitor.step, on its clock
    generator = torch.Generator().manual_seed(args.seed)
    with monitor:
        while not monitor.done:
            order = torch.randperm(len(x_train), generator=generator)
            for start in range(0, len(order), args.batch_size):
                idx = order[start:start + args.batch_size]
                loss = loss_fn(model(x_train[idx]), y_train[idx])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                monitor.step(loss=loss.detach(), samples=len(idx))
                if monitor.done:
                    break
    with torch.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    s = monitor.result.summary
    print(f"{s['status']}: {s['steps']} steps, {s['epochs']:.1f} epochs in {s['seconds']:.1f} s; "
          f"final lr {s['final_lr']:.3g}; test accuracy {accuracy:.3f}")
    print(f"run log written to {args.log}; plot it with: lrsched plot {args.log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
