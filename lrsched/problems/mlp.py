"""A fully connected network of any depth, with hand-written backpropagation.

Layers ``h_0 = X``, ``a_l = h_{l-1} W_l + b_l``, ``h_l = φ(a_l)`` for the hidden
layers (``φ`` = ReLU or tanh) and a linear output ``Z = a_{L}``.  The loss is

* classification: mean softmax cross-entropy ``mean(logsumexp(Z_i) − Z_{i,y_i})``;
* regression (e.g. ``diabetes``): mean ``½ (Z_i − y_i)²`` on standardised targets;

plus ``(l2/2) Σ_l ‖W_l‖²`` (weights only; biases are not penalised).  The flat
parameter vector is ``[W_1 (row-major), b_1, W_2, b_2, …]``.  Backpropagation:
``δ_L = ∂loss/∂Z`` (``(P − Y)/n`` or ``(Z − y)/n``); ``∇W_l = h_{l−1}ᵀ δ_l + l2 W_l``,
``∇b_l = Σ_i δ_l``, ``δ_{l−1} = (δ_l W_lᵀ) ⊙ φ'(a_{l−1})`` with
``φ' = [h > 0]`` (ReLU) or ``1 − h²`` (tanh).  Only Array-API functions are used,
so the same code runs on every backend.

Initialisation (``init(seed)``), drawn in NumPy float64 from ``default_rng(seed)``
and then converted, so every backend starts from identical values: hidden
weights He-normal ``N(0, 2/fan_in)`` for ReLU (He et al. 2015) or Glorot-normal
``N(0, 2/(fan_in + fan_out))`` for tanh (Glorot & Bengio 2010); the output
layer Glorot-normal; biases 0.  Non-convex: ``f_star`` and ``smoothness`` are
``None``.
"""

from __future__ import annotations

import numpy as np

from .._checks import integer, number, one_of
from ..spec import register
from ._data import DataProblem

__all__ = ["mlp", "mlp_reference"]


def mlp_reference(xp, X, T, params, shapes, activation, l2, classification, grad=True):
    """Array-API forward (and backward) pass; ``T`` is one-hot (classification) or (n, 1)."""
    n = X.shape[0]
    weights, biases, offset = [], [], 0
    for fan_in, fan_out in shapes:
        weights.append(xp.reshape(params[offset:offset + fan_in * fan_out], (fan_in, fan_out)))
        offset += fan_in * fan_out
        biases.append(params[offset:offset + fan_out])
        offset += fan_out
    hs = [X]
    for W, b in zip(weights[:-1], biases[:-1]):
        a = hs[-1] @ W + b
        hs.append(xp.where(a > 0.0, a, 0.0) if activation == "relu" else xp.tanh(a))
    Z = hs[-1] @ weights[-1] + biases[-1]
    penalty = 0.5 * l2 * sum(float(xp.sum(W * W)) for W in weights) if l2 else 0.0
    if classification:
        Z = Z - xp.max(Z, axis=1, keepdims=True)
        E = xp.exp(Z)
        S = xp.sum(E, axis=1, keepdims=True)
        loss = (float(xp.sum(xp.log(S))) - float(xp.sum(T * Z))) / n + penalty
        delta = (E / S - T) / n if grad else None
    else:
        R = Z - T
        loss = 0.5 * float(xp.sum(R * R)) / n + penalty
        delta = R / n
    if not grad:
        return loss
    parts = []
    for layer in range(len(weights) - 1, -1, -1):
        W, h = weights[layer], hs[layer]
        gW = h.T @ delta
        if l2:
            gW = gW + l2 * W
        parts.append(xp.sum(delta, axis=0))
        parts.append(xp.reshape(gW, (-1,)))
        if layer:
            back = delta @ W.T
            delta = xp.where(h > 0.0, back, 0.0) if activation == "relu" else back * (1.0 - h * h)
    return loss, xp.concat(parts[::-1])


def _hidden(value) -> tuple[int, ...]:
    owner = "mlp"
    allowed = "a list of layer widths (integers >= 1), e.g. (32,) or [64, 32]"
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{owner}: hidden={value!r} is not allowed; hidden must be {allowed}")
    try:
        return tuple(integer(owner, "hidden", v, low=1) for v in value)
    except ValueError:
        raise ValueError(f"{owner}: hidden={value!r} is not allowed; hidden must be {allowed}") from None


@register("problem", "mlp")
class mlp(DataProblem):
    """Multi-layer perceptron (ReLU or tanh), softmax cross-entropy or squared error, manual backprop.

    Parameters
    ----------
    dataset : str, Dataset or dataset spec
        Classification (cross-entropy over the classes) or regression (squared error).
    hidden : tuple of int
        Widths of the hidden layers, any depth (``()`` is a linear model).
    activation : {"relu", "tanh"}
        Hidden activation.
    l2 : float
        Weight decay on the weight matrices (>= 0; biases are not penalised).

    Examples
    --------
    >>> net = mlp("iris", hidden=(8, 8))
    >>> net.dim == (4 * 8 + 8) + (8 * 8 + 8) + (8 * 3 + 3), net.f_star
    (True, None)
    """

    def __init__(self, dataset="digits", hidden=(32,), activation="relu", l2=1e-4):
        owner = "mlp"
        self.hidden = _hidden(hidden)
        self.activation = one_of(owner, "activation", activation, ("relu", "tanh"))
        self.l2 = number(owner, "l2", l2, low=0.0)
        data = self._set_dataset(owner, dataset)
        self.classification = data.task == "classification"
        outputs = data.n_classes if self.classification else 1
        widths = (data.n_features, *self.hidden, outputs)
        self.shapes = tuple(zip(widths[:-1], widths[1:]))
        self.dim = sum(i * o + o for i, o in self.shapes)

    def _prepare(self):
        data = self.data
        if self.classification:
            T = np.zeros((data.n_samples, data.n_classes))
            T[np.arange(data.n_samples), data.labels] = 1.0
        else:
            T = np.asarray(data.y, dtype=np.float64).reshape(-1, 1)
        return (data.X, T), ()

    def _start(self, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        parts = []
        for layer, (fan_in, fan_out) in enumerate(self.shapes):
            output = layer == len(self.shapes) - 1
            if self.activation == "relu" and not output:
                std = np.sqrt(2.0 / fan_in)
            else:
                std = np.sqrt(2.0 / (fan_in + fan_out))
            parts.append(rng.standard_normal(fan_in * fan_out) * std)
            parts.append(np.zeros(fan_out))
        return np.concatenate(parts)

    def loss(self, params, batch=None) -> float:
        d = self._data(params)
        X, T = d.samples if batch is None else batch
        return mlp_reference(d.xp, X, T, params, self.shapes, self.activation, self.l2,
                             self.classification, grad=False)

    def loss_and_grad(self, params, batch=None):
        d = self._data(params)
        X, T = d.samples if batch is None else batch
        return mlp_reference(d.xp, X, T, params, self.shapes, self.activation, self.l2,
                             self.classification)
